"""Issue 2: restarts keep everything; the admin CLI gives one-line errors; settings validate."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fedivoisin.config import load_settings
from fedivoisin.errors import ConfigError
from fedivoisin.store.db import Store, migrations
from tests.rig import AS2, ProcessInstance


def cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


async def test_restart_keeps_communities_actors_and_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = cli(
        data,
        "community",
        "create",
        "les-lilas",
        "--name",
        "Résidence Les Lilas",
        "--kind",
        "building",
    )
    assert r.returncode == 0, r.stderr
    inst = ProcessInstance(data)
    async with inst:
        first = (await inst.get_json(inst.actor("les-lilas"))).json()
    async with ProcessInstance(data, port=inst.port):
        second = (await inst.get_json(inst.actor("les-lilas"))).json()
    assert first["id"] == second["id"]
    assert first["publicKey"] == second["publicKey"]
    assert first["assertionMethod"] == second["assertionMethod"]


def test_cli_creates_lists_and_refuses_bad_input_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "d"
    ok = cli(data, "community", "create", "les-lilas", "--name", "Les Lilas", "--kind", "building")
    assert ok.returncode == 0 and "les-lilas" in ok.stdout
    ok = cli(data, "actor", "create", "syndic", "--type", "Organization", "--name", "Syndic Dupont")
    assert ok.returncode == 0
    listed = cli(data, "actor", "list")
    assert (
        "les-lilas" in listed.stdout
        and "syndic" in listed.stdout
        and "Organization" in listed.stdout
    )
    token = cli(data, "token", "create", "syndic")
    assert token.returncode == 0 and token.stdout.strip().startswith("fv_")
    for args, word in (
        (("community", "create", "les-lilas", "--name", "x", "--kind", "building"), "taken"),
        (("community", "create", "Bad Slug", "--name", "x", "--kind", "building"), "slug"),
        (("community", "create", "ok", "--name", "x", "--kind", "castle"), "kind"),
        (("actor", "create", "bob", "--type", "Robot", "--name", "x"), "type"),
        (("token", "create", "ghost"), "ghost"),
    ):
        bad = cli(data, *args)
        assert bad.returncode != 0, args
        lines = bad.stderr.strip().splitlines()
        assert len(lines) == 1 and word in lines[0], bad.stderr
        assert "Traceback" not in bad.stderr


@pytest.mark.sqlite_only
def test_token_is_stored_only_as_a_hash_and_files_are_private(tmp_path: Path) -> None:
    import sqlite3

    data = tmp_path / "d"
    cli(data, "actor", "create", "alice", "--type", "Person", "--name", "Alice")
    token = cli(data, "token", "create", "alice").stdout.strip()
    db = data / "fedivoisin.sqlite3"
    assert token.encode() not in db.read_bytes()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT token_hash FROM tokens").fetchall()
    assert rows and token not in rows[0][0]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


async def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "x.sqlite3")
    try:
        latest = max(v for v, _, _ in migrations())
        assert await store.schema_version() == latest
        assert await store.migrate() == latest
    finally:
        await store.close()


def test_settings_precedence_flags_env_toml(tmp_path: Path) -> None:
    (tmp_path / "fedivoisin.toml").write_text('instance_name = "from toml"\nport = 9000\n')
    s = load_settings({"data_dir": tmp_path}, env={})
    assert s.instance_name == "from toml" and s.port == 9000
    s = load_settings({"data_dir": tmp_path}, env={"FEDIVOISIN_PORT": "9100"})
    assert s.port == 9100
    s = load_settings({"data_dir": tmp_path, "port": 9200}, env={"FEDIVOISIN_PORT": "9100"})
    assert s.port == 9200 and s.base_url == "http://127.0.0.1:9200"
    s = load_settings({"data_dir": tmp_path, "base_url": "https://quartier-nord.example"}, env={})
    assert s.domain == "quartier-nord.example"


@pytest.mark.parametrize(
    ("flags", "word"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "https://x.example/path"}, "base_url"),
        ({"base_url": "http://public.example"}, "https"),
        ({"port": 70000}, "port"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, flags: dict[str, Any], word: str) -> None:
    with pytest.raises(ConfigError, match=word):
        load_settings({"data_dir": tmp_path, **flags}, env={})


def test_bad_env_value_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="allow_private_networks"):
        load_settings({"data_dir": tmp_path}, env={"FEDIVOISIN_ALLOW_PRIVATE_NETWORKS": "perhaps"})
    r = cli(tmp_path, "actor", "list", env={"FEDIVOISIN_PORT": "abc"})
    assert r.returncode != 0 and "port" in r.stderr and "Traceback" not in r.stderr


def test_serve_with_bad_base_url_exits_with_one_line(tmp_path: Path) -> None:
    r = cli(tmp_path, "serve", "--base-url", "not a url")
    assert r.returncode != 0 and "base_url" in r.stderr and "Traceback" not in r.stderr


async def test_authorized_fetch_requires_signed_gets_but_keeps_instance_key_public(
    tmp_path: Path,
) -> None:
    from tests.rig import Instance

    async with Instance(tmp_path / "af", authorized_fetch=True) as inst:
        await inst.community("les-lilas")
        r = await inst.get_json(inst.actor("les-lilas"))
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        r = await inst.get_json(inst.actor("instance"))
        assert r.status_code == 200 and r.json()["type"] == "Application"
        assert r.headers["content-type"].startswith(AS2)


def test_heavy_modules_are_not_imported_by_the_server_at_start() -> None:
    """Idle memory goal (≤ 64 MB): pyld, jsonschema, icalendar, the image libraries and
    the outbound HTTP client's aiohttp load only when used."""
    code = (
        "import sys\n"
        "from fedivoisin.web.app import create_app\n"
        "from fedivoisin.cli import build_parser\n"
        "build_parser()\n"
        "heavy = ('pyld', 'jsonschema', 'icalendar', 'PIL', 'blurhash', 'aiohttp')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


async def test_owner_reads_own_outbox_with_a_token_under_authorized_fetch(tmp_path: Path) -> None:
    from tests.rig import Instance

    async with Instance(tmp_path / "af2", authorized_fetch=True) as inst:
        await inst.person("alice")
        token = await inst.token("alice")
        async with inst.http() as c:
            r = await c.get(
                "/actors/alice/outbox?page=1",
                headers={"Accept": AS2, "Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200
            r = await c.get("/actors/alice/outbox?page=1", headers={"Accept": AS2})
            assert r.status_code == 401
