"""Talking to the sites in the consoles: a site's message with a photo reaches the centre
and back; the next run-script site gets its cue and its "Sẵn sàng" shows at the centre."""

from __future__ import annotations

import re

from tests.e2e.conftest import command, console, expect
from tests.integration.test_threads import png


async def test_a_message_with_a_photo_round_trips_and_stays_in_its_site(browser, quiet_hub):
    op = await console(browser, quiet_hub, "operator")
    hue = await console(browser, quiet_hub, "site-hue")
    dng = await console(browser, quiet_hub, "site-dng")
    await hue.locator("[role=tab][data-tab=talk]").click()
    talk = hue.locator("section.site-thread")
    await talk.locator("textarea").fill("Micro bàn chủ tọa bị rè")
    await talk.locator("input[type=file]").set_input_files(
        {"name": "micro.png", "mimeType": "image/png", "buffer": png(64, 48)}
    )
    await talk.get_by_role("button", name="Gửi").click()
    await expect(talk.locator(".msg.mine .msg-text")).to_have_text("Micro bàn chủ tọa bị rè")

    # The threads are a tab of the operator's side pane; the tab counts what is unread.
    tab = op.locator("[role=tab][data-tab=threads]")
    await expect(tab.locator(".tab-badge")).to_have_text("1")
    await tab.click()
    row = op.locator("section.threads .thread-row[data-site=HUE]")
    await expect(row).to_contain_text("1 chưa đọc")
    await expect(op.locator(".tile[data-site=HUE] .msg-badge")).to_have_text("✉ 1")
    # Not judged yet: the tile says so by shape as well as by colour.
    await expect(op.locator(".tile[data-site=HUE] .glyph")).to_have_text("?")
    await row.get_by_role("button").click()
    detail = op.locator("dialog.site-detail")
    message = detail.locator(".thread .msg.from-site")
    await expect(message.locator(".msg-text")).to_have_text("Micro bàn chủ tọa bị rè")
    photo = message.locator("img.msg-photo")
    await expect(photo).to_have_attribute("src", re.compile(r"^blob:"))
    await op.wait_for_function(
        "() => document.querySelector('dialog.site-detail img.msg-photo')?.naturalWidth === 64"
    )
    await expect(row).not_to_have_class("unread")  # opened: read, and the hub knows it
    await expect(op.locator(".tile[data-site=HUE] .msg-badge")).to_be_hidden()
    # A fault opened from the message carries its words.
    await message.get_by_role("button", name="Mở sự cố").click()
    ask = op.locator("dialog.ask")
    await expect(ask.locator("input")).to_have_value("Micro bàn chủ tọa bị rè")
    await ask.get_by_role("button", name="Đồng ý").click()
    faults_tab = hue.locator("[role=tab][data-tab=faults]")
    await expect(faults_tab.locator(".tab-badge")).to_have_text("1")
    await faults_tab.click()
    await expect(hue.locator("article.fault", has_text="Micro bàn chủ tọa bị rè")).to_be_visible()
    # The centre's reply while HUE looks at its faults: unread on the tab until shown.
    await detail.locator(".thread-form textarea").fill("Đã cử kỹ thuật viên hỗ trợ")
    await detail.locator(".thread-form").get_by_role("button", name="Gửi").click()
    talk_tab = hue.locator("[role=tab][data-tab=talk]")
    await expect(talk_tab.locator(".tab-badge")).to_have_text("1")
    await talk_tab.click()
    reply = talk.locator(".msg.from-centre .msg-text")
    await expect(reply).to_have_text("Đã cử kỹ thuật viên hỗ trợ")
    await expect(reply).to_be_in_viewport()
    await expect(talk_tab.locator(".tab-badge")).to_be_hidden()

    # DNG writes too; once its own message is shown, HUE's thread was never sent to it.
    await dng.locator("[role=tab][data-tab=talk]").click()
    other = dng.locator("section.site-thread")
    await other.locator("textarea").fill("Đà Nẵng sẵn sàng")
    await other.get_by_role("button", name="Gửi").click()
    await expect(other.locator(".msg.mine")).to_have_count(1)
    seen = await dng.evaluate("Object.keys(window.__controlroom.store.state.threads)")
    assert seen == ["DNG"]
    await expect(other.locator(".msg")).to_have_count(1)
    for page in (op, hue, dng):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_the_next_site_is_cued_and_its_answer_shows_on_the_run_script(browser, quiet_hub):
    state = quiet_hub.runtime.hubs["demo"].durable
    items = sorted(state.agenda.items, key=lambda i: i.order)
    following = next(
        item
        for i, item in enumerate(items[1:], 1)
        if item.site and state.sites[item.site].kind != "central" and items[i - 1].site != item.site
    )
    before = items[items.index(following) - 1]
    op = await console(browser, quiet_hub, "operator")
    site = await console(browser, quiet_hub, f"site-{following.site.lower()}")
    await command(quiet_hub, "operator", "conference.phase", {"phase": "live"})
    await command(quiet_hub, "operator", "agenda.start", {"item_id": before.item_id})
    banner = site.locator(".cue-banner")
    await expect(banner).to_contain_text("Sắp đến lượt điểm cầu")
    await expect(banner).to_contain_text(following.content)
    mark = op.locator("section.agenda .agenda-now .cue-mark")
    await expect(mark).to_have_text("Chờ điểm cầu trả lời")
    await banner.get_by_role("button", name="Sẵn sàng", exact=True).click()
    await expect(mark).to_contain_text("Sẵn sàng")
    await expect(mark).to_have_class("cue-mark ready")
    # A site with no item of its own got nothing: its console shows no cue.
    with_items = {item.site for item in items}
    quiet = next(c for c, s in state.sites.items() if s.kind != "central" and c not in with_items)
    other = await console(browser, quiet_hub, f"site-{quiet.lower()}")
    await expect(other.locator(".cue-banner")).to_have_count(0)
    assert await other.evaluate("Object.keys(window.__controlroom.store.state.cues)") == []
    for page in (op, site, other):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_the_site_sees_its_place_in_the_queue_move(browser, quiet_hub):
    hue = await console(browser, quiet_hub, "site-hue")
    ask = {"speaker": "Bà B", "title": "Giám đốc", "topic": "Chuyển đổi số", "kind": "speech"}
    mine = (await command(quiet_hub, "site-hue", "speak.request", ask))["request_id"]
    await command(quiet_hub, "assistant", "speak.approve", {"request_id": mine})
    place = hue.locator(".req-list .queue-pos")
    await expect(place).to_have_text("Thứ tự trong hàng chờ: 1")
    other = await command(quiet_hub, "site-dng", "speak.request", {**ask, "speaker": "Ông C"})
    await command(
        quiet_hub, "assistant", "speak.approve", {"request_id": other["request_id"], "position": 1}
    )
    await expect(place).to_have_text("Thứ tự trong hàng chờ: 2")
    await hue.reload()  # after a reload the snapshot says the same
    await expect(hue.locator(".req-list .queue-pos")).to_have_text("Thứ tự trong hàng chờ: 2")
    assert hue.errors == []  # type: ignore[attr-defined]


