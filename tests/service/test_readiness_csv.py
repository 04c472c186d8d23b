"""The readiness board's CSV reads as a table in the reader's spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from controlroom.service.readiness import readiness_csv

TZ = "Asia/Ho_Chi_Minh"
TESTED = int(datetime(2026, 11, 30, 15, 4, 5, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
ROW = {
    "code": "HUE",
    "name": "Huế",
    "region": "Bắc Trung Bộ",
    "checked_in": True,
    "verdict": "warn",
    "tested_at": TESTED,
    "reasons": [{"code": "loss", "vi": "Mất gói 2,5 %", "en": "Loss 2.5 %"}],
    "metrics": {"rtt_ms": 41.5, "loss_pct": 2.5, "mos": 3.9, "video_fps": 30.0},
    "link": {"state": "degraded", "rtt_ms": 180.25, "loss_pct": 0.35},
    "technician": "Lê Văn Phước",
    "phone": "0935 118 204",
}


def _table(text: str, delimiter: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_vietnamese_csv_has_words_semicolons_and_a_decimal_comma():
    (row,) = _table(readiness_csv([ROW], "vi", TZ), ";")
    assert row["Mã"] == "HUE" and row["Đã điểm danh"] == "Có"
    assert row["Kết quả"] == "Cần lưu ý" and row["Đường truyền hiện tại"] == "Kém"
    assert row["Kiểm tra lúc"] == "30/11/2026 15:04:05"
    assert row["RTT (ms)"] == "41,50" and row["Mất gói hiện tại (%)"] == "0,35"
    assert row["Khung hình/giây"] == "30"
    assert row["Lý do"] == "Mất gói 2,5 %"


def test_english_csv_has_commas_and_a_decimal_point():
    (row,) = _table(readiness_csv([ROW], "en", TZ), ",")
    assert (row["Checked in"], row["Verdict"], row["Link now"]) == ("Yes", "Warning", "Degraded")
    assert row["RTT now (ms)"] == "180.25" and row["Reasons"] == "Loss 2.5 %"


def test_a_site_never_tested_says_so():
    untested = {**ROW, "verdict": None, "tested_at": None, "reasons": [], "metrics": {}}
    (row,) = _table(readiness_csv([untested], "vi", TZ), ";")
    assert row["Kết quả"] == "Chưa gọi thử" and row["Kiểm tra lúc"] == "" and row["MOS"] == ""
