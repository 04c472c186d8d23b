"""Test calls over a real hub: agents answer (in this process and in another), silence,
no answer, no session, a campaign with a retry, restart, test_at, the readiness board."""

from __future__ import annotations

import asyncio
import contextlib
import csv as stdlib_csv
import io
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from controlroom.agent.session import HubSession
from controlroom.agent.testcall import CAPS, CallAnswerer
from controlroom.config import load_conference
from controlroom.service.testcalls import TestCallSettings
from media.answerer import AnswerOptions
from media.caller import CallOptions
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import RunningHub, running_hub
from tests.support.timing import timeout

CAMPAIGN_SITES = ["HNI", "HUE", "HPG", "DNG", "HCM", "CTO", "TQG", "CBG", "LCU", "LCI"]


def settings(**kw: Any) -> TestCallSettings:
    """Short calls for tests: 1.5 s of media, 4 s to answer, retry after 0.3 s."""
    call = CallOptions(duration_s=kw.pop("duration_s", 1.5), width=320, height=240, fps=12)
    return TestCallSettings(
        call=call, answer_timeout_s=kw.pop("answer_timeout_s", 4.0), retry_delay_s=0.3, **kw
    )


@pytest.fixture
async def tc_hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A hub with short test calls and a long heartbeat."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, testcall=settings()) as hub:
        yield hub


@contextlib.asynccontextmanager
async def agent(
    hub: RunningHub, code: str, options: AnswerOptions | None = None, **kw: Any
) -> AsyncIterator[CallAnswerer]:
    """A site agent session (in this process) that answers test calls."""
    session = HubSession(hub.url, f"site-{code.lower()}", "demo", caps=CAPS)
    answerer = CallAnswerer(session, options or AnswerOptions(fps=12), **kw)
    task = asyncio.create_task(session.run())
    try:
        await asyncio.wait_for(session.connected.wait(), timeout(10))
        yield answerer
    finally:
        await answerer.close()
        session.stop()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, timeout(5))


async def operator(hub: RunningHub) -> Client:
    """An operator console session."""
    return await Client.connect(hub.ws_url, await hub.login("operator"))


async def test_agent_in_process_passes_with_plausible_metrics(tc_hub):
    """A healthy agent passes: set-up, RTT, loss, MOS, audio level and frame rate are sane."""
    op = await operator(tc_hub)
    async with agent(tc_hub, "HNI"):
        ack = await op.cmd("testcall.start", {"site": "HNI"})
        assert ack["type"] == "ack" and ack["result"] == {"call": "T0001"}
        result = await op.event("testcall.result", seconds=20, call="T0001")
    data = result["data"]
    assert data["verdict"] == "pass", data["reasons"]
    m = data["metrics"]
    assert 0 < m["setup_ms"] < 3000 and m["probes_answered"] >= 20
    assert 0 < m["rtt_ms"] < 100 and m["loss_pct"] < 1 and m["mos"] > 4.0
    assert m["audio_level_dbfs"] > -40 and not m["audio_silent"]
    assert m["video_fps"] > 5 and (m["video_width"], m["video_height"]) == (320, 240)
    assert m["site_reported"] and m["site_audio_silent"] is False and m["site_video_fps"] > 5
    token = await tc_hub.login("site-hni")
    async with httpx.AsyncClient(base_url=tc_hub.url) as http:
        answer = await http.get(
            "/api/conferences/demo/snapshot", headers={"Authorization": f"Bearer {token}"}
        )
    snap = answer.json()
    assert snap["state"]["testcalls"]["HNI"]["verdict"] == "pass"


async def test_silent_site_fails_naming_the_missing_audio(tc_hub):
    """A site that sends silence fails, and the reason says no audio came from the site."""
    op = await operator(tc_hub)
    async with agent(tc_hub, "HUE", AnswerOptions(audio="silence", fps=12)):
        await op.cmd("testcall.start", {"site": "HUE"})
        result = await op.event("testcall.result", seconds=20, site="HUE")
    assert result["data"]["verdict"] == "fail"
    codes = [r["code"] for r in result["data"]["reasons"]]
    assert codes == ["no_audio_from_site"]
    assert result["data"]["reasons"][0]["vi"] == "Không nhận được tiếng từ điểm cầu"


async def test_site_that_never_answers_fails_with_a_timeout(tc_hub):
    """A capable session that ignores the offer fails after answer_timeout_s, saying so."""
    op = await operator(tc_hub)
    site = await Client.connect(tc_hub.ws_url, None, hello=False)
    await site.send(
        {
            "type": "hello",
            "token": await tc_hub.login("site-hpg"),
            "conference": "demo",
            "resume_after": None,
            "client": "mute/1",
            "caps": ["rtc"],
        }
    )
    await site.wait_for(lambda f: f["type"] == "synced")
    await op.cmd("testcall.start", {"site": "HPG"})
    offer = await site.wait_for(lambda f: f["type"] == "rtc.offer", 10)
    assert "a=candidate" in offer["sdp"] and "webrtc-datachannel" in offer["sdp"]
    result = await op.event("testcall.result", seconds=15, site="HPG")
    reason = result["data"]["reasons"][0]
    assert (result["data"]["verdict"], reason["code"]) == ("fail", "no_answer")
    assert "4 s" in reason["en"] and "không trả lời" in reason["vi"]
    await site.wait_for(lambda f: f["type"] == "rtc.end" and f["call"] == offer["call"])


