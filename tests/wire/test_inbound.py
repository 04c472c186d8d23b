"""Inbound frames are checked once, with the wire code and field of each refusal."""

from __future__ import annotations

import math

import pytest

from controlroom.wire.inbound import (
    MAX_SDP,
    BadEnvelope,
    parse_cmd,
    parse_hello,
    parse_rtc_answer,
    parse_rtc_stats,
)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"name": "x"}, "bad_frame"),
        ({"id": True, "name": "x"}, "bad_frame"),
        ({"id": "", "name": "x"}, "bad_frame"),
        ({"id": 1.5, "name": "x"}, "bad_frame"),
        ({"id": "x" * 129, "name": "x"}, "invalid_args"),
    ],
)
def test_a_command_needs_a_short_id(frame, code):
    with pytest.raises(BadEnvelope) as refused:
        parse_cmd(frame)
    assert refused.value.code == code and refused.value.field == "id"


def test_a_good_envelope_keeps_name_and_args_for_the_domain():
    envelope = parse_cmd({"id": 7, "name": "fault.ack", "args": {"fault_id": "F0001"}})
    assert (envelope.id, envelope.name, envelope.args) == (7, "fault.ack", {"fault_id": "F0001"})
    assert parse_cmd({"id": "a", "name": "agenda.advance"}).args == {}


def test_hello_resume_after_and_caps():
    assert parse_hello({"resume_after": 12, "caps": ["rtc", 3, "x" * 40]}).caps == {"rtc"}
    assert parse_hello({}).resume_after is None
    for bad in ("12", True, 1.0):
        with pytest.raises(BadEnvelope) as refused:
            parse_hello({"resume_after": bad})
        assert refused.value.field == "resume_after"
    assert len(parse_hello({"caps": [f"c{i}" for i in range(40)]}).caps) == 16


def test_rtc_frames():
    assert parse_rtc_answer({"sdp": "v=0\r\n"}) == "v=0\r\n"
    for bad in (None, "", "x" * (MAX_SDP + 1), 5):
        with pytest.raises(BadEnvelope):
            parse_rtc_answer({"sdp": bad})
    stats = parse_rtc_stats({"stats": {"rtt_ms": 30, "ok": True, "name": "x", 5: 1}})
    assert stats == {"rtt_ms": 30, "ok": True}  # text and odd keys are dropped
    with pytest.raises(BadEnvelope) as refused:
        parse_rtc_stats({"stats": {"jitter_ms": math.nan}})
    assert refused.value.field == "stats.jitter_ms"
    with pytest.raises(BadEnvelope):
        parse_rtc_stats({"stats": [1, 2]})
