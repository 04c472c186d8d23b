"""The hub's own texts are codes: one set of words in the consoles and the report.

Issue "No false alarms": no English inside a Vietnamese screen. The report's words
(``controlroom/report/messages.py``) and the consoles' (``web/strings``) hold the
same codes with the same words, and a fault the hub opened reads in each language.
"""

from __future__ import annotations

import re

from controlroom.domain import SYSTEM, LinkChange, SetPhase
from controlroom.domain.links import LinkHealth, closed, silence
from controlroom.domain.model import Thresholds
from controlroom.report.messages import WORDS, message_text
from tests.conftest import ROOT
from tests.domain.conftest import OPERATOR, T0, World, make_state

ENTRY = re.compile(
    r'^\s*"((?:msg|cause|duration)\.[a-z_]+|source\.(?:bridge|endpoint|console))":\s*"(.*)",\s*$'
)


def _web(lang: str) -> dict[str, str]:
    out = {}
    for line in (ROOT / "web" / "strings" / f"{lang}.js").read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            out[match[1]] = match[2]
    return out


def test_the_report_and_the_consoles_share_one_set_of_words():
    """Every code has the same words in web/strings and in the report, in both languages."""
    vi, en = _web("vi"), _web("en")
    assert set(vi) == set(en) == set(WORDS)
    for key, (vi_words, en_words) in WORDS.items():
        assert (vi[key], en[key]) == (vi_words, en_words), key


def test_a_fault_the_hub_opened_reads_in_each_language_only():
    """link_lost with its cause: Vietnamese without English, English without Vietnamese."""
    world = World(make_state())
    world.run(SetPhase(phase="live"), OPERATOR)
    t = Thresholds()
    (lost,) = closed(LinkHealth(state="online"), T0, t)
    events = world.run(
        LinkChange(site="HN", to="offline", reason=lost.reason, cause=lost.cause), SYSTEM
    )
    code = events[1].data["description_code"]
    names = {"HN": "Hà Nội"}.get
    vi = message_text(code, "vi", lambda c: names(c) or c)
    en = message_text(code, "en", lambda c: names(c) or c)
    assert vi == "Mất kết nối đường truyền tới Hà Nội (phiên kết nối đã đóng)."
    assert en == "Link to Hà Nội lost (the connection closed)."
    assert "connection" not in vi and "đường truyền" not in en
    (quiet,) = silence(LinkHealth(state="online"), 0, 6000, t, 2.0)
    assert message_text({"code": "link_lost", "site": "HN", "cause": quiet.cause}, "vi") == (
        "Mất kết nối đường truyền tới HN (không phản hồi trong 6 giây)."
    )
    assert events[1].data["description"] == "Mất kết nối đường truyền tới Hà Nội."