async def test_site_without_capable_session_fails_at_once(tc_hub):
    """With no session that can answer, the verdict is fail with that reason, at once."""
    op = await operator(tc_hub)
    plain = await Client.connect(tc_hub.ws_url, await tc_hub.login("site-dng"))
    started = time.monotonic()
    await op.cmd("testcall.start", {"site": "DNG"})
    result = await op.event("testcall.result", site="DNG")
    assert time.monotonic() - started < timeout(2)
    assert result["data"]["reasons"][0]["code"] == "no_session"
    seen = await plain.event("testcall.result", site="DNG")
    assert seen["data"]["verdict"] == "fail"


async def test_campaign_over_ten_sites_retries_and_finishes(tc_hub):
    """Ten agents, one declining its first call: progress events, one retry, all ten done."""
    op = await operator(tc_hub)
    declined: list[str] = []

    def first_declines(offer: dict[str, Any]) -> AnswerOptions | None:
        if not declined:
            declined.append(offer["call"])
            return None
        return AnswerOptions(fps=12)

    async with contextlib.AsyncExitStack() as stack:
        for code in CAMPAIGN_SITES:
            kw = {"options_for": first_declines} if code == "HCM" else {}
            await stack.enter_async_context(agent(tc_hub, code, **kw))
        ack = await op.cmd("testcall.campaign", {"sites": CAMPAIGN_SITES, "concurrency": 4})
        assert ack["type"] == "ack"
        last = await op.wait_for(
            lambda f: (
                f["type"] == "event"
                and f["name"] == "campaign.progress"
                and f["data"]["state"] != "running"
            ),
            60,
        )
    progress = [e for e in op.events if e["name"] == "campaign.progress"]
    assert last["data"]["state"] == "done" and last["data"]["done"] == 10
    assert last["data"]["retries"] >= 1 and len(progress) >= 11
    retried = [e for e in op.events if e["name"] == "testcall.result" and e["data"]["retry"]]
    assert any(e["data"]["site"] == "HCM" for e in retried)
    hcm = [e for e in op.events if e["name"] == "testcall.started" and e["data"]["site"] == "HCM"]
    assert [e["data"]["attempt"] for e in hcm] == [1, 2]
    final = [e for e in op.events if e["name"] == "testcall.result" and e["data"]["site"] == "HCM"]
    assert final[-1]["data"]["attempt"] == 2 and not final[-1]["data"]["retry"]


async def test_cancel_stops_a_running_call(tc_hub):
    """testcall.cancel ends a running call with a cancelled fail and tells the site."""
    op = await operator(tc_hub)
    site = await Client.connect(tc_hub.ws_url, None, hello=False)
    await site.send(
        {
            "type": "hello",
            "token": await tc_hub.login("site-lci"),
            "conference": "demo",
            "resume_after": None,
            "client": "mute/1",
            "caps": ["rtc"],
        }
    )
    await site.wait_for(lambda f: f["type"] == "synced")
    await op.cmd("testcall.start", {"site": "LCI"})
    offer = await site.wait_for(lambda f: f["type"] == "rtc.offer", 10)
    ack = await op.cmd("testcall.cancel", {"call": offer["call"]})
    assert ack["type"] == "ack"
    result = await op.event("testcall.result", site="LCI")
    assert result["data"]["reasons"][0]["code"] == "cancelled"
    end = await site.wait_for(lambda f: f["type"] == "rtc.end", 5)
    assert end["reason"] == "cancelled"


async def test_call_running_at_restart_fails_as_interrupted(tmp_path):
    """A call left running when the hub stops gets a fail "interrupted" result at start-up."""
    data = tmp_path / "data"
    async with running_hub(
        DEMO, data, heartbeat_s=30, testcall=settings(answer_timeout_s=60)
    ) as hub:
        op = await operator(hub)
        site = await Client.connect(hub.ws_url, None, hello=False)
        await site.send(
            {
                "type": "hello",
                "token": await hub.login("site-cbg"),
                "conference": "demo",
                "resume_after": None,
                "caps": ["rtc"],
            }
        )
        await site.wait_for(lambda f: f["type"] == "synced")
        await op.cmd("testcall.start", {"site": "CBG"})
        await site.wait_for(lambda f: f["type"] == "rtc.offer", 10)
        await op.close()
        await site.close()
    async with running_hub(DEMO, data, heartbeat_s=30, testcall=settings()) as hub:
        snap = hub.hub.durable.testcalls["CBG"]
        assert (snap["state"], snap["verdict"]) == ("done", "fail")
        assert snap["reasons"][0]["code"] == "interrupted"


