"""Hostile frames from a logged-in session (issue "Hardening", reproductions 1-3 and 9).

Each test sends what a hostile site or a curious chair sent against the demo, and
checks the documented refusal, that the session and the hub go on, and that no
console can be blinded afterwards.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest

from signaling.codecs import JsonCodec, MsgpackCodec, UnencodableFrame
from tests.conftest import DEMO
from tests.integration.test_testcalls import operator, settings
from tests.support.client import Client
from tests.support.server import RunningHub, running_hub


def strict(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
async def tc_hub(tmp_path):
    """A hub whose test calls wait long enough for a hostile site to act."""
    async with running_hub(
        DEMO, tmp_path / "data", heartbeat_s=30, testcall=settings(answer_timeout_s=4.0)
    ) as hub:
        yield hub


async def called_site(hub: RunningHub, code: str) -> tuple[Client, Client, dict[str, Any]]:
    """A raw JSON site session that takes calls, the operator, and the offer it got."""
    site = await Client.connect(hub.ws_url, None, hello=False)
    await site.send(
        {"type": "hello", "token": await hub.login(f"site-{code.lower()}"), "conference": "demo",
         "resume_after": None, "client": "hostile/1", "caps": ["rtc"]}
    )  # fmt: skip
    await site.wait_for(lambda f: f["type"] == "synced")
    op = await operator(hub)
    assert (await op.cmd("testcall.start", {"site": code}))["type"] == "ack"
    offer = await site.wait_for(lambda f: f["type"] == "rtc.offer", 10)
    return site, op, offer


async def test_nan_in_rtc_stats_is_refused_and_never_reaches_a_console(tc_hub):
    """NaN, Infinity and -Infinity in rtc.stats: invalid_args; snapshot, report stay JSON."""
    site, op, offer = await called_site(tc_hub, "HCM")
    start = len(site.frames)
    # json.dumps writes NaN, Infinity and -Infinity as such: what a hostile client sends.
    stats = {"audio_level_dbfs": math.nan, "video_fps": math.inf, "rtt_ms": -math.inf}
    raw = json.dumps({"type": "rtc.stats", "call": offer["call"], "stats": stats})
    assert "NaN" in raw and "-Infinity" in raw
    await site.ws.send(raw)
    refusal = await site.wait_for(lambda f: f["type"] == "error", start=start)
    assert refusal["code"] == "invalid_args" and refusal["field"].startswith("stats.")
    result = await op.event("testcall.result", seconds=20, site="HCM")
    assert all(
        not isinstance(v, float) or math.isfinite(v) for v in result["data"]["metrics"].values()
    )
    token = await tc_hub.login("operator")
    async with httpx.AsyncClient(
        base_url=tc_hub.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        snapshot = await http.get("/api/conferences/demo/snapshot")
        assert snapshot.status_code == 200
        assert len(strict(snapshot.text)["state"]["sites"]) == 35
        report = await http.get("/api/conferences/demo/report?format=json")
        assert report.status_code == 200 and strict(report.text)
    fresh = await operator(tc_hub)
    assert fresh.snapshot is not None and len(fresh.snapshot["state"]["sites"]) == 35


async def test_only_the_called_session_may_answer_report_or_end_a_call(tc_hub):
    """The chair's rtc.end and the assistant's rtc.answer are not_found; the call goes on."""
    site, op, offer = await called_site(tc_hub, "HCM")
    call = offer["call"]
    chair = await Client.connect(tc_hub.ws_url, await tc_hub.login("chair"))
    assistant = await Client.connect(tc_hub.ws_url, await tc_hub.login("assistant"))
    other_tab = await Client.connect(tc_hub.ws_url, await tc_hub.login("site-hcm"))
    attempts = [
        (chair, {"type": "rtc.end", "call": call, "reason": "chair-hijack"}),
        (assistant, {"type": "rtc.answer", "call": call, "sdp": "v=0\r\n"}),
        (other_tab, {"type": "rtc.stats", "call": call, "stats": {"video_fps": 1}}),
    ]
    for session, frame in attempts:
        start = len(session.frames)
        await session.send(frame)
        refusal = await session.wait_for(lambda f: f["type"] == "error", start=start)
        assert (refusal["code"], refusal["field"]) == ("not_found", "call")
    result = await op.event("testcall.result", seconds=20, site="HCM")
    reasons = [r["code"] for r in result["data"]["reasons"]]
    assert reasons == ["no_answer"], "the call ran its course: nobody else ended it"
    metrics = tc_hub.runtime.metrics.render().decode()
    assert 'controlroom_refusals_total{code="not_found",kind="rtc"} 3.0' in metrics


async def test_a_lone_surrogate_never_wedges_a_call(tc_hub):
    """rtc.end with reason "\\udc80" is refused; the call ends; the site can be called again."""
    site, op, offer = await called_site(tc_hub, "HCM")
    start = len(site.frames)
    raw = json.dumps({"type": "rtc.end", "call": offer["call"], "reason": "\udc80"})
    assert "\\udc80" in raw  # the JSON escape of a lone surrogate
    await site.ws.send(raw)
    refusal = await site.wait_for(lambda f: f["type"] == "error", start=start)
    assert (refusal["code"], refusal["field"]) == ("invalid_args", "reason")
    await op.event("testcall.result", seconds=20, site="HCM")
    again = await op.cmd("testcall.start", {"site": "HCM"})
    assert again["type"] == "ack", again
    second = await site.wait_for(lambda f: f["type"] == "rtc.offer" and f["call"] != offer["call"])
    await site.send({"type": "rtc.end", "call": second["call"], "reason": "declined"})
    await op.event("testcall.result", seconds=20, call=second["call"])


async def test_bad_command_ids_are_answered_in_valid_json_and_the_session_lives(hub):
    """An id that is a lone surrogate, NaN or 1e999: bad_frame, valid JSON, session alive."""
    site = await Client.connect(hub.ws_url, await hub.login("site-hue"))
    for raw in (
        '{"type":"cmd","id":"\\ud800","name":"site.status","args":{}}',
        '{"type":"cmd","id":NaN,"name":"site.status","args":{}}',
        '{"type":"cmd","id":1e999,"name":"site.status","args":{}}',
    ):
        start = len(site.frames)
        await site.ws.send(raw)
        refusal = await site.wait_for(lambda f: f["type"] == "error", start=start)
        assert (refusal["code"], refusal["field"]) == ("bad_frame", "id")
        assert "id" not in refusal
    ack = await site.cmd("site.status", {"audio": "ok", "video": "ok"})
    assert ack["type"] == "ack", "the session's writer is alive"


async def test_numbers_out_of_range_are_invalid_args_not_internal(hub):
    """stats with rtt_ms = 10**400 (and 1e300, -1): invalid_args naming the field."""
    site = await Client.connect(hub.ws_url, await hub.login("site-hue"))
    for raw, field in (
        ('{"type":"stats","at":1,"stats":{"rtt_ms":1%s}}' % ("0" * 400), "stats.rtt_ms"),
        ('{"type":"stats","at":1,"stats":{"rtt_ms":1e300}}', "stats.rtt_ms"),
        ('{"type":"stats","at":1,"stats":{"loss_pct":-1}}', "stats.loss_pct"),
        ('{"type":"cmd","id":"x1","name":"site.status","args":{"note":"\\udfff"}}', "args.note"),
    ):
        start = len(site.frames)
        await site.ws.send(raw)
        refusal = await site.wait_for(lambda f: f["type"] == "error", start=start)
        assert refusal["code"] in ("invalid_args", "bad_frame"), refusal
        assert refusal["code"] != "internal" and refusal["field"] == field, refusal


async def test_a_hello_must_name_its_own_conference(hub):
    """hello with "conference": null or "" closes 4003, as documented."""
    token = await hub.login("operator")
    for conference in (None, ""):
        client = await Client.connect(hub.ws_url, token, conference=conference)  # type: ignore[arg-type]
        refusal = client.frames[-1]
        assert (refusal["type"], refusal["code"]) == ("error", "forbidden")
        assert await client.wait_closed() == 4003


async def test_a_non_ascii_token_is_4001_with_an_error_frame(hub):
    """A bearer token with non-ASCII characters: error unauthenticated, close 4001."""
    client = await Client.connect(hub.ws_url, "demo~thông-báo.ký")
    refusal = client.frames[-1]
    assert (refusal["type"], refusal["code"]) == ("error", "unauthenticated")
    assert await client.wait_closed() == 4001


def test_codecs_refuse_to_emit_what_a_peer_cannot_parse():
    """NaN, ±Infinity and lone surrogates are UnencodableFrame in both codecs."""
    for codec in (JsonCodec("j"), MsgpackCodec("m")):
        for bad in (float("nan"), float("inf"), -float("inf"), "\udc80", {"k": [1, float("nan")]}):
            with pytest.raises(UnencodableFrame):
                codec.encode({"type": "x", "v": bad})
        assert codec.encode({"type": "x", "v": 1.5, "t": "Huế"})


def test_msgpack_bytes_that_look_like_nan_are_not_refused():
    """The fast NaN scan may hit inside other data; only a real NaN is refused."""
    codec = MsgpackCodec("m")
    lookalike = {"type": "x", "b": b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", "f": 2.0}
    assert codec.decode(codec.encode(lookalike)) == lookalike
