"""A `serve --no-jobs` web process and one `fedivoisin worker` on one data directory
(issue 14 item 3: on SQLite the worker processes the inbox on a core of its own, while the
web process accepts). Runs on both engines; the locks are SQLite's (on PostgreSQL any
number of workers share the queues, tests/delivery/test_processes.py).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.receiver import Receiver, loopback_hosts
from fedivoisin.clock import Clock
from fedivoisin.store.db import Store
from tests.rig import ProcessInstance, WorkerProcess, database, free_port, wait_for
from tests.rig.peer import RecordingPeer

from .conftest import insert_follows, post_note, seeded_rows, trust_sender_key


async def cli(like: ProcessInstance, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(like.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**like.env(), **env},
    )


def one_line(out: subprocess.CompletedProcess[str], needle: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


async def test_one_process_runs_the_jobs_of_a_data_directory(tmp_path: Path) -> None:
    """Two job runners on one SQLite file would both deliver every row: while a worker
    runs, a second worker and a `serve` with its jobs on are refused in one line, a
    `serve --no-jobs` starts."""
    web = ProcessInstance(tmp_path / "a", run_jobs=False)
    worker = await WorkerProcess(web).start()
    try:
        one_line(await cli(web, "worker"), f"already run in process {worker.pid}")
        jobs_on = await cli(web, "serve", "--port", str(free_port()), FEDIVOISIN_RUN_JOBS="1")
        one_line(jobs_on, f"already run in process {worker.pid}")
        await web.start()  # --no-jobs (run_jobs off): the web side only
        async with web.http() as c:
            assert (await c.get("/.well-known/nodeinfo")).status_code == 200
    finally:
        await web.stop()
        await worker.stop()


def state_of(data: Path, activity_id: str) -> str | None:
    rows = database.query(
        data / "fedivoisin.sqlite3",
        "SELECT state FROM received WHERE activity_uri = ?",
        activity_id,
    )
    return str(rows[0][0]) if rows else None


async def test_the_worker_process_delivers_and_processes_what_the_web_process_queues(
    tmp_path: Path,
) -> None:
    """The worker polls only every 30 s here: that the post reaches its followers' inboxes
    and a received Create is processed within seconds shows the worker is woken by the web
    process's commits. Killed, it loses nothing: what arrives meanwhile waits, accepted,
    and its successor processes it."""
    data = tmp_path / "a"
    web = ProcessInstance(data, run_jobs=False, worker_poll_interval=30.0)
    followee = await web.community("les-lilas", "Résidence Les Lilas")
    token = await web.token("les-lilas")
    receiver = Receiver(loopback_hosts(3, first=0x090000), verify=True)
    await receiver.start()
    worker: WorkerProcess | None = None
    try:
        seeded = seeded_rows(receiver, 3, 2)

        async def seed(store: Store, _clock: Clock) -> None:
            await insert_follows(store, followee, seeded)

        await web.admin(seed)
        await web.start()
        worker = await WorkerProcess(web).start()
        await trust_sender_key(web, followee, [receiver])
        create_id = await post_note(web, "les-lilas", token, "Fête des voisins samedi")

        async def delivered() -> bool:
            got = {inbox for aid, inbox in receiver.unique() if aid == create_id}
            return got == {receiver.shared_inbox(i) for i in range(3)}

        await wait_for(delivered, timeout=5, interval=0.02)

        async with RecordingPeer() as peer:
            alice = peer.add_actor("/users/alice")

            def create(n: int) -> dict[str, Any]:
                note = {
                    "id": peer.url(f"/notes/{n}"),
                    "type": "Note",
                    "attributedTo": alice,
                    "content": f"<p>Bonjour {n}</p>",
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                }
                return {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": peer.url(f"/notes/{n}/activity"),
                    "type": "Create",
                    "actor": alice,
                    "to": note["to"],
                    "object": note,
                }

            first = create(1)
            r = await peer.deliver(web.urls.shared_inbox, first)
            assert r.status_code == 202, r.text

            async def processed(activity: dict[str, Any]) -> bool:
                return await asyncio.to_thread(state_of, data, activity["id"]) == "done"

            await wait_for(lambda: processed(first), timeout=5, interval=0.02)

            worker.kill()
            second = create(2)
            r = await peer.deliver(web.urls.shared_inbox, second)
            assert r.status_code == 202, r.text  # the web process accepts alone
            await asyncio.sleep(0.3)
            assert await asyncio.to_thread(state_of, data, second["id"]) == "pending"
            worker = await WorkerProcess(web).start()
            await wait_for(lambda: processed(second), timeout=5, interval=0.02)
        async with web.http() as c:
            r = await c.get("/api/v1/timelines/public", params={"remote": "true"})
        assert r.status_code == 200, r.text
        shown = {s["uri"] for s in r.json()}
        assert {first["object"]["id"], second["object"]["id"]} <= shown
    finally:
        if worker is not None:
            await worker.stop()
        await web.stop()
        await receiver.stop()
