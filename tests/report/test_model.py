"""The report model on a scripted conference: every figure asserted exactly."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile
from typing import Any

import pytest

from controlroom.config import ConferenceConfig
from controlroom.report import (
    TABLE_NAMES,
    build_report,
    csv_table,
    csv_zip,
    from_records,
    render_html,
    to_json,
)
from controlroom.report.stats import percentile, summary
from tests.report.script import Script, local_ms


@pytest.fixture
def report(demo_config: ConferenceConfig, script: Script) -> dict[str, Any]:
    extract = from_records("demo", script.records)
    return build_report(
        demo_config, extract.events, extract.verification, head_hash=extract.head_hash
    )


def site(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in report["attendance"]["sites"] if s["site"] == code)


def test_window_runs_from_live_to_ended(report, demo_config):
    """The window is 08:00 (live) to 10:00 (ended): 7,200 s."""
    assert report["window"]["start"] == local_ms(demo_config, "08:00")
    assert report["window"]["end"] == local_ms(demo_config, "10:00")
    assert report["window"]["duration_s"] == 7200


def test_attendance_of_a_site_that_dropped_out(report, demo_config):
    """HUE: 10 min offline once, 5 min degraded, the rest online; RTT from the changes."""
    hue = site(report, "HUE")
    assert hue["checked_in_at"] == local_ms(demo_config, "07:40")
    assert (hue["online_s"], hue["degraded_s"], hue["offline_s"]) == (6300, 300, 600)
    assert hue["connected_s"] == 6600 and hue["share"] == round(6600 / 7200, 4)
    assert hue["dropouts"] == 1 and hue["longest_outage_s"] == 600
    assert (hue["rtt_median_ms"], hue["rtt_p95_ms"]) == (95.0, 400.0)
    assert hue["loss_p95_pct"] == 5.0
    hni = site(report, "HNI")
    assert (hni["share"], hni["dropouts"], hni["rtt_median_ms"]) == (1.0, 0, 40.0)
    never = site(report, "HCM")
    assert never["checked_in_at"] is None and never["unknown_s"] == 7200
    assert never["share"] == 0
    assert report["attendance"]["checked_in"] == 2


def test_fault_times(report):
    """09:00:00 reported, 09:00:45 acknowledged: 45 s; resolved at 09:05: 300 s."""
    faults = report["faults"]
    by_id = {f["fault_id"]: f for f in faults["faults"]}
    assert by_id["F0002"]["ack_s"] == 45 and by_id["F0002"]["resolve_s"] == 300
    assert by_id["F0001"]["ack_s"] == 120 and by_id["F0001"]["resolve_s"] is None
    assert faults["time_to_ack"] == {"count": 2, "median": 82.5, "p90": 120, "worst": 120}
    assert faults["time_to_resolve"] == {"count": 1, "median": 300, "p90": 300, "worst": 300}
    per_site = {row["site"]: row for row in faults["per_site"]}
    assert per_site["HNI"]["time_to_ack"]["worst"] == 45
    assert per_site["HUE"]["open"] == 1
    assert faults["by_category"] == {"network": 1, "audio": 1}
    assert faults["by_severity"] == {"critical": 1, "major": 1}
    assert faults["still_open"] == ["F0001"]
    assert [e["fault_id"] for e in faults["escalations"]] == ["F0001"]


def test_speaking(report, demo_config):
    """Granted at 08:30 with 300 s, ended at 08:35:30: 330 s spoken, 30 s overrun."""
    sp = report["speaking"]
    assert (sp["requests"], sp["approved"], sp["rejected"], sp["withdrawn"]) == (3, 1, 1, 1)
    (speech,) = sp["list"]
    assert speech["site"] == "HNI" and speech["speaker"] == "Nguyễn Văn A"
    assert speech["start"] == local_ms(demo_config, "08:30")
    assert (speech["duration_s"], speech["limit_s"], speech["overrun_s"]) == (330, 300, 30)
    hni = next(r for r in sp["per_site"] if r["site"] == "HNI")
    assert (hni["requests"], hni["speeches"], hni["total_s"], hni["withdrawn"]) == (2, 1, 330, 1)


def test_runscript(report):
    """A03 planned 08:15 started 08:17: a 2 min delay; A02 ran 11 min for 10 planned."""
    items = {i["item_id"]: i for i in report["runscript"]["items"]}
    assert items["A03"]["delay_s"] == 120 and items["A03"]["status"] == "running"
    assert items["A01"]["delay_s"] == 30 and items["A01"]["overrun_s"] == 30
    assert items["A02"]["actual_duration_s"] == 660 and items["A02"]["overrun_s"] == 60
    assert items["A04"]["status"] == "not_started" and items["A04"]["delay_s"] is None
    # A03 is still running when the log ends (10:00): 103 min against 10 planned.
    assert items["A03"]["actual_duration_s"] == 103 * 60
    assert report["runscript"]["started"] == 3 and report["runscript"]["overrun_events"] == 1


def test_testcalls(report):
    """The latest call per site counts; HUE was called twice (one retry)."""
    rows = {r["site"]: r for r in report["testcalls"]["sites"]}
    assert (rows["HNI"]["verdict"], rows["HNI"]["mos"], rows["HNI"]["retries"]) == ("pass", 4.2, 0)
    assert (rows["HUE"]["verdict"], rows["HUE"]["mos"], rows["HUE"]["retries"]) == ("warn", 3.6, 1)
    assert rows["HUE"]["reasons"] == [{"vi": "loss 2.5 %", "en": "loss 2.5 %"}]
    assert rows["HCM"]["verdict"] is None
    assert (report["testcalls"]["pass"], report["testcalls"]["warn"]) == (1, 1)


def test_testcall_reasons_and_figures_read_as_sentences(demo_config):
    """A grading's reason (code, vi, en) is its sentence, and the figures a summary."""
    from tests.report.script import Script

    s = Script(demo_config)
    reason = {
        "code": "loss",
        "level": "warn",
        "vi": "Mất gói 2,5 % > 1 %",
        "en": "Loss 2.5 % > 1 %",
    }
    metrics = {"rtt_ms": 41.6, "loss_pct": 2.5, "mos": 3.9, "audio_level_dbfs": -20.1}
    s.record(
        "testcall.result",
        {"call": "T1", "site": "HUE", "verdict": "warn", "metrics": metrics, "reasons": [reason]},
        demo_config.conference.starts_at,
    )
    extract = from_records("demo", s.records)
    report = build_report(demo_config, extract.events, extract.verification)
    vi, en = render_html(report, "vi"), render_html(report, "en")
    assert "Mất gói 2,5 % &gt; 1 %" in vi and "Loss 2.5 % &gt; 1 %" in en
    assert "RTT 42 ms · mất gói 2,5 %" in vi and "RTT 42 ms · loss 2.5 %" in en
    assert "{&#39;code&#39;" not in vi and "audio_level_dbfs" not in vi