async def test_each_kind_sounds_unless_turned_off_and_the_choice_survives_a_reload(
    browser, quiet_hub
):
    op = await console(browser, quiet_hub, "operator")
    body = op.locator("body")
    fault = {"category": "other", "description": "Màn hình phụ mờ"}
    await op.locator("details.sound-kinds summary").click()
    await op.locator("details.sound-kinds input[data-kind=minor]").uncheck()
    await op.reload()  # remembered: a reload does not bring the minor sound back
    await expect(op.locator("header .conn.connected")).to_be_visible()
    await command(quiet_hub, "site-hue", "fault.report", {**fault, "severity": "minor"})
    await expect(op.locator("article.fault", has_text="Màn hình phụ mờ")).to_be_visible()
    await command(quiet_hub, "site-hue", "msg.send", {"text": "Nhờ trung tâm xem giúp"})
    # The message that follows sounds; the minor fault before it did not (had it, the
    # count would be 2, or the message would have fallen in its gap and the last be it).
    await expect(body).to_have_attribute("data-alerts", "1")
    await expect(body).to_have_attribute("data-last-alert", "message")
    assert await op.evaluate("localStorage.getItem('controlroom.sound.minor')") == "off"
    assert op.errors == []  # type: ignore[attr-defined]


async def test_the_thread_keeps_the_readers_place_while_the_page_redraws(browser, quiet_hub):
    for i in range(30):
        await command(quiet_hub, "site-hue", "msg.send", {"text": f"Tin số {i}"})
    op = await console(browser, quiet_hub, "operator")
    await op.locator(".tile[data-site=HUE]").click()
    thread = op.locator("dialog.site-detail .thread")
    await expect(thread.locator(".msg")).to_have_count(30)
    at_end = "(el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2"
    assert await thread.evaluate(at_end)  # opened on the newest
    await thread.evaluate("(el) => { el.scrollTop = 120; el.dispatchEvent(new Event('scroll')); }")
    # Another site's check-in redraws the dialog; the reader stays where they were
    # (neither thrown back to the oldest nor to the newest).
    await command(quiet_hub, "site-dng", "site.checkin", {"technician": "Ông D", "phone": "0900"})
    await expect(op.locator(".tile[data-site=DNG] .check")).to_have_text("✔")
    assert await thread.evaluate("(el) => el.scrollTop") == 120
    # A new message takes the thread down to it.
    await command(quiet_hub, "site-hue", "msg.send", {"text": "Tin mới nhất"})
    await expect(thread.locator(".msg").last).to_contain_text("Tin mới nhất")
    await op.wait_for_function(
        "() => { const el = document.querySelector('dialog.site-detail .thread');"
        " return el.scrollTop + el.clientHeight >= el.scrollHeight - 2; }"
    )
