"""A refusal reaches a console in the reader's language, with what exactly was refused."""

from __future__ import annotations

from tests.e2e.conftest import command, console, expect

ASK = {"title": "Giám đốc Sở", "topic": "Báo cáo", "kind": "speech"}


async def test_a_refused_grant_says_who_holds_the_floor_in_each_language(browser, quiet_hub):
    """Granting the floor while it is taken: the toast names the speaker, in one language."""
    await command(quiet_hub, "operator", "conference.phase", {"phase": "live"})
    first = await command(
        quiet_hub, "assistant", "speak.add", {**ASK, "site": "HUE", "speaker": "Ông A"}
    )
    await command(quiet_hub, "assistant", "speak.add", {**ASK, "site": "DNG", "speaker": "Bà B"})
    await command(quiet_hub, "assistant", "speak.grant", {"request_id": first["request_id"]})
    for lang, words, foreign in (
        ("vi", "Ông A (Huế) đang phát biểu; hãy kết thúc lượt đó trước", "floor"),
        ("en", "Ông A (Huế) holds the floor; end that turn first", "phát biểu"),
    ):
        page = await console(browser, quiet_hub, "assistant", lang)
        row = page.locator("li.req", has_text="Bà B")
        grant = "Trao lời" if lang == "vi" else "Give the floor"
        await row.get_by_role("button", name=grant).click()
        await page.locator("dialog.ask button.primary").click()
        toast = page.locator("#toasts .toast.error")
        await expect(toast).to_contain_text(words)
        assert foreign not in await toast.inner_text()
        assert page.errors == []  # type: ignore[attr-defined]
        await page.context.close()
