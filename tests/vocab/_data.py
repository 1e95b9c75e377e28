"""Paths and loaders shared by the vocabulary tests.

Why: every test reads the same examples and fixtures; one place says where they live.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
CONTEXTS = ROOT / "fedivoisin" / "contexts"
SCHEMAS = ROOT / "fedivoisin" / "schemas"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def example_files(prefix: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"*/{prefix}-*.json"))


def example_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.json"))


def fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = load(FIXTURES / name)
    return doc


def inner_object(doc: dict[str, Any]) -> dict[str, Any]:
    """The object a Create/Update/Announce carries, or the document itself."""
    obj = doc.get("object")
    if doc.get("type") in ("Create", "Update", "Announce") and isinstance(obj, dict):
        return obj
    return doc
