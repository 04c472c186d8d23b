"""The consoles in a real Chromium against a real hub: each role's console, a fault
from the site to the operator and back, a speaker from the site to the chair's
display, and a dropped WebSocket that resumes without losing or doubling anything."""

from __future__ import annotations

import re

from tests.e2e.conftest import command, console, expect


async def test_site_fault_reaches_operator_within_a_second_and_ack_reaches_site(browser, quiet_hub):
    """A one-tap report on the site console waits a few seconds for an undo, then (or at
    "send now") is in the operator's inbox within 1 s, with the alert sound for a
    critical fault; the operator acknowledges, focus stays on the card; the site sees it."""
    op = await console(browser, quiet_hub, "operator")
    site = await console(browser, quiet_hub, "site-hni")
    await expect(op.locator(".fault-list .empty")).to_be_visible()
    await site.locator("[role=tab][data-tab=faults]").click()

    await site.get_by_role("button", name="Mất tiếng").click()
    await site.locator(".pending-fault").get_by_role("button", name="Gửi ngay").click()
    card = op.locator("article.fault", has_text="Mất tiếng")
    await expect(card).to_be_visible(timeout=1000)
    await expect(card.locator(".fsite")).to_have_text("HNI · Hà Nội")
    await expect(card.locator(".fstate")).to_have_text("Mới")
    await expect(card.locator(".ago")).to_have_text(re.compile(r"^\d+ giây trước$"))
    await expect(op.locator("body")).to_have_attribute("data-alerts", "1")

    fault_id = await card.get_attribute("data-fault")
    mine = site.locator(f"article.fault:has-text('{fault_id}')")
    await expect(mine.locator(".fstate")).to_have_text("Mới")
    await card.get_by_role("button", name="Tiếp nhận").click()
    await expect(mine.locator(".fstate")).to_have_text("Đã tiếp nhận")
    await expect(card.locator(".fstate")).to_have_text("Đã tiếp nhận")
    # The acknowledged card moved below the waiting one; focus went with it.
    await expect(card.get_by_role("button", name="Giao việc")).to_be_focused()
    await expect(card).to_be_in_viewport()

    # Muted, a second critical fault makes no sound.
    await op.locator("details.sound-kinds summary", has_text="Âm báo: bật").click()
    await op.get_by_role("button", name="Tắt mọi âm báo").click()
    await expect(op.locator("details.sound-kinds summary")).to_have_text("Âm báo: tắt")
    await expect(op.get_by_role("button", name="Bật lại âm báo")).to_have_attribute(
        "aria-pressed", "true"
    )
    await site.get_by_role("button", name="Mất hình").click()
    await site.locator(".pending-fault").get_by_role("button", name="Gửi ngay").click()
    await expect(op.locator("article.fault", has_text="Mất hình")).to_be_visible()
    await expect(op.locator("body")).to_have_attribute("data-alerts", "1")

    # A slip of the thumb, undone: nothing reaches the centre. The proof is the next
    # tap, which goes by itself once its own wait is over, well after the undone one's.
    await site.get_by_role("button", name="Mất tiếng").click()
    held = site.locator(".pending-fault")
    await expect(held).to_contain_text("Sắp gửi báo sự cố “Mất tiếng”")
    await expect(held.get_by_role("button", name="Hủy")).to_be_focused()
    await held.get_by_role("button", name="Hủy").click()
    await expect(held).to_have_count(0)
    await site.get_by_role("button", name="Hình bị giật").click()
    await expect(op.locator("article.fault", has_text="Hình bị giật")).to_be_visible(timeout=10_000)
    await expect(site.locator(".pending-fault")).to_have_count(0)
    await expect(op.locator("article.fault", has_text="Mất tiếng")).to_have_count(1)


