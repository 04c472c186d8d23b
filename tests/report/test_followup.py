"""The report's paperwork on the scripted conference: the minutes (notes of the
secretary, one edited, with the speeches the queue recorded, by run-script item, and
the attendance), and three conclusions followed up by two sites after it ended
(HNI's part done and accepted, HUE's overdue), in the model and in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.config import ConferenceConfig
from controlroom.report import build_report, from_records, render_html
from tests.report.conftest import scripted
from tests.report.script import ASSISTANT, OPERATOR, local_ms, site_actor

DAY = 86_400_000


@pytest.fixture
def report(demo_config: ConferenceConfig) -> dict[str, Any]:
    return paper_day(demo_config)


def paper_day(demo_config: ConferenceConfig) -> dict[str, Any]:
    """The scripted conference with its minutes and three conclusions followed up."""
    s = scripted(demo_config)

    def at(hhmmss: str, day: int = 0) -> int:
        return local_ms(demo_config, hhmmss, day)

    hni, hue = site_actor("HNI"), site_actor("HUE")
    # The secretary's notes: one under the first item, one under the current (A03),
    # edited later.
    s.cmd(ASSISTANT, "minutes.note", {"text": "Các điểm cầu ổn định", "item": "A01"}, at("08:01"))
    s.cmd(ASSISTANT, "minutes.note", {"text": "Đ/c Chủ trì kết luận phần thảo luận"}, at("09:10"))
    s.cmd(
        OPERATOR,
        "minutes.edit",
        {"note_id": "N0002", "text": "Đồng chí Chủ trì kết luận phần thảo luận"},
        at("10:02"),
    )
    # Recorded at the end of the meeting, after it ended (the conference is "ended").
    for text, sites, days in [
        ("Hoàn thành báo cáo chuyển đổi số", ["HNI", "HUE"], 7),
        ("Rà soát hạ tầng đường truyền cấp xã", ["HUE"], 30),
        ("Tổng kết công tác phối hợp", ["HNI"], 14),
    ]:
        s.cmd(
            ASSISTANT,
            "conclusion.add",
            {"text": text, "sites": sites, "deadline": at("17:00", days)},
            at("10:05"),
        )
    s.cmd(
        hni,
        "conclusion.report",
        {"conclusion_id": "K001", "percent": 50, "text": "Đã giao"},
        at("09:00", 2),
    )
    s.cmd(
        hni,
        "conclusion.report",
        {"conclusion_id": "K001", "done": True, "text": "Đã gửi"},
        at("09:00", 4),
    )
    s.cmd(OPERATOR, "conclusion.accept", {"conclusion_id": "K001", "site": "HNI"}, at("10:00", 4))
    s.cmd(
        hue,
        "conclusion.report",
        {"conclusion_id": "K001", "percent": 20, "text": "Đang làm"},
        at("09:00", 5),
    )
    s.tick(at("17:00", 7))  # K001's deadline: HUE's part is overdue
    extract = from_records("demo", s.records)
    return build_report(demo_config, extract.events, extract.verification)


def test_the_follow_up_section_says_who_is_done_and_who_is_late(report):
    f = report["followup"]
    assert (f["conclusions"], f["parts"], f["accepted"], f["overdue"], f["owed"]) == (3, 4, 1, 1, 3)
    rows = {(r["conclusion_id"], r["site"]): r for r in f["rows"]}
    assert rows[("K001", "HNI")]["state"] == "part_accepted"
    assert rows[("K001", "HNI")]["last_report"] == "Đã gửi"
    late = rows[("K001", "HUE")]
    assert (late["state"], late["percent"], late["overdue"], late["name"]) == (
        "part_in_progress",
        20,
        True,
        "Huế",
    )
    assert not rows[("K002", "HUE")]["overdue"]  # its deadline is later than the log
    assert [r["conclusion_id"] for r in f["rows"]] == ["K001", "K001", "K003", "K002"]


def test_the_follow_up_table_reads_in_both_languages(report):
    vi, en = render_html(report, "vi"), render_html(report, "en")
    assert "Kết luận và theo dõi thực hiện" in vi and "Đã tiếp nhận kết quả" in vi
    assert "Phần việc quá hạn" in vi
    assert "Conclusions and their follow-up" in en and "In progress" in en
    assert "part_in_progress" not in vi + en


def test_the_minutes_put_notes_and_speeches_under_their_item(report):
    m = report["minutes"]
    assert m["attendance"]["checked_in"] == 2 and m["attendance"]["sites"] == 35
    assert m["unfiled"] == []
    assert [e["text"] for e in m["items"][0]["entries"]] == ["Các điểm cầu ổn định"]
    a03 = next(i for i in m["items"] if i["order"] == 3)
    kinds = [(e["kind"], e.get("text") or e.get("speaker")) for e in a03["entries"]]
    assert kinds == [
        ("speech", "Nguyễn Văn A"),
        ("note", "Đồng chí Chủ trì kết luận phần thảo luận"),
    ]
    note = a03["entries"][1]
    assert note["account"] == "assistant" and note["edits"][0]["account"] == "operator"
    html = render_html(report, "vi")
    assert "Biên bản hội nghị" in html and "Phát biểu: Nguyễn Văn A" in html
    assert "(5 phút 30 giây)" in html
    assert "Người ghi: assistant; sửa operator 10:02" in html
    assert "Minutes of the conference" in render_html(report, "en")
