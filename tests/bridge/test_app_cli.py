"""`fedivoisin app …` and `fedivoisin actor password`, run in-process like the shell does."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fedivoisin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_app_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = ["--data-dir", str(tmp_path), "--base-url", "http://127.0.0.1:9"]
    run(capsys, "community", "create", "cour", "--name", "Cour", "--kind", "building", *d)
    run(capsys, "actor", "create", "lea", "--type", "Person", "--name", "Léa", *d)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert "password set for lea" in run(capsys, "actor", "password", "lea", *d)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["actor", "password", "lea", *d]) == 2
    out = run(
        capsys,
        "app",
        "create",
        "Smiile",
        "--redirect-uri",
        "https://smiile.example/cb",
        "--scopes",
        "read,write,moderate,webhooks",
        *d,
    )
    client_id = out.split("client_id: ")[1].split()[0]
    assert "client_secret: " in out
    assert "may act for cour" in run(capsys, "app", "grant", client_id, "cour", *d)
    listing = run(capsys, "app", "list", *d)
    assert "Smiile" in listing and "communities=cour" in listing and "last_used=never" in listing
    assert "scopes=moderate,read,webhooks,write" in listing
    assert main(["app", "create", "Bad", "--scopes", "root", *d]) == 2
    run(capsys, "app", "revoke", "Smiile", *d)
    assert "no apps" in run(capsys, "app", "list", *d)
