"""Issue 17: one server per data directory, and the CLI uses the origin the server was
started with (never a guessed 127.0.0.1:8080)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.rig import ProcessInstance
from tests.rig.instance import free_port


def cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    return subprocess.run(
        [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


async def test_second_serve_on_a_held_data_dir_exits_at_once_naming_the_first(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    async with ProcessInstance(data) as first:
        assert first.proc is not None
        started = time.monotonic()
        second = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "fedivoisin",
                "serve",
                "--data-dir",
                str(data),
                "--port",
                str(free_port()),
            ],
            capture_output=True,
            text=True,
            timeout=20,
            env={**first.env()},
        )
        elapsed = time.monotonic() - started
        assert second.returncode != 0
        # Within 2 s of its start on an idle machine; the bound allows for a loaded CI worker.
        assert elapsed < 6.0, elapsed
        message = second.stderr.strip().splitlines()
        assert len(message) == 1, second.stderr
        assert "already" in message[0] and str(first.proc.pid) in message[0], message
        # The first keeps serving.
        async with httpx.AsyncClient(timeout=5) as c:
            r = await c.get(first.base_url + "/.well-known/nodeinfo")
        assert r.status_code == 200


async def test_cli_prints_ids_at_the_origin_the_server_was_started_with(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    async with ProcessInstance(data, port=port, base_url=f"http://localhost:{port}"):
        pass
    # No --base-url, no environment: the CLI must not guess http://127.0.0.1:8080.
    made = cli(
        data, "community", "create", "les-lilas", "--name", "Les Lilas", "--kind", "building"
    )
    assert made.returncode == 0, made.stderr
    assert f"http://localhost:{port}/actors/les-lilas" in made.stdout
    assert "127.0.0.1:8080" not in made.stdout
    # A different explicit origin is an error naming both, not a silent wrong id.
    wrong = cli(data, "actor", "list", "--base-url", "http://127.0.0.3:9999")
    assert wrong.returncode != 0
    assert "127.0.0.3:9999" in wrong.stderr and f"localhost:{port}" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    same = cli(data, "actor", "list", "--base-url", f"http://localhost:{port}")
    assert same.returncode == 0, same.stderr
