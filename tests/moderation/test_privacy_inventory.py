"""docs/privacy.md lists every column of the schema (all migrations applied): a new column
without an entry fails here, and so does any column that would hold an IP address or a
user agent."""

from __future__ import annotations

import re
from pathlib import Path

from fedivoisin.store import stats
from fedivoisin.store.db import Store

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
FORBIDDEN = re.compile(r"(^|_)(ip|ip_address|remote_addr|user_agent|useragent|ua)($|_)")


async def test_every_column_is_in_the_privacy_inventory(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        schema = set()
        for table in await stats.tables(store):
            for col in await stats.columns(store, table):
                schema.add(f"{table}.{col}")
    finally:
        await store.close()
    inventory_text = DOC.read_text("utf-8").split("## Inventory", 1)[1]
    listed = set(re.findall(r"`([a-z_0-9]+\.[a-z_0-9]+)`", inventory_text))
    missing = sorted(schema - listed)
    assert not missing, f"add these columns to docs/privacy.md (## Inventory): {missing}"
    stale = sorted(listed - schema)
    assert not stale, f"docs/privacy.md lists columns that no longer exist: {stale}"
    assert not [c for c in schema if FORBIDDEN.search(c.split(".", 1)[1])]
