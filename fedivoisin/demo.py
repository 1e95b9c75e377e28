"""`fedivoisin demo`: three instances on loopback play a short scene, so a newcomer sees the
mesh work in a minute. Everything runs in this process and stops at the end."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from . import admin
from .config import load_settings
from .outbox import community as cm
from .web.app import create_app
from .web.embedded import EmbeddedServer

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    def __init__(self, name: str, data: Path) -> None:
        self.name = name
        port = _port()
        self.settings = load_settings(
            {
                "data_dir": data / name,
                "port": port,
                "allow_private_networks": True,
                "retry_base_delay": 0.2,
                "worker_poll_interval": 0.05,
                "log_level": "error",
                "instance_name": name,
            },
            env={},
        )
        self.app = create_app(self.settings)
        self.server = EmbeddedServer(self.app, port)

    @property
    def rt(self) -> Any:
        return self.app.state.runtime

    def actor(self, slug: str) -> str:
        return self.rt.urls.actor(slug)

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def post(self, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await admin.create_token(self.rt.store, self.rt.clock, slug)
        async with httpx.AsyncClient(timeout=10) as c:
            r = await c.post(
                self.actor(slug) + "/outbox",
                json=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": AS2},
            )
        r.raise_for_status()
        doc: dict[str, Any] = r.json()
        return doc

    async def inbox(self, slug: str) -> list[dict[str, Any]]:
        rows = await self.rt.store.fetchall(
            "SELECT a.type, a.actor_uri, a.object_uri FROM inbox_items i"
            " JOIN activities a ON a.id = i.activity_id WHERE i.owner = ? ORDER BY i.id",
            (slug,),
        )
        return [dict(r) for r in rows]


async def until(cond: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await cond():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the scene did not complete in time")


@contextlib.asynccontextmanager
async def three_instances() -> AsyncIterator[tuple[Node, Node, Node]]:
    with tempfile.TemporaryDirectory(prefix="fedivoisin-demo-") as tmp:
        nodes = (Node("lilas", Path(tmp)), Node("tilleuls", Path(tmp)), Node("quartier", Path(tmp)))
        for n in nodes:
            await n.start()
        try:
            yield nodes
        finally:
            for n in nodes:
                await n.stop()


def say(line: str = "") -> None:
    print(line, flush=True)


async def run_demo() -> int:
    try:
        return await _scene()
    except TimeoutError as exc:
        print(f"fedivoisin demo: {exc}", flush=True)
        return 1


async def _scene() -> int:
    async with three_instances() as (a, b, q):
        say("Three instances on loopback:")
        for n in (a, b, q):
            say(f"  {n.name:9} {n.settings.origin}")
        clock = a.rt.clock
        lilas = await admin.create_community(
            a.rt.store, clock, "les-lilas", name="Résidence Les Lilas", kind="building"
        )
        tilleuls = await admin.create_community(
            b.rt.store, clock, "les-tilleuls", name="Les Tilleuls", kind="building"
        )
        nord = await admin.create_community(
            q.rt.store, clock, "quartier-nord", name="Quartier Nord", kind="quartier"
        )
        await admin.create_actor(a.rt.store, clock, "alice", type_="Person", name="Alice")
        await admin.create_actor(b.rt.store, clock, "bob", type_="Person", name="Bob")
        await admin.create_actor(q.rt.store, clock, "mairie", type_="Organization", name="Mairie")
        await cm.add_member(a.rt, lilas, "alice")
        await cm.add_member(b.rt, tilleuls, "bob")
        await cm.add_member(q.rt, nord, "mairie", may_alert=True, title="mairie")
        say("\nThe mesh: each building relays the quartier's events and alerts;")
        say("the quartier relays its buildings' events.")
        await cm.add_relay(a.rt, lilas, q.actor("quartier-nord"), ["alert", "event"])
        await cm.add_relay(b.rt, tilleuls, q.actor("quartier-nord"), ["alert", "event"])
        await cm.add_relay(q.rt, nord, a.actor("les-lilas"), ["event"])
        await cm.add_relay(q.rt, nord, b.actor("les-tilleuls"), ["event"])
        for n, slug in ((a, "alice"), (b, "bob")):
            await n.post(
                slug,
                {"type": "Follow", "object": n.actor("les-" + ("lilas" if n is a else "tilleuls"))},
            )

        async def follows_accepted() -> bool:
            total = 0
            for n in (a, b, q):
                row = await n.rt.store.fetchone(
                    "SELECT count(*) AS c FROM follows WHERE state = 'accepted'"
                )
                total += row["c"] if row else 0
            return total >= 8

        await until(follows_accepted)
        say("  follows accepted across the three instances")

        say("\n1. Les Lilas posts a garden party.")
        event = (
            await a.post(
                "les-lilas",
                {
                    "type": "Event",
                    "name": "Fête des voisins",
                    "content": "<p>Apportez un plat !</p>",
                    "startTime": "2031-06-06T19:00:00+02:00",
                    "endTime": "2031-06-06T23:00:00+02:00",
                    "timezone": "Europe/Paris",
                    "to": [PUBLIC],
                    "cc": [a.actor("les-lilas") + "/followers"],
                    "audience": a.actor("les-lilas"),
                },
            )
        )["object"]["id"]

        async def bob_sees_event() -> bool:
            return any(i["object_uri"] == event for i in await b.inbox("bob"))

        await until(bob_sees_event)
        say(f"   lilas → quartier: Create(Event) {event}")
        say("   quartier → tilleuls: Announce(Event)   (relay: events)")
        say("   tilleuls → bob: Announce(Event)          bob sees the party of the other building")

        say("\n2. The town hall posts a water-cut alert to the quartier.")
        alert = (
            await q.post(
                "mairie",
                {
                    "type": "Note",
                    "kind": "Alert",
                    "name": "Coupure d'eau",
                    "content": "<p>Coupure d'eau mardi de 8h à 12h.</p>",
                    "alertStatus": "Actual",
                    "msgType": "Alert",
                    "alertCategory": "Infra",
                    "urgency": "Expected",
                    "severity": "Minor",
                    "certainty": "Observed",
                    "to": [PUBLIC, q.actor("quartier-nord")],
                    "audience": q.actor("quartier-nord"),
                },
            )
        )["object"]["id"]

        async def both_alerted() -> bool:
            return any(i["object_uri"] == alert for i in await a.inbox("alice")) and any(
                i["object_uri"] == alert for i in await b.inbox("bob")
            )

        await until(both_alerted)
        say("   mairie → quartier: Create(Note kind=Alert)")
        say("   quartier → lilas, tilleuls: Announce(Alert)")
        say("   lilas → alice, tilleuls → bob: Announce(Alert)   once each")

        say("\n3. Bob (Les Tilleuls) replies to the garden party.")
        reply = (
            await b.post(
                "bob",
                {
                    "type": "Note",
                    "content": "<p>On viendra avec une tarte !</p>",
                    "inReplyTo": event,
                    "to": [PUBLIC, a.actor("les-lilas")],
                    "audience": a.actor("les-lilas"),
                },
            )
        )["object"]["id"]

        async def alice_sees_reply() -> bool:
            return any(i["object_uri"] == reply for i in await a.inbox("alice"))

        await until(alice_sees_reply)
        say("   tilleuls → lilas: Create(Note inReplyTo the party)")
        say("   lilas → alice: Announce(reply)   threaded under the party")
        say("\nEvery activity above was signed and verified. Demo finished; all instances stopped.")
    return 0
