"""Announcements in the consoles: sent from the operator's panel, seen at the sites,
read receipts back at the operator; a region's announcement reaches no other site."""

from __future__ import annotations

import asyncio
import re

from tests.e2e.conftest import command, console, expect
from tests.support.client import Client


async def test_an_announcement_reaches_the_sites_and_its_read_marks_come_back(browser, quiet_hub):
    op = await console(browser, quiet_hub, "operator")
    hue = await console(browser, quiet_hub, "site-hue")
    dng = await console(browser, quiet_hub, "site-dng")
    await op.get_by_role("tab", name="Thông báo").click()
    panel = op.locator("section.announcements")
    await panel.locator("textarea").fill("Các điểm cầu chuẩn bị kết nối lại lúc 13:30")
    await panel.get_by_role("button", name="Gửi thông báo").click()
    for site in (hue, dng):
        banner = site.locator(".ann-banner")
        await expect(banner).to_contain_text("Các điểm cầu chuẩn bị kết nối lại lúc 13:30")
    await expect(panel.locator(".ann-count")).to_have_text("Đã xem 0/34")
    await expect(hue).to_have_title(re.compile(r"^\(1\) "))  # the tab says what waits
    await hue.locator(".ann-banner").get_by_role("button", name="Đã xem").click()
    await expect(hue.locator(".ann-banner")).to_have_count(0)
    await expect(hue).not_to_have_title(re.compile(r"^\("))
    await expect(hue.locator(".ann-last")).to_contain_text("kết nối lại lúc 13:30")
    await expect(panel.locator(".ann-count")).to_have_text("Đã xem 1/34")
    await panel.locator(".ann-unread summary").click()
    unread = panel.locator(".ann-unread")
    await expect(unread).to_contain_text("Đà Nẵng")
    assert "Huế" not in await unread.inner_text()
    await expect(dng.locator(".ann-banner")).to_have_count(1)  # DNG has not read it
    for page in (op, hue, dng):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_a_regions_announcement_reaches_no_other_site(quiet_hub):
    hue = await Client.connect(quiet_hub.ws_url, await quiet_hub.login("site-hue"))
    hcm = await Client.connect(quiet_hub.ws_url, await quiet_hub.login("site-hcm"))
    region = {"text": "Bắc Trung Bộ", "region": "Bắc Trung Bộ"}
    await command(quiet_hub, "operator", "announce.send", region)
    await command(quiet_hub, "operator", "announce.send", {"text": "Tất cả"})
    first = await hue.event("announce.sent", seconds=5, text="Bắc Trung Bộ")
    assert first["data"]["sites"] == ["HUE"]  # a site hears of itself only
    # The later announcement to all proves the absence of the first at HCM.
    await hcm.event("announce.sent", seconds=5, text="Tất cả")
    texts = [f["data"]["text"] for f in hcm.frames if f.get("name") == "announce.sent"]
    assert texts == ["Tất cả"]
    # A site of the region catching up later (replay from the log) hears of itself only.
    late = await Client.connect(quiet_hub.ws_url, await quiet_hub.login("site-tha"), resume_after=0)
    replayed = [f["data"] for f in late.frames if f.get("name") == "announce.sent"]
    assert [(d["text"], d["sites"]) for d in replayed] == [
        ("Bắc Trung Bộ", ["THA"]), ("Tất cả", ["THA"])
    ]  # fmt: skip
    for client in (hue, hcm, late):
        await client.close()


async def test_the_site_sees_the_run_script_and_when_the_next_item_is_its_own(browser, quiet_hub):
    await command(quiet_hub, "operator", "agenda.advance", {})
    state = quiet_hub.runtime.hubs["demo"].durable
    items = sorted(state.agenda.items, key=lambda i: i.order)
    current, following = items[0], items[1]
    page = await console(browser, quiet_hub, f"site-{following.site.lower()}")
    line = page.locator(".banner-runscript")
    await expect(line.locator(".rs-item").first).to_contain_text(current.content)
    mine = line.locator(".rs-item.mine")
    await expect(mine).to_contain_text(following.content)
    await expect(mine).to_contain_text("Phần của điểm cầu mình")
    assert page.errors == []  # type: ignore[attr-defined]


async def _site_tab(context, hub, code: str):
    page = await context.new_page()
    await page.goto(hub.url + "/")
    await page.fill("input[name=username]", f"site-{code.lower()}")
    await page.fill("input[name=password]", "demo")
    await page.click("form.login button[type=submit]")
    await expect(page.locator("header .conn.connected")).to_be_visible(timeout=30_000)
    return page


async def test_an_announcement_to_all_34_sites_reaches_every_console_and_every_read(
    browser, quiet_hub
):
    codes = [
        c for c, s in quiet_hub.runtime.hubs["demo"].durable.sites.items() if s.kind != "central"
    ]
    assert len(codes) == 34
    op = await console(browser, quiet_hub, "operator")
    # One context, one tab (with its own session) per site, opened six at a time.
    context = await browser.new_context(viewport={"width": 390, "height": 700})
    await context.add_init_script("localStorage.setItem('controlroom.lang', 'vi')")
    tabs = []
    for start in range(0, len(codes), 6):
        batch = codes[start : start + 6]
        tabs += await asyncio.gather(*(_site_tab(context, quiet_hub, c) for c in batch))
    text = "Các điểm cầu chuẩn bị kết nối lại lúc 13:30"
    await op.get_by_role("tab", name="Thông báo").click()
    panel = op.locator("section.announcements")
    await panel.locator("textarea").fill(text)
    await panel.get_by_role("button", name="Gửi thông báo").click()
    for tab in tabs:  # live, to every site console
        await expect(tab.locator(".ann-banner .ann-text")).to_have_text(text)
    await asyncio.gather(
        *(tab.locator(".ann-banner").get_by_role("button", name="Đã xem").click() for tab in tabs)
    )
    await expect(panel.locator(".ann-count")).to_have_text("Đã xem 34/34")
    await expect(panel.locator(".ann-unread")).to_have_count(0)
    await context.close()
