"""Headless Chromium as the site: its console answers a hub test call with the fake
camera and microphone, the call passes, and the technician sees the verdict."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from controlroom.service.testcalls import TestCallSettings
from media.caller import CallOptions
from tests.conftest import DEMO
from tests.e2e.conftest import CHROMIUM, async_api, console, expect
from tests.support.client import Client
from tests.support.server import RunningHub, running_hub
from tests.support.timing import timeout

MEDIA_ARGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
async def media_browser() -> AsyncIterator[Any]:
    """Chromium with a fake camera and microphone that needs no permission prompt."""
    async with async_api.async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=MEDIA_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def rtc_hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """The demo conference with 2.5 s test calls."""
    settings = TestCallSettings(call=CallOptions(duration_s=2.5), answer_timeout_s=10)
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, testcall=settings) as hub:
        yield hub


async def test_chromium_site_console_answers_and_passes(media_browser, rtc_hub):
    """The site's browser declares caps, answers with getUserMedia media and passes."""
    page = await console(media_browser, rtc_hub, "site-hni")
    caps = rtc_hub.runtime.sessions.caps
    async with asyncio.timeout(timeout(10)):
        while not any(c.principal.actor.site == "HNI" and "rtc" in v for c, v in caps.items()):
            await asyncio.sleep(0.05)
    op = await Client.connect(rtc_hub.ws_url, await rtc_hub.login("operator"))
    await op.cmd("testcall.start", {"site": "HNI"})
    result = await op.event("testcall.result", seconds=30, site="HNI")
    data = result["data"]
    assert data["verdict"] in ("pass", "warn"), data["reasons"]
    assert not [r for r in data["reasons"] if r["level"] == "fail"]
    m = data["metrics"]
    assert m["site_reported"] and m["site_audio_silent"] is False and m["video_frames"] > 10
    assert m["video_width"] >= 320 and m["probes_answered"] >= 20
    panel = page.locator("[data-testid=testcall]")
    await expect(panel.locator(f".verdict.v-{data['verdict']}")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    await op.close()
