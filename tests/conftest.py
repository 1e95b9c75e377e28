"""Shared fixtures: instances from the one rig (tests/rig)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from fedivoisin.store.db import TEST_POSTGRES_ENV
from tests.rig import Instance


@pytest.fixture
async def instance_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[Instance] = []
    count = 0

    async def make(**overrides: Any) -> Instance:
        nonlocal count
        count += 1
        inst = Instance(tmp_path / f"instance-{count}", **overrides)
        await inst.start()
        started.append(inst)
        return inst

    yield make
    for inst in reversed(started):
        await inst.stop()


@pytest.fixture
async def instance(instance_factory: Callable[..., Any]) -> Instance:
    inst: Instance = await instance_factory()
    return inst


@pytest.fixture(autouse=True)
async def _drop_postgres_schemas(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Under the suite's PostgreSQL run (scripts/test, FV_TEST_POSTGRES), every data
    directory of a test is a schema of the shared cluster: drop them when the test ends."""
    url = os.environ.get(TEST_POSTGRES_ENV)
    if not url:
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    yield
    from fedivoisin.store.pg import drop_test_schemas

    await drop_test_schemas(url, str(tmp_path.resolve()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`sqlite_only` tests check what only the embedded file engine has (its file mode)."""
    if not os.environ.get(TEST_POSTGRES_ENV):
        return
    skip = pytest.mark.skip(reason="SQLite engine only (FV_TEST_POSTGRES is set)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)
