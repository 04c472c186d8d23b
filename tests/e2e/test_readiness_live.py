"""The readiness board follows a campaign live, without a reload."""

from __future__ import annotations

from tests.e2e.conftest import command, console, expect


async def test_the_board_shows_each_result_as_the_campaign_runs(browser, quiet_hub):
    op = await console(browser, quiet_hub, "operator")
    row = op.locator(".readiness-table tr[data-site=HUE]")
    await expect(row.locator(".verdict")).to_have_text("Chưa gọi thử")
    # Neither site has a session that can take a call: each fails at once, on record.
    await command(quiet_hub, "operator", "testcall.campaign", {"sites": ["HUE", "DNG"]})
    await expect(row.locator(".verdict")).to_have_text("Không đạt", timeout=20_000)
    await expect(op.locator(".readiness-table tr[data-site=DNG] .verdict")).to_have_text(
        "Không đạt"
    )
    # The campaign calls them again once (a failed site gets a second chance), live too.
    await expect(op.locator(".campaign-progress")).to_contain_text("gọi lại 2")
    assert op.errors == []  # type: ignore[attr-defined]