def test_audit(report, script):
    """The chain verifies; first and last seq and the head hash are recorded."""
    audit = report["audit"]
    assert audit["ok"] is True and audit["count"] == len(script.records)
    assert (audit["first_seq"], audit["last_seq"]) == (1, len(script.records))
    assert audit["head_hash"] == script.records[-1].hash


def test_tampered_chain_is_reported_loudly(demo_config, script):
    """One event's data changed: audit.ok is false and the HTML opens with the banner."""
    records = list(script.records)
    victim = records[24]
    altered = type(victim.event)(
        victim.event.seq,
        victim.event.at,
        victim.event.name,
        victim.event.actor,
        {**victim.event.data, "severity": "minor"},
    )
    records[24] = type(victim)(altered, victim.prev_hash, victim.hash)
    extract = from_records("demo", records)
    report = build_report(demo_config, extract.events, extract.verification)
    assert report["audit"]["ok"] is False and report["audit"]["broken_seq"] == victim.event.seq
    page = render_html(report, "en")
    assert page.index('id="tampered"') < page.index("<header>")
    assert "THE HASH CHAIN DOES NOT VERIFY" in page


def test_json_is_the_model(report):
    """The JSON rendering parses back to the model."""
    assert json.loads(to_json(report)) == report


def test_csv_tables(report):
    """Each table is a CSV file in the zip; headers follow the language; numbers stay numbers."""
    archive = zipfile.ZipFile(io.BytesIO(csv_zip(report, "en")))
    assert sorted(archive.namelist()) == sorted(f"{n}.csv" for n in TABLE_NAMES)
    text = csv_table(report, "speeches", "vi")
    assert text is not None and text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["Vượt"] == "30" and rows[0]["Bắt đầu"].startswith("2026-12-01T08:30:00+07")
    assert csv_table(report, "nope", "vi") is None


