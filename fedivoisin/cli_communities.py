"""CLI commands of communities: membership, roles, relays (the territory mesh), demo."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_community_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Added with the communities feature."""
