"""What each activity of the corpus (tests/fixtures) must do in our inbox (test_corpus.py).

One row per fixture: the outcome line the test computes (what was stored and how, or the
worker's exact "ignored:"/"refused:" reason, or "handled" for activities that store no
object) and the effects a user would see, checked on the database and on what the peer
received. A new fixture without a row here fails the corpus test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fedivoisin.protocol.addressing import ref
from fedivoisin.store import activities as activity_store
from fedivoisin.store import follows as follow_store
from fedivoisin.store import members as member_store
from fedivoisin.store import remote_actors as remote_store
from fedivoisin.store.activities import StoredObject
from tests.rig import Instance
from tests.rig.peer import RecordingPeer


@dataclass(frozen=True)
class Seen:
    """One processed fixture: the instance, the peer that sent it, the activity as sent and
    the stored object its `object` names (None when none was stored)."""

    inst: Instance
    peer: RecordingPeer
    activity: dict[str, Any]
    stored: StoredObject | None

    @property
    def actor(self) -> str:
        actor = ref(self.activity.get("actor"))
        assert actor is not None
        return actor


Check = Callable[[Seen], Awaitable[None]]


def stored(
    kind: str,
    *,
    contains: str | None = None,
    public: bool = True,
    reply: bool = False,
    timed: bool = False,
    community: str | None = None,
    **fields: Any,
) -> Check:
    """The object is stored with our `kind`, by the activity's actor, with its text."""

    async def check(seen: Seen) -> None:
        obj = seen.stored
        assert obj is not None, "no object stored"
        assert obj.kind == kind and obj.public is public, (obj.kind, obj.public)
        inner = seen.activity["object"]
        author = inner.get("attributedTo", seen.actor) if isinstance(inner, dict) else seen.actor
        assert obj.attributed_to == ref(author), obj.attributed_to
        assert bool(obj.in_reply_to) is reply, obj.in_reply_to
        assert (obj.start_time is not None) is timed, obj.start_time
        expected = seen.inst.urls.actor(community) if community else None
        assert obj.community_uri == expected, obj.community_uri
        text = " ".join(str(obj.document.get(k) or "") for k in ("name", "summary", "content"))
        if contains is not None:
            assert contains in text, text[:300]
        for key, value in fields.items():
            assert obj.document.get(key) == value, (key, obj.document.get(key))

    return check


def follow(slug: str, state: str) -> Check:
    async def check(seen: Seen) -> None:
        row = await follow_store.get(seen.inst.rt.store, seen.actor, seen.inst.urls.actor(slug))
        assert row is not None and row.state == state, row
        assert row.activity_uri == seen.activity["id"]

    return check


def no_follow(slug: str) -> Check:
    async def check(seen: Seen) -> None:
        target = seen.inst.urls.actor(slug)
        assert await follow_store.get(seen.inst.rt.store, seen.actor, target) is None
        assert await follow_store.get(seen.inst.rt.store, target, seen.actor) is None

    return check


def member_of(slug: str) -> Check:
    async def check(seen: Seen) -> None:
        community = seen.inst.urls.actor(slug)
        assert await member_store.is_member(seen.inst.rt.store, community, seen.actor)

    return check


def accept_sent() -> Check:
    """Our Accept of the Follow reached the follower's inbox on the peer."""

    async def check(seen: Seen) -> None:
        def accepts(post: Any) -> bool:
            body = post.json()
            return body.get("type") == "Accept" and ref(body.get("object")) == seen.activity["id"]

        await seen.peer.wait_for_post(accepts)

    return check


def in_inbox_of(slug: str) -> Check:
    """Listed in the local actor's inbox (GET inbox)."""

    async def check(seen: Seen) -> None:
        row = await seen.inst.rt.store.fetchone(
            "SELECT owner FROM inbox_items i JOIN activities a ON a.id = i.activity_id"
            " WHERE i.owner = ? AND a.uri = ?",
            (slug, seen.activity["id"]),
        )
        assert row is not None, f"not in {slug}'s inbox"

    return check


