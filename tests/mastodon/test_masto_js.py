"""Acceptance with masto.js (npm `masto`, the library Elk and Phanpy are built on):
interop/masto-client/scenario.mjs registers an app, authorises with PKCE, verifies
credentials, posts a status and a poll, replies, favourites, reblogs, reads the home
timeline and notifications, joins a community on a second instance, RSVPs to its event,
votes and deletes, checking every response against masto's entity declarations.

Needs `npm ci` in interop/masto-client (scripts/test does it; it brings its own Node 22).
A missing install FAILS, unless FEDIVOISIN_SKIP_INTEROP=1.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.bridge.oauth_helpers import set_password
from tests.rig import Instance, wait_for

CLIENT_DIR = Path(__file__).resolve().parents[2] / "interop" / "masto-client"
NODE = CLIENT_DIR / "node_modules" / ".bin" / "node"

pytestmark = pytest.mark.interop


async def test_masto_js_end_to_end(instance_factory: Callable[..., Any]) -> None:
    if os.environ.get("FEDIVOISIN_SKIP_INTEROP") == "1":
        pytest.skip("FEDIVOISIN_SKIP_INTEROP=1")
    if not NODE.exists():
        pytest.fail(f"masto.js is not installed: run `npm ci` in {CLIENT_DIR}", pytrace=False)
    home: Instance = await instance_factory()
    other: Instance = await instance_factory()
    await home.person("alice")
    await home.person("bob", manually_approves=False)
    await set_password(home, "alice", "correct horse battery")
    community = await other.community("cour-c", name="Cour C")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")},
        "BASE": home.base_url,
        "USERNAME": "alice",
        "PASSWORD": "correct horse battery",
        "BOB_TOKEN": await home.token("bob"),
        "OTHER_BASE": other.base_url,
        "COMMUNITY": f"cour-c@{other.domain}",
        "COMMUNITY_SLUG": "cour-c",
        "COMMUNITY_URI": community,
        "COMMUNITY_TOKEN": await other.token("cour-c"),
    }
    proc = await asyncio.create_subprocess_exec(
        str(NODE),
        str(CLIENT_DIR / "scenario.mjs"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    lines = out.decode().strip().splitlines()
    assert proc.returncode == 0, out.decode()[-3000:] + err.decode()[-3000:]
    result = json.loads(lines[-1])
    assert result["ok"] and result["me"] == "alice"
    assert {"favourite", "reblog", "mention"} <= set(result["notifications"])
    token = env["COMMUNITY_TOKEN"]

    async def participant() -> bool:
        async with other.http() as c:
            r = await c.get(
                result["event"] + "/participants",
                headers={"Accept": "application/activity+json", "Authorization": f"Bearer {token}"},
            )
            return r.status_code == 200 and home.actor("alice") in r.text

    await wait_for(participant, timeout=10)
