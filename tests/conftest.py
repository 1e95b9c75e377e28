"""Shared fixtures: instances from the one rig (tests/rig)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

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