def flagged(community: str | None = None) -> Check:
    """A report in the moderation queue (the community's, or the instance's)."""

    async def check(seen: Seen) -> None:
        row = await seen.inst.rt.store.fetchone(
            "SELECT direction, reporter, community, state FROM flags WHERE uri = ?",
            (seen.activity["id"],),
        )
        assert row is not None, "no report stored"
        expected = seen.inst.urls.actor(community) if community else None
        assert (row["direction"], row["reporter"], row["community"], row["state"]) == (
            "in",
            seen.actor,
            expected,
            "open",
        ), dict(row)

    return check


def favourited() -> Check:
    async def check(seen: Seen) -> None:
        row = await seen.inst.rt.store.fetchone(
            "SELECT object_uri FROM favourites WHERE actor_uri = ? AND activity_uri = ?",
            (seen.actor, seen.activity["id"]),
        )
        assert row is not None and row["object_uri"] == ref(seen.activity["object"]), row

    return check


def actor_not_cached() -> Check:
    """A deleted actor is not (or no longer) in our remote-actor cache."""

    async def check(seen: Seen) -> None:
        assert await remote_store.get(seen.inst.rt.store, seen.actor) is None

    return check


def remote_name(name: str) -> Check:
    async def check(seen: Seen) -> None:
        cached = await remote_store.get(seen.inst.rt.store, seen.actor)
        assert cached is not None and cached.name == name, cached

    return check


def nested_stored(type_: str) -> Check:
    """An Announce of a Create (FEP-1b12 group): the inner object is stored."""

    async def check(seen: Seen) -> None:
        inner = seen.activity["object"]["object"]
        obj = await activity_store.get_object(seen.inst.rt.store, inner["id"])
        assert obj is not None and obj.type == type_, obj

    return check


def nothing_but_the_log() -> Check:
    """No follow, report, favourite or object came of it (only the activity log row)."""

    async def check(seen: Seen) -> None:
        store = seen.inst.rt.store
        for sql in (
            "SELECT 1 FROM follows WHERE follower = ? OR followee = ?",
            "SELECT 1 FROM flags WHERE reporter = ? OR account = ?",
            "SELECT 1 FROM favourites WHERE actor_uri = ? OR object_uri = ?",
            "SELECT 1 FROM objects WHERE attributed_to = ? OR uri = ?",
        ):
            assert await store.fetchone(sql, (seen.actor, seen.actor)) is None, sql

    return check


NOTE, EVENT = "note", "event"

