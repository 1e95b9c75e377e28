"""Fixtures for the security tests: fake remote servers on loopback and a few helpers to
attack an instance and prove that nothing happened (through its SQLite file and HTTP).

Most tests run twice, with `allow_private_networks` on and off (SECURITY.md: "tests of the
rules run with the setting both on and off where it matters"). With it off, the instance
cannot reach the loopback fakes, so the attacker's key is put in its key cache beforehand
(as if fetched earlier): the attack then exercises exactly the same checks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from fedivoisin.protocol.actors import host_of
from fedivoisin.store import remote_actors as remote_store
from fedivoisin.store.remote_actors import RemoteActor
from tests.rig import AS2, Instance, database

from . import cavage
from .fakes import FakeActor, FakeRemote

WATCHED = {
    "received": "SELECT activity_uri, state FROM received ORDER BY id",
    "follows": "SELECT follower, followee, state FROM follows ORDER BY id",
    "objects": "SELECT uri, attributed_to, public, deleted, document FROM objects ORDER BY id",
    "activities": "SELECT uri FROM activities ORDER BY id",
    "inbox_items": (
        "SELECT i.owner, a.uri FROM inbox_items i JOIN activities a ON a.id = i.activity_id"
        " ORDER BY i.id"
    ),
}


def query(inst: Instance, sql: str, *params: Any) -> list[Any]:
    """Read the instance's database through a separate connection (tests/rig/database)."""
    return database.query(inst.settings.db_path, sql, *params)


def count(inst: Instance, table: str, where: str = "1 = 1", *params: Any) -> int:
    return int(query(inst, f"SELECT count(*) FROM {table} WHERE {where}", *params)[0][0])


def snapshot(inst: Instance) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an attack could change that a user would see."""
    return {name: [tuple(r) for r in query(inst, sql)] for name, sql in WATCHED.items()}


def assert_nothing_stored(inst: Instance) -> None:
    """Fresh instance after an attack: not one row anywhere an activity leaves a trace."""
    state = snapshot(inst)
    assert state == {name: [] for name in WATCHED}, state


def assert_problem(resp: Any, *statuses: int) -> dict[str, Any]:
    """A refusal is an RFC 9457 problem with a title and a detail."""
    assert resp.status_code in statuses, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body: dict[str, Any] = resp.json()
    assert body.get("title") and body.get("detail"), body
    return body


async def processed(inst: Instance, timeout: float = 10.0) -> None:
    """Wait until the inbox worker has handled every received row at least once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(inst, "received", "state = 'pending' AND attempts = 0") == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the inbox worker did not process the queue in time")


async def introduce(inst: Instance, actor: FakeActor) -> None:
    """Put `actor` and its key in the instance's cache, as if fetched from its origin.

    Needed when allow_private_networks is off: the instance then cannot reach loopback.
    """
    doc = actor.document
    remote = RemoteActor(
        uri=actor.uri,
        type=str(doc.get("type", "Person")),
        host=host_of(actor.uri),
        preferred_username=actor.name,
        name=actor.name,
        inbox=actor.inbox,
        shared_inbox=actor.remote.origin + "/inbox",
        followers=actor.followers,
        key_id=actor.key_id,
        public_key_pem=cavage.public_pem(actor.key),
        document=doc,
        fetched_at=time.time(),
    )

    async def save(store: Any, clock: Any) -> None:
        await remote_store.save(store, remote)

    await inst.admin(save)


class ShiftedClock:
    """Real time plus an offset the test can advance (signatures stay in their window)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


async def block(inst: Instance, host: str) -> None:
    from fedivoisin import admin

    await inst.admin(admin.block_domain, host, "test")
    inst.rt.invalidate_blocks()


_KEY_POOL: list[dict[str, str]] = []


@pytest.fixture(autouse=True)
def reuse_actor_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local actors get their keys from a session pool instead of fresh RSA-2048 keys.

    Why: generating a key costs ~65 ms and every test creates 2-4 actors. Within one test
    every actor still has its own distinct key; only the pool is reused across tests.
    """
    from fedivoisin import admin

    real = admin._key_material
    used = 0

    def pooled() -> dict[str, str]:
        nonlocal used
        while len(_KEY_POOL) <= used:
            _KEY_POOL.append(real())
        used += 1
        return dict(_KEY_POOL[used - 1])

    monkeypatch.setattr(admin, "_key_material", pooled)


# instance_factory / instance come from tests/conftest.py (the rig's Instance runs on a
# quick-exit uvicorn, fedivoisin/web/embedded.py).


@pytest.fixture
async def remote() -> AsyncIterator[FakeRemote]:
    async with FakeRemote("127.0.0.1") as fake:
        yield fake


@pytest.fixture
async def remote2() -> AsyncIterator[FakeRemote]:
    async with FakeRemote("127.0.0.2") as fake:
        yield fake


@pytest.fixture(params=[True, False], ids=["private-on", "private-off"])
def private(request: pytest.FixtureRequest) -> bool:
    flag: bool = request.param
    return flag


@pytest.fixture
async def target(instance_factory: Callable[..., Any], private: bool) -> Instance:
    """The attacked instance, with allow_private_networks as parametrised."""
    inst: Instance = await instance_factory(allow_private_networks=private)
    return inst


@pytest.fixture
async def make_known(target: Instance, private: bool) -> Callable[[FakeActor], Any]:
    """`await make_known(actor)`: with private networks off, pre-cache the actor's key."""

    async def known(actor: FakeActor) -> None:
        if not private:
            await introduce(target, actor)

    return known


async def c2s(inst: Instance, slug: str, token: str, activity: dict[str, Any]) -> dict[str, Any]:
    """Post through the client-to-server outbox, as a resident's app would."""
    async with inst.http() as client:
        resp = await client.post(
            f"/actors/{slug}/outbox",
            json=activity,
            headers={"Authorization": f"Bearer {token}", "Content-Type": AS2},
        )
    assert resp.status_code == 201, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


async def inbox_listing(inst: Instance, slug: str, token: str) -> list[dict[str, Any]]:
    """What the resident sees in their inbox (GET with their token)."""
    async with inst.http() as client:
        resp = await client.get(
            f"/actors/{slug}/inbox?page=1",
            headers={"Authorization": f"Bearer {token}", "Accept": AS2},
        )
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["orderedItems"]
    return items


async def signed_get(inst: Instance, path: str, actor: FakeActor | None) -> Any:
    """GET `path` as `actor` (independent signature), or unsigned when actor is None."""
    import httpx

    headers = {"Accept": AS2}
    if actor is not None:
        headers.update(actor.sign("GET", inst.base_url + path, None))
    async with httpx.AsyncClient(base_url=inst.base_url, timeout=10) as client:
        return await client.get(path, headers=headers)
