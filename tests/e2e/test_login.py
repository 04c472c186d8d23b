"""The login form in a real Chromium: a conference choice, and the throttle said plainly."""

from __future__ import annotations

import shutil

from tests.conftest import DEMO
from tests.e2e.conftest import VIEWPORT, expect
from tests.support.server import running_hub


async def test_login_asks_which_conference_and_says_when_throttled(browser, tmp_path):
    """One account in two conferences: a select appears; after 10 wrong passwords, a wait."""
    other = tmp_path / "other"
    shutil.copytree(DEMO, other)
    toml = (other / "conference.toml").read_text(encoding="utf-8")
    toml = toml.replace('id = "demo"', 'id = "tapdot"').replace(
        "title = ", 'title = "Hội nghị tập dượt" #', 1
    )
    (other / "conference.toml").write_text(toml, encoding="utf-8")
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, extra_configs=[other]) as hub:
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        await page.goto(hub.url + "/")
        await page.fill("input[name=username]", "operator")
        await page.fill("input[name=password]", "demo")
        await page.click("form.login button[type=submit]")
        choice = page.locator("select[name=conference]")
        await expect(choice).to_be_visible()
        await expect(page.locator(".login-msg")).to_contain_text("nhiều hội nghị")
        await expect(choice.locator("option")).to_have_count(2)
        await choice.select_option("tapdot")
        await page.click("form.login button[type=submit]")
        await expect(page.locator("header .conn.connected")).to_be_visible()
        assert (
            await page.evaluate(
                "JSON.parse(sessionStorage.getItem(sessionStorage.key(0))).conference"
            )
            == "tapdot"
        )

        second = await context.new_page()
        await second.goto(hub.url + "/")
        await second.evaluate("sessionStorage.clear()")
        await second.reload()
        for _ in range(11):
            await second.fill("input[name=username]", "chair")
            await second.fill("input[name=password]", "sai")
            await second.click("form.login button[type=submit]")
            await expect(second.locator("form.login button[type=submit]")).to_be_enabled()
        await expect(second.locator(".login-msg")).to_contain_text("thử lại sau")
        assert errors == []
