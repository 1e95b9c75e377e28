"""Keys are cached with a TTL: past it the owner is re-read from its origin, yet the key is
replaced only after a verification failure (SECURITY.md rule 7)."""

from __future__ import annotations

import time
from pathlib import Path

from fedivoisin.clock import FrozenClock
from tests.rig import Instance
from tests.rig.peer import RecordingPeer


async def test_cached_key_is_revalidated_after_its_ttl(tmp_path: Path) -> None:
    clock = FrozenClock(time.time())
    async with (
        RecordingPeer() as peer,
        Instance(tmp_path / "a", clock=clock, key_cache_ttl=3600) as a,
    ):
        await a.community("les-lilas")
        alice = peer.add_actor("/users/alice")

        def like(n: int) -> dict[str, object]:
            return {
                "id": f"{alice}/likes/{n}",
                "type": "Like",
                "actor": alice,
                "object": a.actor("les-lilas"),
            }

        inbox = a.actor("les-lilas") + "/inbox"
        assert (await peer.deliver(inbox, like(1))).status_code == 202
        fetches = [g for g in peer.gets if g.path == "/users/alice"]
        assert len(fetches) == 1
        assert (await peer.deliver(inbox, like(2))).status_code == 202
        assert len([g for g in peer.gets if g.path == "/users/alice"]) == 1  # cached

        clock.advance(3601)  # past the TTL: the owner is re-read, the key kept
        peer.serve(alice, peer.actor_document(alice, name="Alice renamed"))
        r = await peer.deliver(inbox, like(3))
        assert r.status_code == 202, r.text
        assert len([g for g in peer.gets if g.path == "/users/alice"]) == 2
        row = await a.rt.store.fetchone("SELECT name FROM remote_actors WHERE uri = ?", (alice,))
        assert row["name"] == "Alice renamed"
