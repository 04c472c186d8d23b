"""Each console and the report read in one language (issue "No false alarms").

After a busy stretch of the conference (a lost link the hub opened and closed, an
incident-free site fault, a refusal, the floor given, the run-script started), every
console and the report are rendered in Vietnamese and in English, and the text a
person reads is searched for the other language's words: the words of the other
language's strings that the reader's own strings and the conference's data (names
of sites, people, agenda items, typed by the organisers) do not also hold.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from controlroom.report.i18n import LABELS
from controlroom.report.messages import WORDS
from tests.conftest import DEMO, ROOT
from tests.e2e.conftest import command, console, expect
from tests.support.client import Client

ENTRY = re.compile(r'^\s*"[\w.]+":\s*"(.*)",\s*$')
TOKEN = re.compile(r"[^\W\d_]+")
PLACEHOLDER = re.compile(r"\{\w+\}")
#: Hashes and ids (the chain's head hash in the report's footer): their letters a-f
#: are not words, and "…9add3…" would read as the English "add".
HEX = re.compile(r"\b[0-9a-f]{8,}\b")
TYPED = "Mất tiếng ở hội trường Ông Nguyễn Văn Bình Phó Chủ tịch Báo cáo tình hình"


def _tokens(text: str) -> set[str]:
    return {w.casefold() for w in TOKEN.findall(PLACEHOLDER.sub(" ", text))}


def _console_words(lang: str) -> set[str]:
    path = ROOT / "web" / "strings" / f"{lang}.js"
    lines = path.read_text(encoding="utf-8").splitlines()
    return _tokens(" ".join(m[1] for line in lines if (m := ENTRY.match(line))))


def _report_words(index: int) -> set[str]:
    words = [pair[index] for pair in (*LABELS.values(), *WORDS.values())]
    return _tokens(" ".join(words))


def _data_words() -> set[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in Path(DEMO).iterdir() if p.is_file())
    return _tokens(text + " " + TYPED)


def _foreign() -> dict[str, set[str]]:
    """For each reader's language, the words of the other language to look for."""
    vi = _console_words("vi") | _report_words(0)
    en = _console_words("en") | _report_words(1)
    data = _data_words()
    english = {w for w in en - vi - data if w.isascii() and len(w) >= 3}
    vietnamese = {w for w in vi - en - data if not w.isascii()}
    return {"vi": english, "en": vietnamese}


def _offending(text: str, foreign: set[str]) -> list[str]:
    return sorted(_tokens(HEX.sub(" ", text)) & foreign)


async def _busy_conference(hub) -> None:
    await command(hub, "operator", "conference.phase", {"phase": "live"})
    await command(hub, "operator", "agenda.advance", {})
    site = await Client.connect(hub.ws_url, await hub.login("site-hue"))
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    await site.close()  # a lost link: the hub opens a fault with its cause
    await op.event("fault.reported", seconds=10, site="HUE")
    await command(
        hub,
        "site-dng",
        "fault.report",
        {"category": "audio", "severity": "major", "description": TYPED[:28]},
    )
    ask = {"title": "Phó Chủ tịch", "topic": "Báo cáo tình hình", "kind": "speech"}
    first = await command(
        hub, "assistant", "speak.add", {**ask, "site": "DNG", "speaker": "Ông Nguyễn Văn Bình"}
    )
    await command(hub, "assistant", "speak.grant", {"request_id": first["request_id"]})
    # Talk: the site writes, the centre answers; a second speaker is cued ("you are next").
    await command(hub, "site-dng", "msg.send", {"text": TYPED[:28]})
    await command(hub, "operator", "msg.send", {"site": "HUE", "text": TYPED[29:52]})
    await command(hub, "assistant", "speak.add", {**ask, "site": "DNG", "speaker": "Ông Bình"})
    await op.event("cue.sent", seconds=5, site="DNG", reason="speaker")
    await op.close()


async def test_every_console_and_the_report_read_in_one_language(browser, quiet_hub):
    await _busy_conference(quiet_hub)
    foreign = _foreign()
    assert len(foreign["vi"]) > 100 and len(foreign["en"]) > 100  # the lists are real
    found: dict[str, list[str]] = {}
    for lang in ("vi", "en"):
        for user in ("operator", "assistant", "chair", "site-dng"):
            page = await console(browser, quiet_hub, user, lang)
            if user == "operator":  # the site detail too, with its link history
                await page.locator(".tile[data-site=HUE]").click()
                await expect(page.locator("dialog.site-detail")).to_be_visible()
            text = await page.evaluate("document.body.innerText")
            if words := _offending(text, foreign[lang]):
                found[f"{user} ({lang})"] = words
            await page.context.close()
        token = await quiet_hub.login("operator")
        conf = next(iter(quiet_hub.runtime.hubs))
        async with httpx.AsyncClient(base_url=quiet_hub.url) as http:
            r = await http.get(
                f"/api/conferences/{conf}/report",
                params={"lang": lang},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert r.status_code == 200
        body = re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", r.text, flags=re.S)
        if words := _offending(body, foreign[lang]):
            found[f"report ({lang})"] = words
    assert found == {}
