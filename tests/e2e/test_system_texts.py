"""The hub's own texts in the consoles: each in the reader's language only."""

from __future__ import annotations

from tests.e2e.conftest import command, console, expect
from tests.support.client import Client


async def test_a_lost_link_reads_in_vietnamese_or_in_english_never_mixed(browser, quiet_hub):
    """A fault the hub opened: Vietnamese words in a Vietnamese console, English in English."""
    await command(quiet_hub, "operator", "conference.phase", {"phase": "live"})
    site = await Client.connect(quiet_hub.ws_url, await quiet_hub.login("site-hue"))
    op = await Client.connect(quiet_hub.ws_url, await quiet_hub.login("operator"))
    await site.close()
    await op.event("fault.reported", seconds=10, site="HUE")
    for lang, words, foreign in (
        ("vi", "Mất kết nối đường truyền tới Huế (phiên kết nối đã đóng).", "connection"),
        ("en", "Link to Huế lost (the connection closed).", "đường truyền"),
    ):
        page = await console(browser, quiet_hub, "operator", lang)
        card = page.locator("article.fault", has_text="HUE")
        await expect(card.locator(".fault-desc")).to_contain_text(words)
        assert foreign not in await card.inner_text()
        assert page.errors == []  # type: ignore[attr-defined]
