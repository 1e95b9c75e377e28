"""Every activity of the real-world corpus (tests/fixtures, see its SOURCES.md) through our
inbox: signed POST → 202 → the worker handles it and marks the row done, never failed — and
its OUTCOME is asserted (EXPECTED below: what was stored, with which fields, which follow or
report was created, or the exact reason it was ignored or refused).

We cannot sign as the servers that produced these payloads, so a loopback recording peer
(tests/rig/peer.py) plays their part: the fixture's actor origin is rewritten to the peer's
origin plus a per-fixture path (so fixtures that reuse ids stay independent) throughout the
payload (ids, actor, attributedTo, collections — never `@context`), the peer serves the actor
with its own RSA key plus every embedded object with an id, and it signs the POST with
draft-cavage. The test instance of the capture, where there is one, becomes ours
(LOCAL_PARTY); anything on another origin is left as it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from fedivoisin.protocol.actors import ACTOR_TYPES
from fedivoisin.protocol.addressing import ref
from fedivoisin.store import activities as activity_store
from tests.rig import Instance
from tests.rig.peer import RecordingPeer

from .corpus_outcomes import EXPECTED, Seen
from .fedify import wait_processed

pytestmark = pytest.mark.interop

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

ACTIVITY_TYPES = frozenset(
    {
        "Accept",
        "Add",
        "Announce",
        "Block",
        "Create",
        "Delete",
        "EmojiReact",
        "Flag",
        "Follow",
        "Join",
        "Leave",
        "Like",
        "Move",
        "Reject",
        "Remove",
        "Undo",
        "Update",
    }
)

#: Fixtures our inbox legitimately refuses, with the status and why.
REFUSED: dict[str, tuple[int, str]] = {
    # The activity id is on another host than its actor (SECURITY.md: ids must share the
    # actor's origin). Pleroma's test fixture mixes hosts; Mobilizon relays via another host.
    "misskey/like-misskey-reaction.json": (400, "the activity id is not on the actor's origin"),
    "mobilizon/accept-join.json": (400, "the activity id is not on the actor's origin"),
    "mobilizon/join-event.json": (400, "the activity id is not on the actor's origin"),
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def activity_fixtures() -> list[Path]:
    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        doc = _load(path)
        if isinstance(doc, dict) and doc.get("type") in ACTIVITY_TYPES and ref(doc.get("actor")):
            found.append(path)
    return found


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def rewrite(value: Any, old: str, new: str) -> Any:
    """Move every URL of origin `old` to origin `new`, leaving `@context` untouched."""
    if isinstance(value, str):
        if value == old or value.startswith(old + "/") or value.startswith(old + "#"):
            return new + value[len(old) :]
        return value
    if isinstance(value, list):
        return [rewrite(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "@context" else rewrite(v, old, new) for k, v in value.items()}
    return value


def embedded(value: Any) -> list[dict[str, Any]]:
    """Every object with a string id inside `value` (itself included)."""
    out: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if isinstance(v.get("id"), str):
                out.append(v)
            stack.extend(x for k, x in v.items() if k != "@context")
        elif isinstance(v, list):
            stack.extend(v)
    return out


#: The receiving side of a capture, made one of our local actors (created by `corpus_rig`):
#: Pleroma's test user the Mastodon captures address, and the Lemmy and Mitra captures'
#: target communities.
LOCAL_PARTY = {
    "http://localtesting.pleroma.lol/users/lain": "lain",
    "http://enterprise.lemmy.ml/c/main": "les-lilas",
    "https://voyager.lemmy.ml/c/pubtest0906": "les-lilas",
}


def localise(value: Any, local: dict[str, str]) -> Any:
    """Replace every value equal to a LOCAL_PARTY URI by our actor's URI."""
    if isinstance(value, str):
        return local.get(value, value)
    if isinstance(value, list):
        return [localise(v, local) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "@context" else localise(v, local) for k, v in value.items()}
    return value