def test_html_has_every_table_in_both_languages(report):
    """Vietnamese by default, English on request; every table is there with its caption."""
    vi, en = render_html(report), render_html(report, "en")
    assert '<html lang="vi">' in vi and "Báo cáo tổng hợp hội nghị" in vi
    assert '<html lang="en">' in en and "Conference summary report" in en
    for name in TABLE_NAMES:
        assert f'data-table="{name}"' in vi and f'data-table="{name}"' in en
    assert "<script" not in vi and vi.count("<svg") == 3
    assert 'id="tampered"' not in vi


def test_nearest_rank_percentiles():
    """p90 of 1..10 is 9, of one value that value; empty gives None."""
    assert percentile(range(1, 11), 90) == 9
    assert summary([7]) == {"count": 1, "median": 7, "p90": 7, "worst": 7}
    assert summary([]) == {"count": 0, "median": None, "p90": None, "worst": None}


def test_fast_verification_matches_the_chain(script):
    """verify_fast agrees with chain.verify on a good chain and on every kind of break."""
    from controlroom.report.source import verify_fast
    from controlroom.store.chain import verify

    records = list(script.records)
    assert verify_fast("demo", records) == verify("demo", records)
    assert verify_fast("other", records) == verify("other", records)
    event = records[9].event
    changed = type(event)(event.seq, event.at + 1, event.name, event.actor, event.data)
    broken = records[:9] + [type(records[9])(changed, records[9].prev_hash, records[9].hash)]
    assert verify_fast("demo", broken) == verify("demo", broken)
    assert verify_fast("demo", records[:5] + records[6:]) == verify(
        "demo", records[:5] + records[6:]
    )
    assert verify_fast("demo", []) == verify("demo", [])


@pytest.mark.parametrize("canonical", [True, False])
def test_a_data_directory_verifies_whether_data_was_stored_sorted_or_not(
    script, tmp_path, canonical
):
    """The stored data text is hashed as is; an older unsorted log still verifies."""
    from controlroom.report.source import read_data_dir

    path = script.write(tmp_path, canonical=canonical)
    extract = read_data_dir(tmp_path, "demo")
    assert extract.verification.ok and extract.verification.count == len(script.records)
    assert extract.events == [r.event for r in script.records]
    db = sqlite3.connect(path)
    with db:  # change one stored description, keep its hash
        db.execute(
            "UPDATE events SET data=replace(data, 'Mất', 'Có') WHERE seq=("
            "SELECT min(seq) FROM events WHERE name='fault.reported')"
        )
    db.close()
    broken = read_data_dir(tmp_path, "demo").verification
    assert not broken.ok and "altered" in broken.reason


def test_csv_for_excel_reads_as_vietnamese_excel_does(report):
    """for=excel: semicolons, a decimal comma, words for codes, local times."""
    text = csv_table(report, "faults", "vi", excel=True)
    assert text is not None
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Mức độ"] in ("Nghiêm trọng", "Lớn") and row["Trạng thái"] in (
        "Mới",
        "Đã tiếp nhận",
        "Đã xử lý",
    )
    assert "/" in row["Báo lúc"] and "T" not in row["Báo lúc"]  # dd/mm/yyyy hh:mm:ss
    sites = list(
        csv.reader(
            io.StringIO(csv_table(report, "sites", "vi", excel=True).lstrip("\ufeff")),
            delimiter=";",
        )
    )
    hni = next(dict(zip(sites[0], r, strict=True)) for r in sites[1:] if r[0] == "HNI")
    assert re.fullmatch(r"\d+,\d", hni["Tỷ lệ"]), hni["Tỷ lệ"]  # a percentage, decimal comma
    assert csv_table(report, "faults", "en", excel=True).splitlines()[0].count(",") > 3
