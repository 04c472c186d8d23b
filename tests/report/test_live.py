"""The report route and /metrics on a real hub; the offline CLI report equals the live one."""

from __future__ import annotations

import datetime
import io
import json
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import openpyxl
import pytest
from prometheus_client.parser import text_string_to_metric_families

from controlroom.cli import main
from controlroom.report import TABLE_NAMES
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import RunningHub, running_hub


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A real hub on the SQLite log (the offline report reads a copy of its events.db)."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30) as running:
        yield running


async def command(http: httpx.AsyncClient, token: str, cid: str, name: str, args: dict) -> Any:
    r = await http.post(
        "/api/conferences/demo/commands",
        json={"id": cid, "name": name, "args": args},
        headers={"authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(metrics: dict, metric: str, **labels: str) -> float:
    return sum(
        v for (n, ls), v in metrics.items() if n == metric and labels.items() <= dict(ls).items()
    )


async def test_report_route_roles_formats_and_offline_equality(hub: RunningHub, tmp_path: Path):
    """Operator, chair, admin get the report; others 403; the CLI report from a copy is equal."""
    op, site, chair, assistant = [
        await hub.login(u) for u in ("operator", "site-hni", "chair", "assistant")
    ]
    async with httpx.AsyncClient(base_url=hub.url) as http:
        await command(http, op, "p1", "conference.phase", {"phase": "live"})
        fault = {"category": "audio", "severity": "minor", "description": "Mất tiếng"}
        ack = await command(http, site, "f1", "fault.report", fault)
        await command(http, op, "a1", "fault.ack", {"fault_id": ack["result"]["fault_id"]})
        url = "/api/conferences/demo/report"

        def auth(token: str) -> dict[str, str]:
            return {"authorization": f"Bearer {token}"}

        assert (await http.get(url)).status_code == 401
        for token in (site, assistant):
            assert (await http.get(url, headers=auth(token))).status_code == 403
        r = await http.get(url, params={"format": "json"}, headers=auth(chair))
        assert r.status_code == 200
        live = r.json()
        assert live["faults"]["count"] == 1 and live["audit"]["ok"] is True
        assert live["audit"]["last_seq"] == hub.hub.durable_seq
        html = await http.get(url, params={"lang": "en"}, headers=auth(op))
        assert html.headers["content-type"].startswith("text/html")
        assert "Conference summary report" in html.text
        zipped = await http.get(url, params={"format": "csv"}, headers=auth(op))
        names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
        assert sorted(names) == sorted(f"{n}.csv" for n in TABLE_NAMES)
        one = await http.get(url, params={"format": "csv", "table": "faults"}, headers=auth(op))
        assert one.headers["content-type"].startswith("text/csv") and "Mất tiếng" in one.text
        # For people: every table a sheet of one workbook, in the reader's language.
        xlsx = await http.get(url, params={"format": "xlsx"}, headers=auth(op))
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        assert len(book.sheetnames) == len(TABLE_NAMES) and "Sự cố kỹ thuật" in book.sheetnames
        faults = book["Sự cố kỹ thuật"]
        header = [c.value for c in faults[1]]
        row = dict(zip(header, [c.value for c in faults[2]], strict=True))
        assert row["Mô tả"] == "Mất tiếng" and row["Mức độ"] in ("Nghiêm trọng", "Lớn", "Nhỏ")
        assert isinstance(row["Báo lúc"], datetime.datetime)
        document = await http.get(url, params={"format": "document"}, headers=auth(chair))
        assert "Độc lập - Tự do - Hạnh phúc" in document.text
        bad = await http.get(url, params={"format": "pdf"}, headers=auth(op))
        assert bad.status_code == 422
        # A consistent copy of the data directory, taken while the hub runs.
        copy = tmp_path / "copy"
        copy.mkdir()
        source = sqlite3.connect(hub.runtime.options.data_dir / "events.db")
        target = sqlite3.connect(copy / "events.db")
        source.backup(target)
        source.close()
        target.close()
        r = await http.get(url, params={"format": "json"}, headers=auth(op))
        live = r.json()
    out = tmp_path / "out"
    assert main(["report", "--config", str(DEMO), "--data", str(copy), "--out", str(out)]) == 0
    offline = json.loads((out / "report.json").read_text(encoding="utf-8"))
    live.pop("generated_at")
    offline.pop("generated_at")
    assert offline == live
    assert (out / "report.html").stat().st_size > 10_000
    assert {p.name for p in (out / "csv").iterdir()} == {f"{n}.csv" for n in TABLE_NAMES}


async def test_metrics_expose_the_series_and_they_move(hub: RunningHub):
    """/metrics names every series; a command moves the latency histogram and event counter."""
    op = await hub.login("operator")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        before = samples((await http.get("/metrics")).text)
        client = await Client.connect(hub.ws_url, op)
        try:
            await command(http, op, "m1", "conference.phase", {"phase": "live"})
            r = await http.get("/metrics")
        finally:
            await client.close()
    assert r.headers["content-type"].startswith("text/plain")
    after = samples(r.text)
    for name in (
        "controlroom_sessions",
        "controlroom_sites",
        "controlroom_open_faults",
        "controlroom_speaking_queue",
        "controlroom_outbox_frames_sum",
        "controlroom_outbox_frames_max",
        "controlroom_log_seq",
    ):
        assert any(n == name for n, _ in after), name
    count = "controlroom_command_seconds_count"
    assert total(after, count, command="conference.phase") == 1 + total(
        before, count, command="conference.phase"
    )
    assert total(after, "controlroom_events_total", name="conference.phase") == 1
    assert total(after, "controlroom_sessions", role="operator") == 1
    assert total(after, "controlroom_sites", state="unknown") == len(hub.hub.durable.sites)
    assert total(before, "controlroom_sessions", role="operator") == 0


async def test_evictions_are_counted(hub: RunningHub):
    """A session closed with 4008 counts as an eviction; a normal close does not."""
    metrics = hub.runtime.metrics
    principal = SimpleNamespace(conference="demo")
    metrics.closed(SimpleNamespace(close_code=1000, principal=principal))
    metrics.closed(SimpleNamespace(close_code=4008, principal=principal))
    values = samples(metrics.render().decode())
    assert total(values, "controlroom_evictions_total", conference="demo") == 1
