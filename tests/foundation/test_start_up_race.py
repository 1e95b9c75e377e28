"""Several processes starting together on one database (`serve --workers N`, or several
`serve` units on PostgreSQL) each make sure the instance actor exists: one creates it, the
others must take that one, not fail their start-up on the duplicate."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fedivoisin import admin
from fedivoisin.clock import SystemClock
from fedivoisin.store.db import Store


async def test_processes_starting_together_share_one_instance_actor(tmp_path: Path) -> None:
    stores = [await Store.open(tmp_path / "start.sqlite3") for _ in range(3)]
    try:
        actors = await asyncio.gather(
            *(admin.ensure_instance_actor(s, SystemClock(), "Quartier Nord") for s in stores)
        )
        assert len({(a.id, a.rsa_public_pem) for a in actors}) == 1
        rows = await stores[0].fetchall("SELECT count(*) FROM actors WHERE type = 'Application'")
        assert rows[0][0] == 1
    finally:
        for s in stores:
            await s.close()
