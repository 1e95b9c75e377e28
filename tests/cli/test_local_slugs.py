"""Issue 15 item 6: the CLI accepts a local slug wherever it accepts a handle or a URL, and
says what it resolved to (`relay add quartier-nord les-lilas`, as docs/communities.md says)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.rig import ProcessInstance, wait_for


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    return subprocess.run(
        [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(cli, data_dir, *args)


async def test_relay_follow_and_unfollow_accept_a_local_slug(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for slug, kind in (("quartier-nord", "quartier"), ("les-lilas", "building")):
        made = await run(data, "community", "create", slug, "--name", slug, "--kind", kind)
        assert made.returncode == 0, made.stderr
    made = await run(data, "actor", "create", "alice", "--type", "Person", "--name", "Alice")
    assert made.returncode == 0, made.stderr
    async with ProcessInstance(data, allow_private_networks=True) as inst:
        relay = await run(
            data, "relay", "add", "quartier-nord", "les-lilas", "--kinds", "events,alerts"
        )
        assert relay.returncode == 0, relay.stderr
        assert inst.actor("les-lilas") in relay.stdout  # says what it resolved to
        listed = await run(data, "relay", "list", "quartier-nord")
        assert inst.actor("les-lilas") in listed.stdout

        followed = await run(data, "follow", "alice", "les-lilas")
        assert followed.returncode == 0, followed.stderr
        assert inst.actor("les-lilas") in followed.stdout

        async def followers() -> int:
            r = await inst.get_json(inst.actor("les-lilas") + "/followers")
            return int(r.json().get("totalItems", 0)) if r.status_code == 200 else 0

        assert await wait_for(lambda: _eq(followers, 2), timeout=15)

        gone = await run(data, "unfollow", "alice", "les-lilas")
        assert gone.returncode == 0, gone.stderr
        assert inst.actor("les-lilas") in gone.stdout
        assert await wait_for(lambda: _eq(followers, 1), timeout=15)

    unknown = await run(data, "follow", "alice", "nobody-here")
    assert unknown.returncode != 0
    assert "nobody-here" in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1


async def _eq(f: object, n: int) -> bool:
    return await f() == n  # type: ignore[operator]
