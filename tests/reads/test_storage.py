"""Issue 16: storage. A received Create keeps its object once (the activity refers to the
object row, readers embed it back), processed queue rows keep no body; `fedivoisin db
stats` prints rows and bytes per table; the access log is off unless asked for."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from fedivoisin.cli import build_parser
from fedivoisin.config import load_settings
from fedivoisin.store import activities as activity_store
from fedivoisin.store.zdict import ZDICT_V1
from tests.kinds.helpers import PUBLIC, neighbourhood, post
from tests.rig import wait_for


async def test_a_received_create_stores_its_object_once(instance_factory: Any) -> None:
    n = await neighbourhood(instance_factory)
    lilas_token = await n.a.token("les-lilas")
    made = await post(
        n.a,
        "les-lilas",
        lilas_token,
        {
            "type": "Note",
            "content": "<p>Bonjour</p>" * 400,
            "to": [PUBLIC],
            "cc": [n.lilas + "/followers"],
        },
    )

    async def shown() -> list[dict[str, Any]] | None:
        items = await n.b.inbox("bob", n.bob)
        return [i for i in items if i["id"] == made["id"]] or None

    [item] = await wait_for(shown, timeout=10)
    assert item["object"]["id"] == made["object"]["id"]
    assert item["object"]["content"].startswith("<p>Bonjour</p>")
    row = await n.b.rt.store.fetchone(
        "SELECT document, object_ref FROM activities WHERE uri = ?", (made["id"],)
    )
    assert row["object_ref"] == 1
    raw = activity_store.decode_document(row["document"])
    assert raw["object"] == made["object"]["id"]  # a reference, not a second copy
    assert isinstance(row["document"], bytes)
    assert len(row["document"]) < 600
    stored = await activity_store.get_activity(n.b.rt.store, made["id"])
    assert stored is not None and stored.document["object"]["content"] == made["object"]["content"]
    bodies = await n.b.rt.store.fetchall("SELECT length(body) FROM received WHERE state = 'done'")
    assert bodies and all(r[0] == 0 for r in bodies)
    # The object row itself: compressed on SQLite (JSON text on PostgreSQL, which TOASTs).
    obj_row = await n.b.rt.store.fetchone(
        "SELECT document FROM objects WHERE uri = ?", (made["object"]["id"],)
    )
    if n.b.rt.store.dialect == "sqlite":
        assert isinstance(obj_row["document"], bytes) and obj_row["document"][:1] != b"{"
        assert len(obj_row["document"]) < len(made["object"]["content"]) / 10
    assert activity_store.decode_document(obj_row["document"]) == stored.document["object"]
    fetched = await activity_store.get_object(n.b.rt.store, made["object"]["id"])
    assert fetched is not None and fetched.document == stored.document["object"]


def test_lifecycle_written_by_the_store_matches_the_migration_rules() -> None:
    """Migration 127 fills `lifecycle` of existing rows with SQL; new rows get it from
    store/lifecycle.py. Both must agree, or a listing would change after an upgrade."""
    import re
    import sqlite3

    from fedivoisin.store.lifecycle import lifecycle_of

    sql = (
        Path(activity_store.__file__).parent / "migrations" / "127_object_lifecycle.sql"
    ).read_text()
    case = re.search(r"SET lifecycle = (CASE kind.*?END);", sql, re.S)
    assert case is not None
    cases: list[tuple[str, dict[str, Any], str | None]] = [
        ("proposal", {}, None),
        ("proposal", {"proposalStatus": "Reserved"}, None),
        ("proposal", {"proposalStatus": ""}, None),
        ("report", {"reportStatus": "acknowledged"}, None),
        ("report", {}, None),
        ("alert", {"msgType": "Cancel"}, None),
        ("alert", {"msgType": "Alert"}, None),
        ("event", {"eventStatus": "EventCancelled"}, None),
        ("event", {"status": "CANCELLED"}, None),
        ("event", {"eventStatus": "EventScheduled"}, None),
        ("poll", {"closed": "2026-01-01T00:00:00Z"}, None),
        ("poll", {"closed": None}, None),
        ("poll", {}, None),
        ("note", {"name": "Jeudi"}, "https://x.example/q/1"),
        ("note", {"name": "Jeudi", "content": "<p>x</p>"}, "https://x.example/q/1"),
        ("note", {"name": "Jeudi"}, None),
        ("note", {"name": 3}, "https://x.example/q/1"),
        ("news", {"name": "x"}, None),
    ]
    con = sqlite3.connect(":memory:")
    for kind, doc, reply in cases:
        expected = con.execute(
            f"SELECT {case.group(1)} FROM (SELECT ? AS kind, ? AS document, ? AS in_reply_to)",
            (kind, orjson.dumps(doc).decode(), reply),
        ).fetchone()[0]
        assert lifecycle_of(kind, doc, reply) == expected, (kind, doc, reply)


def test_large_documents_are_compressed_and_read_back() -> None:
    doc = {"type": "Create", "content": "<p>Réunion jeudi</p>" * 500}
    packed = activity_store.encode_document(doc)
    assert packed[:1] != b"{" and len(packed) < 1000
    assert activity_store.decode_document(packed) == doc
    small = {"type": "Create", "content": "x"}
    assert activity_store.encode_document(small)[:1] == b"{"
    assert activity_store.decode_document('{"a": 1}') == {"a": 1}  # rows before 051


def test_zlib_rows_of_earlier_versions_stay_readable() -> None:
    """Sessions 6-7 stored zlib streams with the same preset dictionary; new rows are zstd."""
    doc = {"type": "Note", "content": "<p>Fête des voisins</p>" * 100}
    packer = zlib.compressobj(6, zdict=ZDICT_V1)
    old = packer.compress(orjson.dumps(doc)) + packer.flush()
    assert old[:1] == b"\x78"
    assert activity_store.decode_document(old) == doc
    assert activity_store.encode_document(doc)[:4] == b"\x28\xb5\x2f\xfd"


def test_db_stats_prints_rows_and_bytes_per_table(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert run("community", "create", "lilas", "--name", "L", "--kind", "building").returncode == 0
    out = run("db", "stats")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["table", "rows", "table", "bytes", "index", "bytes", "total"]
    actors = next(line for line in lines if line.startswith("actors "))
    assert actors.split()[1] == "1" and int(actors.split()[-1].replace(",", "")) > 0
    assert any(line.startswith("activities ") for line in lines)
    assert lines[-1] in (
        "bytes: dbstat (exact page sizes)",
        "bytes: pg_table_size / pg_indexes_size",
        "bytes: estimate (no dbstat: sampled row sizes)",
    )


def test_access_log_is_off_unless_asked_for() -> None:
    assert load_settings({}, env={}).access_log is False
    assert load_settings({}, env={"FEDIVOISIN_ACCESS_LOG": "1"}).access_log is True
    args = build_parser().parse_args(["serve", "--access-log"])
    assert args.access_log is True
    assert build_parser().parse_args(["serve"]).access_log is None


async def test_store_open_reads_the_sqlite_url_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///path` (the setting's form) names that file; taken as a path it used to
    make a directory called "sqlite:" in the working directory."""
    from fedivoisin.store.db import TEST_POSTGRES_ENV, Store

    monkeypatch.delenv(TEST_POSTGRES_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    store = await Store.open(f"sqlite:///{tmp_path}/named.sqlite3")
    await store.close()
    assert (tmp_path / "named.sqlite3").is_file()
    assert not (tmp_path / "sqlite:").exists()
