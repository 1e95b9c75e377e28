"""Issue 10 acceptance: an ICS file served on loopback with 3 events is imported into a
community; changing one and removing one federates exactly 3 Create, 1 Update and 1 Delete
to a follower; a restart of the server and a re-fetch federate nothing new."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.rig import ProcessInstance, wait_for
from tests.rig.peer import RecordingPeer

from .helpers import ICS_TYPE, THREE_EVENTS, calendar, follow, objects_of, received, vevent


async def _api(inst: ProcessInstance, method: str, path: str, token: str, body: Any = None) -> Any:
    async with inst.http() as c:
        r = await c.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _cli(inst: ProcessInstance, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fedivoisin",
        *args,
        "--data-dir",
        str(inst.data_dir),
        "--base-url",
        inst.base_url,
        env=inst.env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out
    return out.decode()


async def test_ics_import_federates_3_create_1_update_1_delete_and_nothing_after_restart(
    tmp_path: Path,
) -> None:
    async with RecordingPeer() as peer, ProcessInstance(tmp_path / "a") as a:
        await a.community("lilas", "Résidence Les Lilas")
        token = await a.token("lilas")
        await follow(peer, a, "lilas")
        url = peer.serve("/agenda.ics", calendar(*THREE_EVENTS), content_type=ICS_TYPE)
        imp = await _api(
            a,
            "POST",
            "/api/v1/imports",
            token,
            {"community": "lilas", "url": url, "as": "events", "every": "15m"},
        )
        source = imp["source_actor"]
        await _api(a, "POST", f"/api/v1/imports/{imp['id']}/run", token)
        await wait_for(lambda: _got(peer, source, Create=3), timeout=15)
        created = {o["name"]: o for o in objects_of(peer, source, "Create")}
        assert set(created) == {"Fête des voisins", "Brocante", "Conseil de quartier"}
        assert created["Fête des voisins"]["startTime"] == "2031-06-06T19:00:00+02:00"

        # The town hall moves the flea market and drops the council meeting.
        moved = vevent("brocante@mairie", "Brocante", "20310614T080000", "20310614T180000")
        peer.serve(
            "/agenda.ics",
            calendar(THREE_EVENTS[0], moved, stamp="20260601T000000Z"),
            content_type=ICS_TYPE,
        )
        status = (await _api(a, "POST", f"/api/v1/imports/{imp['id']}/run", token))["status"]
        assert status["last_result"] == "0 new, 1 updated, 1 deleted, 0 skipped"
        await wait_for(lambda: _got(peer, source, Create=3, Update=1, Delete=1), timeout=15)
        (updated,) = objects_of(peer, source, "Update")
        assert updated["id"] == created["Brocante"]["id"]
        assert updated["startTime"] == "2031-06-14T08:00:00+02:00"
        (deleted,) = objects_of(peer, source, "Delete")
        assert deleted["id"] == created["Conseil de quartier"]["id"]

        # Restart, then fetch again (the same calendar, re-stamped): nothing new.
        await a.stop()
        await a.start()
        peer.serve(
            "/agenda.ics",
            calendar(THREE_EVENTS[0], moved, stamp="20261203T000000Z"),
            content_type=ICS_TYPE,
        )
        out = await _cli(a, "import", "run", imp["id"])
        assert "ok (0 new, 0 updated, 0 deleted, 0 skipped)" in out
        status = (await _api(a, "POST", f"/api/v1/imports/{imp['id']}/run", token))["status"]
        assert status["last_result"] == "0 new, 0 updated, 0 deleted, 0 skipped"
        listed = await _cli(a, "import", "list", "lilas")
        assert "status: ok" in listed and "items: 2" in listed
        await asyncio.sleep(1.0)  # anything queued would have gone out by now
        assert received(peer, source) == {"Create": 3, "Update": 1, "Delete": 1}
        # What a reader sees: two events, the moved one at its new date.
        async with httpx.AsyncClient() as c:
            r = await c.get(
                a.base_url + "/actors/lilas/events?page=1",
                headers={"Accept": "application/activity+json"},
            )
        names = sorted(e["name"] for e in r.json()["orderedItems"])
        assert names == ["Brocante", "Fête des voisins"]


async def _got(peer: RecordingPeer, source: str, **want: int) -> bool:
    got = received(peer, source)
    return all(got[k] >= v for k, v in want.items())