async def test_test_at_starts_a_campaign_by_itself_once(tmp_path):
    """A conference whose test_at is now starts its campaign at start-up, and not again.

    The hub's clock is passed in, starting at the demo's own test_at (the real date
    and hour play no part), and runs on at the real pace.
    """
    conf = DEMO
    test_at = load_conference(conf).conference.test_at
    assert test_at is not None
    base = time.monotonic()

    def clock() -> int:
        return test_at + int((time.monotonic() - base) * 1000)

    def run(data: Path) -> Any:
        return running_hub(conf, data, heartbeat_s=30, testcall=settings(), clock_ms=clock)

    async with run(tmp_path / "data") as hub:
        op = await operator(hub)
        await op.wait_for(
            lambda f: (
                f["type"] == "event"
                and f["name"] == "campaign.progress"
                and f["data"]["state"] == "done"
            ),
            30,
        )
    async with run(tmp_path / "data") as hub:
        runner = hub.runtime.testcalls["demo"]
        assert not runner._tasks, "a second start schedules no campaign"
    starts = [r for r in await hub.hub.events_after(0) if r.event.name == "campaign.started"]
    assert len(starts) == 1 and starts[0].event.data["trigger"] == "test_at"
    assert len(starts[0].event.data["sites"]) == 34


async def test_readiness_board_sorts_worst_first_and_exports_csv(tc_hub):
    """The board lists every site, failures first, with technician and phone; CSV too."""
    op = await operator(tc_hub)
    await op.cmd("testcall.start", {"site": "TQG"})
    await op.event("testcall.result", site="TQG")
    token = await tc_hub.login("operator")
    async with httpx.AsyncClient(
        base_url=tc_hub.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        board = (await http.get("/api/conferences/demo/readiness")).json()
        csv = await http.get("/api/conferences/demo/readiness?format=csv&lang=en")
        csv_vi = await http.get("/api/conferences/demo/readiness?format=csv")
        site_token = await tc_hub.login("site-tqg")
        refused = await http.get(
            "/api/conferences/demo/readiness", headers={"Authorization": f"Bearer {site_token}"}
        )
    rows = board["sites"]
    assert len(rows) == 35 and rows[0]["code"] == "TQG" and rows[0]["verdict"] == "fail"
    assert rows[0]["technician"] and rows[0]["phone"]
    assert board["counts"]["fail"] == 1 and board["counts"]["untested"] == 34
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Code,Site name,Region,Checked in,Verdict,Tested at")
    assert lines[1].startswith("TQG,Tuyên Quang,") and ",No,Fail," in lines[1]
    assert "no session that can take a test call" in lines[1]
    # In Vietnamese: the words, semicolons and a decimal comma, as Vietnamese Excel reads them.
    vi = list(stdlib_csv.reader(io.StringIO(csv_vi.text.lstrip("\ufeff")), delimiter=";"))
    head, tqg = vi[0], dict(zip(vi[0], vi[1], strict=True))
    assert head[:5] == ["Mã", "Tên điểm cầu", "Khu vực", "Đã điểm danh", "Kết quả"]
    assert (tqg["Mã"], tqg["Đã điểm danh"], tqg["Kết quả"]) == ("TQG", "Không", "Không đạt")
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", tqg["Kiểm tra lúc"])
    untested = dict(zip(vi[0], vi[-1], strict=True))
    assert untested["Kết quả"] == "Chưa gọi thử" and untested["Kiểm tra lúc"] == ""
    assert refused.status_code == 403


async def test_agent_process_answers_over_the_real_websocket(tc_hub):
    """`controlroom agent` in another process answers a test call and passes."""
    env = {**os.environ, "CONTROLROOM_PASSWORD": "demo"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "controlroom",
        "agent",
        "--server",
        tc_hub.url,
        "--username",
        "site-lcu",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    op = await operator(tc_hub)
    try:
        async with asyncio.timeout(timeout(20)):
            while not any(
                caps
                for conn, caps in tc_hub.runtime.sessions.caps.items()
                if conn.principal.actor.site == "LCU"
            ):
                await asyncio.sleep(0.05)
        await op.cmd("testcall.start", {"site": "LCU"})
        result = await op.event("testcall.result", seconds=25, site="LCU")
        assert result["data"]["verdict"] == "pass", result["data"]["reasons"]
        assert result["data"]["metrics"]["site_reported"] is True
        line = b""
        async with asyncio.timeout(timeout(10)):
            while b"PASS" not in line:
                line = await proc.stdout.readline()
                assert line, "the agent exited"
    finally:
        proc.terminate()
        await proc.wait()