#: fixture -> (outcome line, effects). Fixtures our inbox refuses with a status are in
#: test_corpus.REFUSED instead.
EXPECTED: dict[str, tuple[str, list[Check]]] = {
    "bridgy-fed/create-note.json": ("stored Note", [stored(NOTE, contains="Coupure d'eau")]),
    "friendica/create-event.json": (
        "stored Event",
        [stored(EVENT, contains="Vide-grenier de la rue des Lilas", timed=True)],
    ),
    "friendica/create-note.json": ("threaded Note", [stored(NOTE, contains="test", reply=True)]),
    "gancio/create-event.json": ("stored Event", [stored(EVENT, contains="Colosseo", timed=True)]),
    "gotosocial/create-poll-vote.json": (
        "threaded Note",
        [stored(NOTE, contains="tissues", public=False, reply=True)],
    ),
    "gotosocial/flag.json": ("handled", [flagged()]),
    "gotosocial/move.json": ("handled", [nothing_but_the_log()]),
    "hubzilla/create-note.json": ("stored Note", [stored(NOTE, contains="local vélos")]),
    "kroeg/create-note-array-less-emoji.json": (
        "stored Note",
        [stored(NOTE, contains="spinning up an extra process")],
    ),
    "lemmy/announce-create-page.json": ("handled", [nested_stored("Page")]),
    "lemmy/delete-user.json": ("handled", [actor_not_cached(), nothing_but_the_log()]),
    "lemmy/flag-report-page.json": ("handled", [flagged("les-lilas"), in_inbox_of("les-lilas")]),
    "lemmy/follow-community.json": (
        "handled",
        [follow("les-lilas", "accepted"), member_of("les-lilas"), accept_sent()],
    ),
    "lemmy/like-note.json": ("handled", [favourited()]),
    "lemmy/update-community.json": (
        "refused: an actor can only update itself",
        [nothing_but_the_log()],
    ),
    "mastodon/accept-follow.json": ("ignored: no pending follow to accept", [no_follow("lain")]),
    "mastodon/announce.json": ("stored Note", [stored(NOTE, contains="stub served")]),
    "mastodon/block.json": ("handled", [in_inbox_of("lain"), no_follow("lain")]),
    "mastodon/create-note-attachment.json": ("stored Note", [stored(NOTE, contains="<p>")]),
    "mastodon/create-note-direct-mention.json": (
        "stored Note",
        [stored(NOTE, contains="framapiaf", public=False)],
    ),
    "mastodon/create-note-hashtag.json": (
        "stored Note",
        [stored(NOTE, contains="localtesting"), in_inbox_of("lain")],
    ),
    "mastodon/create-note-poll-vote.json": (
        "threaded Note",
        [stored(NOTE, contains="suya", public=False, reply=True)],
    ),
    "mastodon/create-note-public-mention-cw.json": (
        "stored Note",
        [stored(NOTE, contains="localtesting"), in_inbox_of("lain")],
    ),
    "mastodon/create-question-oneof.json": (
        "stored Question",
        [stored("poll", contains="Tenshi eating a corndog")],
    ),
    "mastodon/delete-actor.json": ("handled", [actor_not_cached(), nothing_but_the_log()]),
    "mastodon/delete-note-tombstone.json": (
        "ignored: Delete of an object we do not have",
        [nothing_but_the_log()],
    ),
    "mastodon/flag.json": ("handled", [flagged()]),
    "mastodon/follow.json": ("handled", [follow("lain", "pending"), in_inbox_of("lain")]),
    "mastodon/like.json": ("handled", [favourited()]),
    "mastodon/reject-follow.json": ("handled", [no_follow("lain")]),
    "mastodon/undo-announce.json": (
        "refused: an actor can only undo its own activities",
        [nothing_but_the_log()],
    ),
    "mastodon/undo-follow.json": ("handled", [no_follow("lain")]),
    "mastodon/undo-like.json": ("ignored: Undo(Like) recorded only", [nothing_but_the_log()]),
    "mastodon/update-person.json": ("handled", [remote_name("gargle")]),
    "misskey/create-note.json": ("stored Note", [stored(NOTE, contains="meow")]),
    "mitra/accept-follow-with-proof.json": (
        "ignored: Accept of an unknown request",
        [nothing_but_the_log()],
    ),
    "mitra/create-note-to-group.json": (
        "stored Note",
        [
            stored(NOTE, contains="Remote post 5", community="les-lilas"),
            in_inbox_of("les-lilas"),
        ],
    ),
    "mobilizon/create-event.json": ("stored Event", [stored(EVENT, contains="<p>", timed=True)]),
    "mobilizon/leave-event.json": (
        "ignored: Leave of something that is not a local community or event",
        [nothing_but_the_log()],
    ),
    "peertube/announce-video.json": ("stored Note", [stored(NOTE, contains="stub served")]),
    "pixelfed/create-note-with-place.json": ("stored Note", [stored(NOTE, contains="Shadows")]),
    "pleroma/create-chat-message.json": (
        "stored ChatMessage",
        [stored("unknown", contains="You expected a cute girl", public=False)],
    ),
    "pleroma/emoji-react.json": ("handled", [nothing_but_the_log()]),
    "threads/create-note.json": ("stored Note", [stored(NOTE, contains="Marché aux plantes")]),
    "wordpress/create-article.json": (
        "stored Article",
        [stored(NOTE, contains="Fête des voisins 2025", name="Fête des voisins 2025")],
    ),
}