def stage(peer: RecordingPeer, doc: dict[str, Any], path: Path, inst: Instance) -> dict[str, Any]:
    """The fixture as if its actor's server were `peer`; serves its actor and objects."""
    actor = ref(doc.get("actor"))
    assert actor is not None
    home = f"{peer.origin}/{path.parent.name}/{path.stem}"
    local = {uri: inst.urls.actor(slug) for uri, slug in LOCAL_PARTY.items()}
    moved: dict[str, Any] = localise(rewrite(doc, origin_of(actor), home), local)
    actor = ref(moved["actor"])
    assert actor is not None
    actor_type = "Person"
    actor_extra: dict[str, Any] = {}
    for obj in embedded(moved):
        if not obj["id"].startswith(home + "/") or "#" in obj["id"]:
            continue
        if obj["id"] == actor:
            types = obj.get("type") if isinstance(obj.get("type"), list) else [obj.get("type")]
            actor_type = next((t for t in types if t in ACTOR_TYPES), actor_type)
            if isinstance(obj.get("name"), str):  # the server serves what it announces
                actor_extra["name"] = obj["name"]
            continue
        peer.serve(
            obj["id"],
            {"@context": moved.get("@context", []), **obj} if "@context" not in obj else obj,
        )
    peer.add_actor(actor, type_=actor_type, **actor_extra)
    announced = moved.get("object")
    if (
        moved["type"] == "Announce"
        and isinstance(announced, str)
        and announced.startswith(home + "/")
    ):
        # The payload names the boosted post by URL only; the recording can't hold it, so
        # the peer serves a stub in its place and the receiver's fetch-and-store path runs.
        peer.serve(
            announced,
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": announced,
                "type": "Note",
                "attributedTo": actor,
                "content": "<p>stub served by the recording peer</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            },
        )
    return moved


def test_the_corpus_is_there() -> None:
    assert (FIXTURES / "SOURCES.md").exists(), "copy /work/shared/fixtures to tests/fixtures"
    assert len(activity_fixtures()) >= 45


def test_every_corpus_activity_has_an_expected_outcome() -> None:
    names = {_name(p) for p in activity_fixtures()}
    assert names == set(EXPECTED) | set(REFUSED), names ^ (set(EXPECTED) | set(REFUSED))
    assert not set(EXPECTED) & set(REFUSED)
    producers = {name.split("/")[0] for name in names}
    for wanted in ("mitra", "hubzilla", "friendica", "wordpress", "threads", "bridgy-fed"):
        assert wanted in producers, wanted
    assert "friendica/create-event.json" in names


# One instance and one recording peer serve the whole corpus (ids never repeat across
# fixtures); they live on the module's event loop.
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus_rig(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Instance, RecordingPeer]]:
    inst = Instance(tmp_path_factory.mktemp("corpus"))
    await inst.start()
    await inst.community("les-lilas", "Résidence Les Lilas")
    await inst.person("lain")
    peer = RecordingPeer()
    await peer.start()
    yield inst, peer
    await peer.stop()
    await inst.stop()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("path", activity_fixtures(), ids=_name)
async def test_corpus_activity_has_its_expected_outcome(
    corpus_rig: tuple[Instance, RecordingPeer],
    path: Path,
    caplog: pytest.LogCaptureFixture,
    record_property: Any,
) -> None:
    caplog.set_level(logging.DEBUG, logger="fedivoisin")
    inst, peer = corpus_rig
    activity = stage(peer, _load(path), path, inst)
    response = await peer.deliver(inst.base_url + "/inbox", activity)
    refused = REFUSED.get(_name(path))
    if refused is not None:
        status, detail = refused
        assert response.status_code == status, response.text
        assert response.json()["detail"] == detail
        record_property("outcome", f"refused {status}: {detail}")
        return
    assert response.status_code == 202, f"{_name(path)}: {response.status_code} {response.text}"
    row = await wait_processed(inst, activity["id"])
    assert row["state"] == "done", f"{_name(path)}: {row}"
    assert row["error"] is None

    # The worker logs "<type> <id> ignored: <reason>" (kept in the activity log, no side
    # effect) or "<type> <id> refused: <reason>" (dropped without a trace).
    verdicts = [
        m.split(f"{activity['id']} ", 1)[1]
        for m in (r.getMessage() for r in caplog.records)
        if f"{activity['id']} ignored: " in m or f"{activity['id']} refused: " in m
    ]
    oid = ref(activity.get("object"))
    stored = await activity_store.get_object(inst.rt.store, oid) if oid else None
    recorded = await activity_store.get_activity(inst.rt.store, activity["id"])
    if verdicts:
        outcome = verdicts[0]
    elif stored is not None:
        outcome = ("threaded " if stored.in_reply_to else "stored ") + stored.type
        outcome += " (deleted)" if stored.deleted else ""
    else:
        outcome = "handled"
    if not outcome.startswith("refused"):
        assert recorded is not None, "a processed activity is kept in the activity log"
    record_property("outcome", outcome)
    print(f"{_name(path)}: {outcome}")
    expected, checks = EXPECTED[_name(path)]
    assert outcome == expected, f"{_name(path)}: {outcome!r}, expected {expected!r}"
    for check in checks:
        await check(Seen(inst, peer, activity, stored))
