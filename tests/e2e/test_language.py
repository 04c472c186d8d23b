"""The language switch: every visible string of every console changes, the page's
`lang` follows, and the choice is remembered across a reload."""

from __future__ import annotations

import re

from tests.e2e.conftest import command, console, expect

VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const el = n.parentElement;
    const s = n.textContent.trim();
    // The account's display name in the header is data (it may equal a role's label).
    if (el && el.closest('.whoami .name')) continue;
    if (s && el && el.tagName !== 'OPTION' && el.checkVisibility()) out.push(s);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
    if (!el.checkVisibility()) continue;
    for (const a of ['title', 'placeholder', 'aria-label']) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  for (const el of document.querySelectorAll('select')) {
    if (el.checkVisibility() && el.selectedOptions[0]) out.push(el.selectedOptions[0].textContent);
  }
  out.push(document.title);
  return out;
}"""

NUMERIC = {
    "n",
    "ms",
    "s",
    "pct",
    "min",
    "checked",
    "total",
    "online",
    "degraded",
    "offline",
    "unknown",
    "id",
}


def patterns(mine: dict[str, str], other: dict[str, str]) -> list[tuple[str, re.Pattern[str]]]:
    """Templates of one language that differ in the other, as whole-text patterns."""
    out = []
    for key, text in mine.items():
        if other.get(key) == text:
            continue
        parts = re.split(r"(\{\w+\})", text)
        rx = "".join(
            (r"[\w.,:]+" if p[1:-1] in NUMERIC or p == "{time}" else ".+")
            if p.startswith("{")
            else re.escape(p)
            for p in parts
        )
        out.append((key, re.compile(rx)))
    return out


def leftovers(texts: list[str], pats: list[tuple[str, re.Pattern[str]]]) -> set[str]:
    """Visible pieces (split at " · ") that are a string of the other language."""
    bad = set()
    for text in texts:
        for piece in text.split(" · "):
            piece = piece.strip().rstrip(":").strip()
            for key, rx in pats:
                if piece and rx.fullmatch(piece):
                    bad.add(f"{key}: {piece!r}")
    return bad


async def test_language_switch_changes_every_visible_string(browser, quiet_hub):
    """Operator, assistant, chair and site consoles in Vietnamese show no English-only
    string; after the switch no Vietnamese-only string is left (data aside), `lang` is
    "en", and a reload keeps English."""
    await command(quiet_hub, "operator", "agenda.advance", {})
    await command(
        quiet_hub,
        "site-hue",
        "fault.report",
        {"category": "audio", "severity": "critical", "description": "Micro bàn chủ tọa bị rè"},
    )
    first = await command(
        quiet_hub,
        "site-hni",
        "speak.request",
        {"speaker": "Trần Văn Bình", "title": "Giám đốc Sở", "topic": "Hạ tầng", "kind": "comment"},
    )
    await command(
        quiet_hub,
        "site-hue",
        "speak.request",
        {
            "speaker": "Lê Thị Hoa",
            "title": "Phó Chủ tịch",
            "topic": "Nông nghiệp",
            "kind": "question",
        },
    )
    await command(quiet_hub, "assistant", "speak.approve", {"request_id": first["request_id"]})

    for user, marker_vi, marker_en in [
        ("operator", "Các điểm cầu", "Bridge sites"),
        ("assistant", "Đang phát biểu", "On the floor"),
        ("chair", "Điểm cầu gặp sự cố", "Sites in trouble"),
        ("site-hni", "Phát biểu", "Speaking"),  # a tab of the site console
    ]:
        page = await console(browser, quiet_hub, user)
        await expect(page.get_by_text(marker_vi, exact=True).first).to_be_visible()
        langs = await page.evaluate("import('/i18n.js').then(m => m.LANGS)")
        assert set(langs["vi"]) == set(langs["en"]), "both languages have every key"
        vi_only = patterns(langs["vi"], langs["en"])
        en_only = patterns(langs["en"], langs["vi"])
        assert await page.evaluate("document.documentElement.lang") == "vi"
        texts_vi = await page.evaluate(VISIBLE_TEXT)
        assert leftovers(texts_vi, en_only) == set(), user
        assert leftovers(texts_vi, vi_only), "the check finds Vietnamese strings when present"

        await page.locator("header button.lang").click()
        await expect(page.get_by_text(marker_en, exact=True).first).to_be_visible()
        assert await page.evaluate("document.documentElement.lang") == "en"
        texts_en = await page.evaluate(VISIBLE_TEXT)
        assert leftovers(texts_en, vi_only) == set(), user
        assert len(set(texts_vi) - set(texts_en)) > 10, "the switch changed many strings"

        await page.reload()
        await expect(page.locator("header .conn.connected")).to_have_text("Connected")
        await expect(page.get_by_text(marker_en, exact=True).first).to_be_visible()
        assert page.errors == []
        await page.context.close()
