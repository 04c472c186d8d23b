"""The operator's console when the hub goes away and comes back (issue "No false alarms")."""

from __future__ import annotations

from tests.conftest import DEMO
from tests.e2e.conftest import command, console, expect
from tests.support.processes import free_port
from tests.support.server import running_hub


async def test_the_console_says_the_hub_is_gone_then_that_it_restarted(browser, tmp_path):
    """A banner and a greyed grid while the hub is away; after a restart, one line saying so."""
    port = free_port()
    data = tmp_path / "data"
    async with running_hub(DEMO, data, heartbeat_s=30, port=port) as hub:
        page = await console(browser, hub, "operator")
        await command(hub, "operator", "conference.phase", {"phase": "live"})
        banner = page.locator(".hub-gone")
        await expect(banner).to_be_hidden()
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Mất kết nối tới máy chủ điều hành từ")
    await expect(page.locator("body.stale")).to_have_count(1)
    await page.screenshot(path=str(tmp_path / "stale.png"))
    async with running_hub(DEMO, data, heartbeat_s=30, port=port):
        await expect(page.locator("header .conn.connected")).to_be_visible(timeout=20_000)
        await expect(banner).to_be_hidden()
        await expect(page.locator("#toasts")).to_contain_text("vừa khởi động lại")
        assert await page.locator("body.stale").count() == 0
        assert page.errors == []  # type: ignore[attr-defined]
