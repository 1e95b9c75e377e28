"""Citizen reports (Open311 on a Note, VOCABULARY.md §3.6): the status round trip.

The responsible actor (landlord, syndic, town service: addressed and mentioned by the
report) changes `reportStatus` by replying with a `Note{inReplyTo: report, reportStatus}`
to the reporter. A local responsible actor does it through C2S with
`Update{object: {id: report, reportStatus}}` although it is not the author; we turn that
into the reply. The reporter's server then updates the report itself and sends `Update` of
it to its audience. Statuses follow REPORT_LIFECYCLE (open → acknowledged → closed).
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from ..clock import iso
from ..errors import Forbidden, InvalidActivity, NotFound
from ..protocol.addressing import as_list, ref, refs
from ..protocol.documents import PUBLIC_ALIASES
from ..protocol.vocab import REPORT_STATUSES
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store.activities import StoredObject
from ..store.actors import LocalActor
from . import kinds, webhooks
from .publish import new_id, publish

log = logging.getLogger("fedivoisin.reports")

STATUS_TEXT = {
    "open": "Signalement rouvert.",
    "acknowledged": "Signalement pris en compte.",
    "closed": "Signalement clos.",
}
#: What the responsible actor may send along with the status (the reply's text).
RESPONDER_FIELDS = frozenset({"id", "type", "reportStatus", "content", "@context"})


def responsible_actors(doc: dict[str, Any]) -> set[str]:
    """Who a report is for (Open311 agency_responsible): the actors in its `to` and the
    actors it mentions; never collections, nor neighbours merely in `cc`."""
    mentioned = [
        ref(t)
        for t in as_list(doc.get("tag"))
        if isinstance(t, dict) and t.get("type") == "Mention"
    ]
    found = {a for a in [*refs(doc.get("to")), *mentioned] if a}
    return {
        a for a in found if not a.endswith(("/followers", "/members")) and a not in PUBLIC_ALIASES
    }


def current_status(doc: dict[str, Any]) -> str:
    return kinds.status_of(doc, "reportStatus", "open")


def check_status(doc: dict[str, Any], new: Any) -> str:
    if not isinstance(new, str) or new not in REPORT_STATUSES:
        raise InvalidActivity(
            f"reportStatus: must be one of {', '.join(REPORT_STATUSES)}", field="reportStatus"
        )
    kinds.check_transition("reportStatus", kinds.REPORT_LIFECYCLE, current_status(doc), new)
    return new


async def respond(rt: Runtime, actor: LocalActor, obj: dict[str, Any]) -> dict[str, Any] | None:
    """C2S Update of someone else's report by its responsible actor; None when the object
    is not such a report (the ordinary author-only Update applies)."""
    oid = ref(obj)
    stored = await activity_store.get_object(rt.store, oid or "")
    me = rt.urls.actor(actor.slug)
    if stored is None or stored.kind != "report" or stored.attributed_to == me:
        return None
    if stored.deleted is not None:
        raise NotFound(f"no object {oid}", field="object")
    if me not in responsible_actors(stored.document):
        raise Forbidden("only the report's author or the actor it is addressed to can change it")
    extra = sorted(set(obj) - RESPONDER_FIELDS)
    if extra:
        raise InvalidActivity(
            f"{extra[0]}: the responsible actor can only change reportStatus", field=extra[0]
        )
    status = check_status(stored.document, obj.get("reportStatus"))
    reporter = stored.attributed_to
    handle = reporter.rstrip("/").rsplit("/", 1)[-1]
    text = obj.get("content") if isinstance(obj.get("content"), str) else ""
    content = (
        f'<p><span class="h-card"><a class="u-url mention" href="{escape(reporter)}">'
        f"@{escape(handle)}</a></span> {escape(STATUS_TEXT[status])}</p>{text}"
    )
    reply = {
        "id": new_id(rt, "object"),
        "type": "Note",
        "attributedTo": me,
        "published": iso(rt.clock.now()),
        "inReplyTo": stored.uri,
        "to": [reporter],
        "content": content,
        "contentMap": {"fr": content},
        "tag": [{"type": "Mention", "href": reporter}],
        "reportStatus": status,
    }
    reply["url"] = reply["id"]
    if not stored.local:
        # Our copy follows at once so the next transition is checked from the new status;
        # the reporter's Update confirms it.
        await kinds.refresh_copy(rt, stored, {"reportStatus": status})
    await webhooks.emit(
        rt, me, "report.status_changed", {"report": stored.uri, "status": status, "by": me}
    )
    return await publish(rt, actor, {"type": "Create", "object": reply, "to": [reporter]})


async def apply_reply(
    rt: Runtime, report: StoredObject, responder: str, reply: dict[str, Any]
) -> bool:
    """The reporter's side: a responsible actor replied with a status. True when applied."""
    if responder == report.attributed_to or responder not in responsible_actors(report.document):
        log.info("%s is not responsible for report %s", responder, report.uri)
        return False
    new = reply.get("reportStatus")
    try:
        status = check_status(report.document, new)
    except InvalidActivity as exc:
        log.info("status reply %s on %s refused: %s", reply.get("id"), report.uri, exc.detail)
        return False
    if status == current_status(report.document):
        return False
    author = await kinds.author_of(rt, report)
    if author is None:
        return False
    await kinds.republish(rt, author, "report", report.document, {"reportStatus": status})
    await webhooks.emit(
        rt,
        report.attributed_to,
        "report.status_changed",
        {"report": report.uri, "status": status, "by": responder},
        key=ref(reply.get("id")),
    )
    return True
