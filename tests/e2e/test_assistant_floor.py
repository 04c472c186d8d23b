"""The assistant runs the floor from the keyboard, and focus stays where the work is."""

from __future__ import annotations

from tests.e2e.conftest import command, console, expect

ASK = {"title": "Giám đốc Sở", "topic": "Chuyển đổi số", "kind": "speech"}


async def test_end_and_give_the_floor_to_the_next_by_button_and_by_key(browser, quiet_hub):
    for site, speaker in (("HUE", "Ông Trần An"), ("DNG", "Bà Lê Bình"), ("HCM", "Ông Phạm Cường")):
        await command(
            quiet_hub, "assistant", "speak.add", {**ASK, "site": site, "speaker": speaker}
        )
    asst = await console(browser, quiet_hub, "assistant")
    await expect(asst.locator(".floor .keys")).to_contain_text("N người tiếp theo")
    # N with the floor empty gives it to the first in the queue (after the warning
    # about a site that is not online, which the assistant accepts).
    await asst.locator("body").press("n")
    await asst.locator("dialog.ask").get_by_role("button", name="Đồng ý").click()
    await expect(asst.locator(".floor .on-floor .speaker")).to_have_text("Ông Trần An")
    # The button on the floor card names who comes next.
    nxt = asst.locator(".floor .on-floor").get_by_role("button", name="Kết thúc, mời Bà Lê Bình")
    await nxt.click()
    await asst.locator("dialog.ask").get_by_role("button", name="Đồng ý").click()
    await expect(asst.locator(".floor .on-floor .speaker")).to_have_text("Bà Lê Bình")
    await asst.locator("body").press("+")
    await asst.locator("body").press("e")
    await expect(asst.locator(".floor .empty")).to_be_visible()
    state = quiet_hub.runtime.hubs["demo"].durable.speaking
    ended = [r for r in state.requests.values() if r.state == "ended"]
    assert sorted(r.speaker for r in ended) == ["Bà Lê Bình", "Ông Trần An"]
    assert next(r for r in ended if r.speaker == "Bà Lê Bình").limit_s == 420 + 60
    assert asst.errors == []  # type: ignore[attr-defined]


async def test_focus_stays_in_the_list_after_approving(browser, quiet_hub):
    for speaker in ("Ông A", "Bà B"):
        await command(quiet_hub, "site-hue", "speak.request", {**ASK, "speaker": speaker})
    asst = await console(browser, quiet_hub, "assistant")
    first = asst.locator(".incoming .req").first.get_by_role("button", name="Duyệt")
    await first.focus()
    await first.press("Enter")
    await expect(asst.locator(".incoming .req")).to_have_count(1)
    focused = await asst.evaluate("document.activeElement.closest('.incoming') !== null")
    assert focused  # on the next request's button, not dropped to <body>
