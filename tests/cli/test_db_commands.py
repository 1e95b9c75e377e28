"""`fedivoisin db migrate|status|copy` and `worker` (issue 14): what an admin runs, on
whichever engine the suite runs (SQLite, or PostgreSQL under FV_TEST_POSTGRES)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from fedivoisin.store.db import migrations

from .test_local_slugs import run


async def bare(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI without --data-dir (db copy names both databases itself)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "fedivoisin", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def test_db_migrate_and_status_report_the_engine_and_the_schema_version(
    tmp_path: Path,
) -> None:
    latest = max(v for v, _, _ in migrations())
    migrated = await run(tmp_path, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith(f"schema version {latest} (")
    status = await run(tmp_path, "db", "status")
    assert status.returncode == 0, status.stderr
    lines = dict(line.split(None, 1) for line in status.stdout.splitlines() if "  " in line)
    assert lines["engine"].strip() in ("sqlite", "postgres")
    assert lines["schema"].strip() == f"{latest} (latest {latest})"


async def test_bad_database_settings_and_copy_arguments_are_one_line_errors(
    tmp_path: Path,
) -> None:
    out = await run(tmp_path, "db", "status", "--database-url", "mysql://x")
    assert out.returncode == 2 and "database_url" in out.stderr, out.stderr
    cases = [
        (("db", "copy", "--from", "/no/scheme", "--to", "postgresql://x"), "--from"),
        (
            (
                "db",
                "copy",
                "--from",
                f"sqlite:///{tmp_path}/missing.sqlite3",
                "--to",
                "postgresql://x",
            ),
            "no such file",
        ),
        (("db", "copy", "--from", f"sqlite:///{tmp_path}/x", "--to", "sqlite:///y"), "--to"),
    ]
    for args, needle in cases:
        out = await bare(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr


async def test_serve_workers_is_refused_where_it_cannot_work(tmp_path: Path) -> None:
    """Several web processes need PostgreSQL, a positive count, and no shared metrics
    port: each refusal is one line naming the setting, before anything starts."""
    cases = [
        (("--workers", "2"), "web_workers"),
        (("--workers", "0"), "web_workers"),
        (
            ("--workers", "2", "--database-url", "postgresql://x/y", "--metrics-port", "9"),
            "metrics",
        ),
    ]
    for args, needle in cases:
        out = await run(tmp_path, "serve", "--port", "1", *args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
