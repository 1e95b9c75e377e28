"""A resident's own data: export everything we hold about them, or delete the account.

People use their real identities here: both must be one command (or one API call) away.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..actor_document import actor_document_of
from ..clock import iso
from ..protocol.documents import PUBLIC
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import inbox_items
from ..store.actors import LocalActor
from .publish import publish


async def export(rt: Runtime, actor: LocalActor) -> dict[str, Any]:
    """Everything stored about the actor: profile, posts, activities, follows, memberships."""
    me = rt.urls.actor(actor.slug)
    store = rt.store
    objects = await store.fetchall(
        "SELECT document, deleted FROM objects WHERE attributed_to = ? ORDER BY id", (me,)
    )
    activities = await activity_store.local_documents(store, me)
    received = await inbox_items.documents(store, actor.slug)
    follows = await store.fetchall(
        "SELECT follower, followee, state FROM follows WHERE follower = ? OR followee = ?", (me, me)
    )
    members = await store.fetchall(
        "SELECT community, role, state, title FROM members WHERE member = ?", (me,)
    )
    doc = actor_document_of(rt.urls, actor)
    doc.pop("@context", None)
    return {
        "exported": iso(rt.clock.now()),
        "actor": doc,
        "objects": [
            {**orjson.loads(r["document"]), **({"deleted": True} if r["deleted"] else {})}
            for r in objects
        ],
        "outbox": activities,
        "inbox": received,
        "following": [r["followee"] for r in follows if r["follower"] == me],
        "followers": [
            {"actor": r["follower"], "state": r["state"]} for r in follows if r["followee"] == me
        ],
        "memberships": [dict(r) for r in members],
    }


async def delete(rt: Runtime, actor: LocalActor) -> dict[str, Any]:
    """Federate Delete(actor) to followers and followed actors, then erase: posts become
    tombstones, follows and memberships go, tokens are revoked, the actor answers 410."""
    me = rt.urls.actor(actor.slug)
    following = await rt.store.fetchall("SELECT followee FROM follows WHERE follower = ?", (me,))
    done = await publish(
        rt,
        actor,
        {"type": "Delete", "object": me, "to": [PUBLIC], "cc": [rt.urls.followers(actor.slug)]},
        extra_recipients=[r["followee"] for r in following],
        store_object=False,
    )
    now = rt.clock.now()
    async with rt.store.transaction():
        if rt.store.dialect == "postgres":
            # Her follows first, before any trigger of the statements below takes a lock on
            # her counters or versions: an Accept of one of her follows being processed at
            # the same moment locks the follows row, then those same rows, and the two
            # waited for each other (PostgreSQL aborted the deletion: a 500). SQLite has a
            # single writer.
            await rt.store.fetchall(
                "SELECT id FROM follows WHERE follower = ? OR followee = ? FOR UPDATE", (me, me)
            )
        await rt.store.execute(
            "UPDATE objects SET deleted = ?, document = json_object('id', uri, 'type', 'Tombstone')"
            " WHERE attributed_to = ? AND deleted IS NULL",
            (now, me),
        )
        await rt.store.execute("DELETE FROM follows WHERE follower = ? OR followee = ?", (me, me))
        await rt.store.execute("DELETE FROM members WHERE member = ?", (me,))
        await rt.store.execute("DELETE FROM inbox_items WHERE owner = ?", (actor.slug,))
        await rt.store.execute("DELETE FROM actor_blocks WHERE blocker = ?", (me,))
        await actor_store.mark_deleted(rt.store, actor, now)
    return done
