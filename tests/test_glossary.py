"""Every screen says each thing with the glossary's word (docs/glossary.md)."""

from __future__ import annotations

import re

from controlroom.report.i18n import LABELS
from tests.conftest import ROOT

ENTRY = re.compile(r'^\s*"([\w.]+)":\s*"(.*)",\s*$')


def _strings(lang: str) -> dict[str, str]:
    lines = (ROOT / "web" / "strings" / f"{lang}.js").read_text(encoding="utf-8").splitlines()
    return {m[1]: m[2] for line in lines if (m := ENTRY.match(line))}


def _rows() -> list[list[str]]:
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| thing") and "---" not in line
    ]
    assert len(rows) > 10
    return rows


def test_consoles_and_report_use_the_glossarys_words():
    vi, en = _strings("vi"), _strings("en")
    checked = 0
    for _thing, words_vi, words_en, console, report in _rows():
        keys = re.findall(r"`([\w.]+)`", console)
        if len(keys) == 1 and not keys[0].endswith(".*") and "·" not in words_vi:
            key = keys[0]
            assert (vi[key], en[key]) == (words_vi, words_en), key
            checked += 1
        labels = re.findall(r"`(\w+)`", report)
        if len(keys) == 1 and keys[0].endswith(".*") and labels:  # e.g. sev.* and its labels
            prefix = keys[0][:-2]
            # The console key is the prefix and the label, or the label less its own
            # prefix (``class_normal`` is ``class.normal``).
            names = [
                f"{prefix}.{x}" if f"{prefix}.{x}" in vi else f"{prefix}.{x.split('_', 1)[-1]}"
                for x in labels
            ]
            assert [vi[n] for n in names] == [w.strip() for w in words_vi.split("·")]
            assert [en[n] for n in names] == [w.strip() for w in words_en.split("·")]
            checked += 1
        if labels:
            pairs = [LABELS[label] for label in labels]
            assert [p[0] for p in pairs] == [w.strip() for w in words_vi.split("·")], labels
            assert [p[1] for p in pairs] == [w.strip() for w in words_en.split("·")], labels
            checked += 1
    assert checked > 15


def test_no_screen_calls_a_poor_link_intermittent():
    assert "chập chờn" not in " ".join(_strings("vi").values()).casefold()
    assert all("chập chờn" not in vi.casefold() for vi, _ in LABELS.values())
