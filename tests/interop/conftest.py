"""Fixtures for the interop tests: the Fedify peer (interop/fedify-peer) and the bovine
peer (interop/bovine-peer).

`fedify` is one peer per test module, reset (records, followers, following) before each
test; `fedify_factory()` starts an extra, fresh peer when a test needs one (Fedify caches
fetched documents ~5 min and failed key fetches ~10 min, and `delete-actor` is final).

The peer needs `npm ci` in interop/fedify-peer (it brings its own Node 22). A missing
install FAILS the tests — CI must prove interop — unless FEDIVOISIN_SKIP_INTEROP=1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.rig import Instance

from .bovine import PYTHON as BOVINE_PYTHON
from .bovine import BovinePeer
from .fedify import NODE, PEER_DIR, FedifyPeer, Scene, wait_processed


@pytest.fixture(scope="session")
def fedify_available() -> None:
    if os.environ.get("FEDIVOISIN_SKIP_INTEROP") == "1":
        pytest.skip("FEDIVOISIN_SKIP_INTEROP=1: Fedify interop tests skipped")
    if not (PEER_DIR / "node_modules").is_dir() or not NODE.exists():
        pytest.fail(
            f"The Fedify interop peer is not installed: {PEER_DIR / 'node_modules'} is missing."
            " Run `npm ci` in interop/fedify-peer (it installs Fedify and its own Node 22),"
            " or set FEDIVOISIN_SKIP_INTEROP=1 to skip the interop tests.",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def fedify_factory(
    fedify_available: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., FedifyPeer]]:
    """Start fresh peers on demand (options: first_knock, follow_policy, username)."""
    log_dir = tmp_path_factory.mktemp("fedify")
    started: list[FedifyPeer] = []

    def start(**options: str) -> FedifyPeer:
        peer = FedifyPeer(log_dir, f"peer-{len(started) + 1}", **options)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()


@pytest.fixture(scope="module")
def fedify_shared(fedify_factory: Callable[..., FedifyPeer]) -> FedifyPeer:
    return fedify_factory()


@pytest.fixture
async def fedify(fedify_shared: FedifyPeer) -> FedifyPeer:
    """The module's peer with its records, followers and following cleared."""
    if fedify_shared.proc.poll() is not None:
        raise RuntimeError(f"the Fedify peer died:\n{fedify_shared.stderr_tail()}")
    await fedify_shared.reset()
    return fedify_shared


@pytest.fixture
def instance_factory(
    instance_factory: Callable[..., Any], request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """Instances without FEP-8b32 proofs, unless the test is marked `integrity_proofs`:
    Fedify verifies a valid proof first and then never checks the HTTP signature, which is
    what the other interop tests prove Fedify accepts (test_fedify_proofs.py covers proofs).
    """
    proofs = request.node.get_closest_marker("integrity_proofs") is not None

    async def make(**overrides: Any) -> Instance:
        overrides.setdefault("integrity_proofs", proofs)
        inst: Instance = await instance_factory(**overrides)
        return inst

    return make


@pytest.fixture
async def followed(instance_factory: Callable[..., Any], fedify: FedifyPeer) -> Scene:
    """A fresh instance with a community the Fedify actor follows (Accept received)."""
    inst: Instance = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    token = await inst.token("les-lilas")
    follow = await fedify.call("follow", {"actor": lilas})
    await wait_processed(inst, follow["followId"])
    await fedify.wait_received(type="Accept", actor=lilas)
    return Scene(inst, fedify, lilas, token)


# -- the bovine peer (interop/bovine-peer: bovine-herd from PyPI, its own venv) -------------


@pytest.fixture(scope="session")
def bovine_available() -> None:
    if os.environ.get("FEDIVOISIN_SKIP_INTEROP") == "1":
        pytest.skip("FEDIVOISIN_SKIP_INTEROP=1: bovine interop tests skipped")
    if not BOVINE_PYTHON.exists():
        pytest.fail(
            f"The bovine interop peer is not installed: {BOVINE_PYTHON} is missing. Run"
            " scripts/test (it makes interop/bovine-peer/.venv from requirements.txt), or set"
            " FEDIVOISIN_SKIP_INTEROP=1 to skip the interop tests.",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def bovine(
    bovine_available: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BovinePeer]:
    """One bovine-herd process per test module on a free loopback port, stopped after it."""
    peer = BovinePeer(tmp_path_factory.mktemp("bovine"))
    yield peer
    peer.stop()
