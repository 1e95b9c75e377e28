"""Delivery tests: a fedivoisin sender and light recording receivers (bench/receiver.py).

The receivers are not fedivoisin instances: each listens on its own loopback address
(127.x.y.z), so each is a distinct domain for the sender (its own per-domain limit and
domain health), serves fetchable actor documents and verifies every HTTP signature against
the sender's published key. Followers are seeded straight into the sender's `follows`
table (accepted, with their inbox and shared inbox), as a real Follow + Accept would leave
them; tests/federation covers the Follow handshake itself.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bench.receiver import Receiver
from fedivoisin.store import follows as follow_store
from fedivoisin.store.db import Store

AS2_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_addresses = itertools.count(1)


def next_address() -> str:
    """A loopback address no other receiver of this run uses: 127.0.100+.x."""
    n = next(_addresses)
    return f"127.0.{100 + n // 250}.{1 + n % 250}"


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def make(**kw: Any) -> Receiver:
        kw.setdefault("verify", True)
        r = Receiver([next_address()], **kw)
        await r.start()
        started.append(r)
        return r

    yield make
    for r in started:
        await r.stop()


async def seed_followers(
    store: Store, followee: str, followers: list[tuple[str, str, str | None]]
) -> None:
    """(actor, inbox, shared inbox) rows of accepted followers of `followee`."""
    for actor, inbox, shared in followers:
        await follow_store.upsert(
            store, actor, followee, "accepted", None, time.time(), inbox=inbox, shared_inbox=shared
        )


def follower(r: Receiver, name: str) -> tuple[str, str, str | None]:
    """A follower on receiver `r`; names starting with "solo" have no shared inbox."""
    shared = None if name.startswith("solo") else r.shared_inbox()
    return (r.actor(name), r.inbox(name), shared)


async def delivery_rows(store: Store, activity_id: str) -> dict[str, dict[str, Any]]:
    """inbox -> the delivery row of one activity (as a dict)."""
    rows = await store.fetchall("SELECT * FROM deliveries WHERE activity_uri = ?", (activity_id,))
    return {r["inbox"]: dict(r) for r in rows}


async def domain_health(store: Store, host: str) -> dict[str, Any] | None:
    r = await store.fetchone("SELECT * FROM domain_health WHERE host = ?", (host,))
    return dict(r) if r else None


def note(a: Any, slug: str, text: str) -> dict[str, Any]:
    return {
        "type": "Note",
        "content": f"<p>{text}</p>",
        "to": [AS2_PUBLIC],
        "cc": [a.urls.followers(slug)],
    }


async def trust_sender_key(sender: Any, actor_uri: str, receivers: list[Receiver]) -> None:
    """Give the receivers the sender's published key before the test's fan-out, as peers
    that follow it already have it (a receiver that must fetch it while the sender is
    killed or restarting could not verify the first POST)."""
    from fedivoisin.protocol import keys as keylib

    doc = (await sender.get_json(actor_uri)).json()
    public = keylib.load_public_key_pem(doc["publicKey"]["publicKeyPem"])
    for r in receivers:
        r._keys[doc["publicKey"]["id"]] = public


async def post_note(sender: Any, slug: str, token: str, text: str) -> str:
    """A public note posted through the sender's C2S outbox; the Create's id."""
    async with sender.http() as c:
        r = await c.post(
            f"/actors/{slug}/outbox",
            json=note(sender, slug, text),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 201, r.text
    create_id: str = r.json()["id"]
    return create_id


def seeded_rows(receiver: Receiver, inboxes: int, per_inbox: int) -> list[tuple[str, str, str]]:
    """(actor, inbox, shared inbox) of per_inbox followers on each of the receiver's hosts."""
    return [
        (receiver.actor(f"u{k}", i), receiver.inbox(f"u{k}", i), receiver.shared_inbox(i))
        for i in range(inboxes)
        for k in range(per_inbox)
    ]


async def insert_follows(store: Store, followee: str, rows: list[tuple[str, str, str]]) -> None:
    """seed_followers in one statement, for thousands of followers."""
    await store.executemany(
        "INSERT INTO follows (follower, followee, state, inbox, shared_inbox, created_at)"
        " VALUES (?, ?, 'accepted', ?, ?, 0)",
        [(actor, followee, inbox, shared) for actor, inbox, shared in rows],
    )