async def test_speaker_goes_from_site_to_assistant_to_chair_display(browser, quiet_hub):
    """A site registers a speaker; the assistant approves and, after the warning about a
    site that is not online, grants 5 minutes; the chair display shows the speaker, a
    countdown from the hub's clock, and the site sees its request on the floor."""
    site = await console(browser, quiet_hub, "site-hni")
    asst = await console(browser, quiet_hub, "assistant")
    chair = await console(browser, quiet_hub, "chair")

    await site.locator("[role=tab][data-tab=speak]").click()
    form = site.locator(".register form")
    await form.locator("input[name=speaker]").fill("Nguyễn Thị Hồng")
    await form.locator("input[name=title]").fill("Phó Giám đốc Sở")
    await form.locator("textarea[name=topic]").fill("Chuyển đổi số cấp xã")
    await form.get_by_role("button", name="Đăng ký").click()
    await expect(site.locator(".my-requests .sstate")).to_have_text("Chờ duyệt")

    req = asst.locator(".incoming .req", has_text="Nguyễn Thị Hồng")
    await expect(req).to_be_visible()
    await expect(req.locator(".link-pill")).to_contain_text("Chưa rõ")
    await req.get_by_role("button", name="Duyệt").click()
    queued = asst.locator(".queue .req", has_text="Nguyễn Thị Hồng")
    await expect(queued).to_be_visible()
    await expect(site.locator(".my-requests .sstate")).to_have_text("Đã duyệt")
    await expect(chair.locator(".chair-next-list li")).to_contain_text(["Nguyễn Thị Hồng"])

    await asst.locator("select[name=limit]").select_option(str(5 * 60))
    await queued.get_by_role("button", name="Trao lời").click()
    warning = asst.locator("dialog.ask")
    await expect(warning).to_contain_text("Chưa rõ")
    await warning.get_by_role("button", name="Đồng ý").click()

    await expect(chair.locator(".chair-speaker")).to_have_text("Nguyễn Thị Hồng")
    countdown = chair.locator(".chair-floor .countdown")
    await expect(countdown).to_have_text(re.compile(r"^0[45]:[0-5]\d$"))
    first = await countdown.text_content()
    await expect(countdown).not_to_have_text(first, timeout=3000)
    await expect(site.locator(".my-requests .sstate")).to_have_text("Đang phát biểu")
    await expect(site.locator(".banner-floor .speaker")).to_have_text("Nguyễn Thị Hồng")
    await expect(chair.locator(".chair-next-list")).to_have_count(0)
    left = chair.locator(".chair-floor .chair-left")
    await expect(left).to_have_text("Còn lại")
    await expect(chair.locator(".chair-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    # Six minutes on (the display's clock is the hub's plus its offset): over time.
    await chair.evaluate("window.__controlroom.conn.clockOffset += 6 * 60 * 1000")
    await expect(left).to_have_text("Quá giờ")
    await expect(countdown).to_have_text(re.compile(r"^\+0[01]:[0-5]\d$"))


async def test_dropped_socket_resumes_without_lost_or_doubled_items(browser, quiet_hub):
    """The operator's socket drops; three faults are reported while it is down; on
    reconnect the console resumes (no new snapshot) and shows each fault exactly once,
    a replayed duplicate frame changes nothing, and live events flow again."""
    for text in ("Loa hội trường rè", "Camera 2 mất nét"):
        await command(
            quiet_hub,
            "site-hue",
            "fault.report",
            {"category": "audio", "severity": "major", "description": text},
        )
    op = await console(browser, quiet_hub, "operator")
    cards = op.locator("article.fault")
    await expect(cards).to_have_count(2)
    await op.evaluate("""() => {
        const c = window.__controlroom;
        window.__snapshots = 0;
        const load = c.store.loadSnapshot.bind(c.store);
        c.store.loadSnapshot = (...a) => { window.__snapshots += 1; return load(...a); };
        c.conn.__open = c.conn.open;
        c.conn.open = () => {};          // hold the reconnect until the test says so
        c.conn.ws.close();
    }""")
    await expect(op.locator("header .conn.reconnecting")).to_be_visible()
    for i in range(3):
        await command(
            quiet_hub,
            "site-dng",
            "fault.report",
            {"category": "video", "severity": "minor", "description": f"Lỗi khi mất mạng {i}"},
        )
    await expect(cards).to_have_count(2)  # nothing arrives while down
    await op.evaluate("""() => {
        const c = window.__controlroom.conn;
        c.open = c.__open;
        c.retryNow();
    }""")
    await expect(op.locator("header .conn.connected")).to_be_visible()
    await expect(cards).to_have_count(5)
    ids = await cards.evaluate_all("els => els.map(e => e.dataset.fault)")
    assert sorted(ids) == ["F0001", "F0002", "F0003", "F0004", "F0005"]
    assert await op.evaluate("window.__snapshots") == 0

    # The same event delivered twice is applied once.
    await op.evaluate("""() => {
        const c = window.__controlroom;
        c.conn.handle({type: 'event', seq: c.store.seq, at: Date.now(), name: 'fault.reported',
          actor: {account: 'x', role: 'site', site: 'DNG'},
          data: {fault_id: 'F0099', site: 'DNG', category: 'other', severity: 'minor',
                 description: 'dup'}});
    }""")
    await command(
        quiet_hub,
        "site-dng",
        "fault.report",
        {"category": "power", "severity": "major", "description": "Mất điện hội trường"},
    )
    await expect(cards).to_have_count(6)
    await expect(op.locator("article.fault", has_text="dup")).to_have_count(0)
    assert op.errors == []


async def test_assistant_reorders_the_queue_by_keyboard_and_by_drag(browser, quiet_hub):
    """With the handle focused, ↓ moves a request down one place (and the focus stays
    on it); dragging the last row onto the first moves it to the top."""
    rids = []
    for user, speaker in [
        ("site-hni", "Người A"),
        ("site-hue", "Người B"),
        ("site-dng", "Người C"),
    ]:
        r = await command(
            quiet_hub,
            user,
            "speak.request",
            {"speaker": speaker, "title": "Đại biểu", "topic": "Ý kiến", "kind": "comment"},
        )
        await command(quiet_hub, "assistant", "speak.approve", {"request_id": r["request_id"]})
        rids.append(r["request_id"])
    asst = await console(browser, quiet_hub, "assistant")
    rows = asst.locator(".queue-list li")
    order = "els => els.map(e => e.dataset.rid)"
    await expect(rows).to_have_count(3)
    assert await rows.evaluate_all(order) == rids

    await asst.locator(f"button.handle[data-rid={rids[0]}]").focus()
    await asst.keyboard.press("ArrowDown")
    await expect(rows.first).to_have_attribute("data-rid", rids[1])
    assert await rows.evaluate_all(order) == [rids[1], rids[0], rids[2]]
    assert await asst.evaluate("document.activeElement.dataset.rid") == rids[0]

    await rows.nth(2).drag_to(rows.nth(0), target_position={"x": 20, "y": 5})
    await expect(rows.first).to_have_attribute("data-rid", rids[2])
    assert await rows.evaluate_all(order) == [rids[2], rids[1], rids[0]]
    assert asst.errors == []
