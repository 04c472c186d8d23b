"""Conclusions in the consoles: the assistant records one for two sites from the
form; each site finds it in its own tab (and only its own part); one reports it
done and the operator accepts it; the other misses its deadline and both the
site and the centre see it overdue."""

from __future__ import annotations

import re
import time

from tests.e2e.conftest import command, console, expect
from tests.integration.test_threads import png


async def test_a_conclusion_from_the_form_to_acceptance_and_overdue(browser, quiet_hub):
    asst = await console(browser, quiet_hub, "assistant")
    hue = await console(browser, quiet_hub, "site-hue")
    dng = await console(browser, quiet_hub, "site-dng")
    op = await console(browser, quiet_hub, "operator")

    await asst.locator("[role=tab][data-tab=conclusions]").click()
    pane = asst.locator("section.conclusions")
    await pane.locator("details.concl-add summary").click()
    await pane.locator("textarea[name=text]").fill("Báo cáo kết quả chuyển đổi số")
    await pane.locator("select[name=sites]").select_option(["HUE", "DNG"])
    await pane.locator("input[name=deadline]").fill("2099-12-31")
    await pane.get_by_role("button", name="Thêm kết luận").last.click()
    card = pane.locator("article.concl", has_text="Báo cáo kết quả chuyển đổi số")
    await expect(card).to_contain_text("Hạn: 31/12/2099")
    await expect(card.locator(".concl-part")).to_have_count(2)

    # Each site: a count on its tab, and only its own part.
    tab = hue.locator("[role=tab][data-tab=conclusions]")
    await expect(tab.locator(".tab-badge")).to_have_text("1")
    await tab.click()
    mine = hue.locator("section.my-conclusions article.concl")
    await expect(mine.locator(".concl-state")).to_have_text("Chưa báo cáo")
    parts = await hue.evaluate(
        "Object.values(window.__controlroom.store.state.conclusions).map(c => Object.keys(c.parts))"
    )
    assert parts == [["HUE"]]
    await mine.locator("textarea[name=text]").fill("Đã gửi báo cáo về Văn phòng")
    await mine.locator("input[name=photo]").set_input_files(
        {"name": "bao-cao.png", "mimeType": "image/png", "buffer": png(40, 30)}
    )
    await mine.locator("input[name=done]").check()
    await mine.get_by_role("button", name="Gửi báo cáo").click()
    await expect(mine.locator(".concl-state")).to_have_text("Đã xong, chờ tiếp nhận")
    await expect(tab.locator(".tab-badge")).to_be_hidden()

    # The operator accepts HUE's part.
    await op.locator("[role=tab][data-tab=conclusions]").click()
    part = op.locator("section.conclusions .concl-part[data-site=HUE]")
    await expect(part).to_contain_text("Đã gửi báo cáo về Văn phòng")
    # The photo attached to the report, fetched with the operator's token.
    await expect(part.locator("img.msg-photo")).to_have_attribute("src", re.compile(r"^blob:"))
    await part.get_by_role("button", name="Tiếp nhận kết quả").click()
    await expect(part.locator(".concl-state")).to_have_text("Đã tiếp nhận kết quả")
    await expect(mine.locator(".concl-state")).to_have_text("Đã tiếp nhận kết quả")
    await expect(mine.locator("form")).to_have_count(0)

    # A second conclusion due in two seconds: DNG misses it.
    due = int(time.time() * 1000) + 2000
    await command(
        quiet_hub,
        "operator",
        "conclusion.add",
        {"text": "Rà soát đường truyền cấp xã", "sites": ["DNG"], "deadline": due},
    )
    late = op.locator("section.conclusions article.concl", has_text="Rà soát đường truyền")
    await expect(late.locator(".concl-part[data-site=DNG]")).to_have_class(
        "concl-part cp-open overdue", timeout=10_000
    )
    await expect(op.locator("[role=tab][data-tab=conclusions] .tab-badge")).to_have_text("1 !")
    await dng.locator("[role=tab][data-tab=conclusions]").click()
    theirs = dng.locator("section.my-conclusions article.concl", has_text="Rà soát đường truyền")
    await expect(theirs.locator(".concl-state")).to_have_text("Chưa báo cáo · Quá hạn")
    for page in (asst, hue, dng, op):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_the_secretary_keeps_the_minutes_under_the_running_item(browser, quiet_hub):
    """A note goes under the running item, beside the speech the queue recorded; an
    edit keeps the old version and says who changed it; a site never sees them."""
    await command(quiet_hub, "operator", "conference.phase", {"phase": "live"})
    await command(quiet_hub, "operator", "agenda.advance", {})
    req = await command(
        quiet_hub,
        "site-hni",
        "speak.request",
        {"speaker": "Trần Văn Bình", "title": "Giám đốc Sở", "topic": "Y tế", "kind": "speech"},
    )
    await command(quiet_hub, "assistant", "speak.grant", {"request_id": req["request_id"]})
    asst = await console(browser, quiet_hub, "assistant")
    await asst.locator("[role=tab][data-tab=minutes]").click()
    pane = asst.locator("section.minutes")
    await pane.locator("textarea[name=text]").fill("Đ/c Bình báo cáo tình hình y tế")
    await pane.get_by_role("button", name="Ghi vào biên bản").click()
    item = pane.locator(".minutes-item").first
    await expect(item.locator("h3")).to_contain_text("1. Đón đại biểu")
    await expect(item.locator("li")).to_have_count(2)
    await expect(item.locator(".minutes-speech")).to_contain_text("Trần Văn Bình (Hà Nội)")
    note = item.locator(".minutes-note")
    await expect(note).to_contain_text("Người ghi: assistant")
    await note.get_by_role("button", name="Sửa").click()
    await asst.locator("dialog.ask input").fill("Đồng chí Bình báo cáo tình hình y tế")
    await asst.locator("dialog.ask").get_by_role("button", name="Đồng ý").click()
    await expect(note.locator(".minutes-text")).to_have_text("Đồng chí Bình báo cáo tình hình y tế")
    await expect(note).to_contain_text("Đã sửa: assistant")
    state = quiet_hub.runtime.hubs["demo"].durable
    (kept,) = state.minutes.values()
    assert [v["text"] for v in kept.versions] == [
        "Đ/c Bình báo cáo tình hình y tế",
        "Đồng chí Bình báo cáo tình hình y tế",
    ]
    site = await console(browser, quiet_hub, "site-hni")
    assert await site.evaluate("window.__controlroom.store.state.minutes") is None
    assert asst.errors == [] and site.errors == []  # type: ignore[attr-defined]
