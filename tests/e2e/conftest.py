"""Fixtures for the browser tests: a real Chromium (Debian's, driven by Playwright)
against a real hub started in the test's event loop."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DEMO
from tests.support.server import RunningHub, running_hub
from tests.support.timing import timeout

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1920, "height": 1080}
# Screenshots are test artefacts (git-ignored); CONTROLROOM_UPDATE_SCREENSHOTS=1 writes
# them over the copies in docs/screenshots that README.md shows.
_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    _ROOT / "docs" / "screenshots"
    if os.environ.get("CONTROLROOM_UPDATE_SCREENSHOTS") == "1"
    else _ROOT / "artifacts" / "screenshots"
)

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
async_api = pytest.importorskip(
    "playwright.async_api", reason="the playwright package is missing (pip install -e .[dev])"
)
expect = async_api.expect
expect.set_options(timeout=timeout(5) * 1000)

_ids = itertools.count(1)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the test."""
    async with async_api.async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def quiet_hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """The demo conference with a long heartbeat: no link events to disturb counts."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30) as running:
        yield running


async def console(
    browser: Any,
    hub: RunningHub,
    user: str,
    lang: str = "vi",
    viewport: dict[str, int] | None = None,
) -> Any:
    """A new page logged in as ``user`` (password "demo"), connected and synced."""
    context = await browser.new_context(viewport=viewport or VIEWPORT)
    await context.add_init_script(
        "if (!localStorage.getItem('controlroom.lang'))"
        f" localStorage.setItem('controlroom.lang', '{lang}')"
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    # The hub's Content-Security-Policy must never block the consoles' own code.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(hub.url + "/")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", "demo")
    await page.click("form.login button[type=submit]")
    await expect(page.locator("header .conn.connected")).to_be_visible()
    await expect(page.locator("p.loading")).to_be_hidden()
    return page


async def command(hub: RunningHub, user: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A command over HTTP as ``user``; returns the ack's result (fails on an error)."""
    token = await hub.login(user)
    conf = next(iter(hub.runtime.hubs))
    async with httpx.AsyncClient(base_url=hub.url) as http:
        r = await http.post(
            f"/api/conferences/{conf}/commands",
            headers={"Authorization": f"Bearer {token}"},
            json={"id": f"e2e-{os.getpid()}-{next(_ids)}", "name": name, "args": args},
        )
    assert r.status_code == 200, r.text
    return dict(r.json()["result"])
