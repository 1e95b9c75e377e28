"""Headless Chromium for the page tests: Debian's `chromium`, driven by playwright (no
browser download), and axe-core (npm, tests/pages/axe) injected into each page.

FEDIVOISIN_SKIP_BROWSER=1 skips these tests; otherwise a missing Chromium is a failure,
never a silent skip. Each test launches its own browser: parallel-safe under xdist.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("FEDIVOISIN_CHROMIUM", "/usr/bin/chromium")
#: Where screenshots go besides the test's tmp dir (docs/pages to refresh the docs).
SHOTS = os.environ.get("FEDIVOISIN_SCREENSHOTS", "")

skip_browser = pytest.mark.skipif(
    os.environ.get("FEDIVOISIN_SKIP_BROWSER") == "1", reason="FEDIVOISIN_SKIP_BROWSER=1"
)


def _require() -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: (cd tests/pages/axe && npm ci)")


@contextlib.asynccontextmanager
async def browser_page(locale: str = "fr-FR") -> AsyncIterator[Any]:
    _require()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            context = await browser.new_context(
                locale=locale,
                viewport={"width": 720, "height": 900},
                timezone_id="America/New_York",  # not Paris: the page must not depend on it
            )
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


async def screenshot(page: Any, tmp: Path, name: str) -> Path:
    target = tmp / f"{name}.png"
    await page.screenshot(path=str(target), full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(SHOTS) / target.name)
    return target
