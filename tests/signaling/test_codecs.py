"""Codecs: round trips, and untrusted bytes never raise anything but bad_frame."""

import json

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaling.codecs import JsonCodec, MsgpackCodec, negotiate
from signaling.errors import SignalError

JSON = JsonCodec("x.json")
MSGPACK = MsgpackCodec("x.msgpack", max_len=1024)


@pytest.mark.parametrize("codec", [JSON, MSGPACK])
def test_round_trip_keeps_vietnamese_text(codec):
    """A frame survives encode/decode unchanged, diacritics included."""
    frame = {"type": "cmd", "id": 1, "args": {"description": "Mất tiếng ở điểm cầu Huế"}}
    assert codec.decode(codec.encode(frame)) == frame


def test_json_is_text_and_unescaped():
    """JSON frames are text with the Vietnamese letters as themselves."""
    out = JSON.encode({"type": "x", "s": "Hà Nội"})
    assert isinstance(out, str) and "Hà Nội" in out


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xfe", "not json", "[1,2]", '{"no_type":1}', '{"type":5}', "[" * 100_000],
)
def test_json_bad_input_is_bad_frame(payload):
    """Invalid JSON, non-maps, missing or non-string type, deep nesting: all bad_frame."""
    with pytest.raises(SignalError) as err:
        JSON.decode(payload)
    assert err.value.code == "bad_frame"


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc1",
        msgpack.packb([1, 2]),
        msgpack.packb({"type": 1}),
        msgpack.packb({1: "a"}),
        msgpack.packb({"type": "x", "s": "a" * 2000}),
        "text is not msgpack",
    ],
)
def test_msgpack_bad_input_is_bad_frame(payload):
    """Garbage, non-maps, int keys, over-long strings, text frames: all bad_frame."""
    with pytest.raises(SignalError) as err:
        MSGPACK.decode(payload)
    assert err.value.code == "bad_frame"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=256))
def test_msgpack_never_raises_other_errors(data):
    """Any bytes at all decode to a frame or raise bad_frame, nothing else."""
    try:
        frame = MSGPACK.decode(data)
    except SignalError as exc:
        assert exc.code == "bad_frame"
    else:
        assert isinstance(frame["type"], str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=256))
def test_json_never_raises_other_errors(text):
    """Any text at all decodes to a frame or raises bad_frame, nothing else."""
    try:
        frame = JSON.decode(text)
    except SignalError as exc:
        assert exc.code == "bad_frame"
    else:
        assert isinstance(frame["type"], str)


def test_negotiate_prefers_the_clients_order_and_defaults_to_json():
    """The first offered subprotocol we speak wins; none known means JSON."""
    assert negotiate(["x.msgpack", "x.json"], [MSGPACK, JSON], JSON) is MSGPACK
    assert negotiate(["other", "x.json"], [MSGPACK, JSON], JSON) is JSON
    assert negotiate([], [MSGPACK, JSON], JSON) is JSON
    assert json.loads(JSON.encode({"type": "a"})) == {"type": "a"}
