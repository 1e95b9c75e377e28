"""GET of local objects and activities, only as far as their audience allows.

Public ones to anyone; followers-only, members-only or direct ones only to a signed fetch
(or a bearer token) of an actor in the audience; everyone else gets 404, never a hint.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...errors import Gone, NotFound, ProblemError
from ...outbox import polls
from ...outbox.visibility import visible_to
from ...protocol.addressing import may_see, strip_private
from ...protocol.documents import AS2
from ...runtime import Runtime
from ...store import activities as activity_store
from .. import auth
from ..negotiation import activity_response, wants_activity_json
from .common import runtime


async def viewer_of(request: Request) -> str | None:
    rt = runtime(request)
    bearer = await auth.bearer_actor(request, optional=True)
    if bearer is not None:
        return rt.urls.actor(bearer.slug)
    return await auth.fetch_guard(request)


async def can_see(request: Request, addressed: list[str], author: str) -> bool:
    rt = runtime(request)
    # Security fix (tests/security, rules 13/14): with authorized fetch on, public objects
    # skipped the signature check, so unsigned and BLOCKED requesters could read them.
    # viewer_of() enforces authorized fetch and refuses blocked signers (403).
    if may_see(addressed=addressed, author=author, viewer=None) and not _guarded(rt):
        return True
    if not may_see(addressed=addressed, author=author, viewer=None):
        # Issue 15: a refused GET of a non-public object (blocked signer, bad signature)
        # answers exactly like an unknown id, so the refusal does not reveal it exists.
        try:
            viewer = await viewer_of(request)
        except ProblemError as exc:
            if exc.status in (401, 403):
                return False
            raise
    else:
        viewer = await viewer_of(request)
    return await visible_to(rt, addressed=addressed, author=author, viewer=viewer)


async def get_object(request: Request) -> Response:
    rt = runtime(request)
    if request.path_params["uid"].endswith(".ics"):  # an event's "add to my calendar"
        from ..pages.routes import event_ics

        return await event_ics(request)
    uri = rt.urls.object(request.path_params["uid"])
    stored = await activity_store.get_object(rt.store, uri)
    if stored is None or not stored.local:
        raise NotFound("no such object")
    if not wants_activity_json(request):  # a browser: the object's page, same URL
        from ..pages.routes import object_page

        return await object_page(request, stored)
    if not await can_see(request, stored.addressees, stored.attributed_to):
        raise NotFound("no such object")
    if stored.deleted is not None:
        raise Gone("this object was deleted")
    if stored.kind == "poll":
        stored = await polls.close_if_ended(rt, stored)  # FEP-9967: `closed` once ended
    doc = {"@context": [AS2, *_ctx_tail()], **strip_private(stored.document)}
    return activity_response(request, doc, private=_private(rt, stored.public))


async def get_activity(request: Request) -> Response:
    rt = runtime(request)
    uri = rt.urls.activity(request.path_params["uid"])
    stored = await activity_store.get_activity(rt.store, uri)
    if stored is None or not stored.local:
        raise NotFound("no such activity")
    if not await can_see(request, stored.addressees, stored.actor_uri):
        raise NotFound("no such activity")
    return activity_response(
        request, strip_private(stored.document), private=_private(rt, stored.public)
    )


def _guarded(rt: Runtime) -> bool:
    return rt.settings.authorized_fetch


def _private(rt: Runtime, public: bool) -> bool:
    """Rule 13 (mastodon#13585): under authorized fetch even a public object's answer
    depends on the signature, so no shared cache may keep it."""
    return not public or _guarded(rt)


def _ctx_tail() -> list[object]:
    from ...protocol.context import OUTGOING_CONTEXT

    return [c for c in OUTGOING_CONTEXT if c != AS2]
