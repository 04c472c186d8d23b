"""Fuzzing every door a hostile peer can knock on (issue "Hardening").

Targets: WebSocket frames (both codecs, and the edge's value check), command
envelopes through a real hub, HTTP bodies, stats frames, CSV and XLSX imports, and
SDP answers to a real aiortc caller. The property is always the same: a clear,
documented refusal or a success; never another exception, never a value on the
wire or in the state that a peer could not parse.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import tempfile
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.config import ConfigError
from controlroom.config.sites import load_sites
from controlroom.domain import Actor
from signaling.codecs import JsonCodec, MsgpackCodec
from signaling.errors import SignalError
from signaling.values import MAX_DEPTH, _safe, first_unsafe_path, unsafe_path
from tests.fuzz.conftest import scaled

CODES = {
    "bad_frame", "unknown_command", "invalid_args", "unauthenticated", "forbidden",
    "not_found", "conflict", "rate_limited", "too_large", "internal",
}  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None), max_size=20),  # lone surrogates included
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["cmd", "stats", "rtc.stats", "rtc.end", "pong", "x"])},
    optional={"id": values, "name": values, "args": values, "stats": values, "call": values},
)


def _nested(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@given(values, st.integers(min_value=0, max_value=MAX_DEPTH + 2))
def test_the_fast_check_agrees_with_the_walk_that_names_the_path(value, depth):
    """The check every frame takes (no paths built) and the walk that names the bad
    value agree on every value, at and around the depth limit too."""
    nested = _nested(value, depth)
    assert _safe(nested, 0) == (first_unsafe_path(nested) is None)
    assert unsafe_path(nested) == first_unsafe_path(nested)


def _json_text(frame: dict[str, Any]) -> str:
    # What a hostile client can put on the wire: NaN, Infinity, lone-surrogate escapes.
    return json.dumps(frame, allow_nan=True)


@given(frames)
def test_json_frames_decode_to_safe_values_or_a_documented_error(frame):
    """Decoded JSON frames hold only safe values; everything else is bad_frame/invalid_args."""
    codec = JsonCodec("j")
    try:
        decoded = codec.decode(_json_text(frame))
    except SignalError as exc:
        assert exc.code in ("bad_frame", "invalid_args")
        return
    assert unsafe_path(decoded) is None
    assert codec.encode(decoded)  # what came in safe can always go out


def _packed(frame: dict[str, Any]) -> bytes:
    try:
        return bytes(msgpack.packb(frame, use_bin_type=True))
    except (OverflowError, UnicodeEncodeError, ValueError):
        return b"\xc1"  # what msgpack cannot pack, a peer cannot send either: a bad byte


@given(st.binary(max_size=200) | frames.map(_packed))
def test_msgpack_payloads_decode_to_safe_values_or_a_documented_error(payload):
    """Any bytes: a safe frame or bad_frame/invalid_args, never another exception."""
    codec = MsgpackCodec("m", 4096)
    try:
        decoded = codec.decode(payload)
    except SignalError as exc:
        assert exc.code in ("bad_frame", "invalid_args")
        return
    assert unsafe_path(decoded) is None
    codec.encode(decoded)


@given(st.text(max_size=300))
def test_json_text_of_any_shape(text):
    """Arbitrary text, including deep nesting and huge numbers."""
    try:
        JsonCodec("j").decode(text)
    except SignalError as exc:
        assert exc.code in ("bad_frame", "invalid_args")


def test_deep_nesting_is_bad_frame_in_both_codecs():
    """Nesting beyond the limit, and far beyond the recursion limit."""
    for depth in (40, 5000, 100000):
        with pytest.raises(SignalError):
            JsonCodec("j").decode('{"type":"x","v":' + "[" * depth + "]" * depth + "}")
    deep: Any = 1
    for _ in range(200):
        deep = [deep]
    with pytest.raises(SignalError):
        MsgpackCodec("m").decode(msgpack.packb({"type": "x", "v": deep}))


# -- commands through a real hub ---------------------------------------------------------------

ACTORS = [
    Actor("operator", "operator", None),
    Actor("chair", "chair", None),
    Actor("assistant", "assistant", None),
    Actor("site-hue", "site", "HUE"),
]
COMMANDS = [
    "fault.report", "fault.ack", "fault.assign", "fault.resolve", "speak.request", "speak.grant",
    "site.status", "site.checkin", "agenda.advance", "conference.phase", "testcall.start", "nope",
]  # fmt: skip


@pytest.fixture(scope="module")
def hub_loop():
    """One hub on a fresh log, in a loop of its own, for every command example."""
    from controlroom.config import load_conference
    from controlroom.service.hub import ConferenceHub
    from controlroom.store.sqlite import SqliteEventLog
    from tests.conftest import DEMO

    loop = asyncio.new_event_loop()
    directory = Path(
        tempfile.mkdtemp(prefix="fuzz-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None)
    )
    store = SqliteEventLog(directory / "events.db")
    clock = iter(range(1_800_000_000_000, 1_900_000_000_000, 997))
    hub = ConferenceHub(
        load_conference(DEMO), store, lambda: next(clock), refusal_rate=1e9, refusal_burst=1e9
    )
    loop.run_until_complete(store.open())
    loop.run_until_complete(hub.start())
    yield loop, hub
    loop.run_until_complete(hub.stop())
    loop.run_until_complete(store.close())
    loop.close()


@settings(max_examples=scaled(600))
@given(
    actor=st.sampled_from(ACTORS),
    command_id=values,
    name=st.sampled_from(COMMANDS) | values,
    args=st.dictionaries(
        st.sampled_from(
            ["site", "category", "severity", "description", "fault", "note", "phase", "speaker",
             "title", "request", "audio", "video", "technician", "phone", "seconds", "to"]
        ),
        values,
        max_size=6,
    )
    | values,
)  # fmt: skip
def test_any_command_is_an_ack_or_a_documented_error_and_the_state_stays_json(
    hub_loop, actor, command_id, name, args
):
    """Whatever the envelope, one answer with a known code; state and answer are JSON."""
    loop, hub = hub_loop
    if unsafe_path({"id": command_id, "name": name, "args": args}) is not None:
        return  # the edge refuses these before a hub sees them (tested above)
    answer = loop.run_until_complete(hub.execute(actor, command_id, name, args))
    assert answer["type"] in ("ack", "error")
    if answer["type"] == "error":
        assert answer["code"] in CODES and answer["code"] != "internal", answer
    json.dumps(answer, allow_nan=False)
    from controlroom.domain import view

    json.dumps(view(hub.state, Actor("operator", "operator", None)), allow_nan=False)


# -- stats frames -------------------------------------------------------------------------------


class _Conn:
    def __init__(self) -> None:
        self.principal = type("P", (), {"actor": Actor("site-hue", "site", "HUE")})()


STATS_KEYS = ["rtt_ms", "jitter_ms", "loss_pct", "audio", "video", "bitrate_kbps", "other"]


@settings(max_examples=scaled(800))
@given(st.dictionaries(st.sampled_from(STATS_KEYS), values, max_size=6) | values)
def test_stats_frames_are_kept_finite_or_refused(stats):
    """A site's stats: stored only as finite numbers in range, else invalid_args."""
    from controlroom.service.links import LinkMonitor
    from controlroom.service.site_link import STATS_LIMIT, SiteLink

    monitor = LinkMonitor.__new__(LinkMonitor)
    monitor.sites = {"HUE": SiteLink.__new__(SiteLink)}
    monitor.clock_ms = lambda: 1
    frame = {"type": "stats", "stats": stats}
    if unsafe_path(frame) is not None:
        return
    try:
        monitor.message(_Conn(), frame)  # type: ignore[arg-type]
    except SignalError as exc:
        assert exc.code == "invalid_args"
        return
    for value in getattr(monitor.sites["HUE"], "reported", {}).values():
        assert isinstance(value, str) or (math.isfinite(value) and 0 <= value <= STATS_LIMIT)


# -- imports ------------------------------------------------------------------------------------

cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=scaled(1000))
@given(st.lists(st.lists(cells, min_size=1, max_size=7), min_size=1, max_size=6))
def test_sites_csv_of_any_content_loads_or_names_the_line(tmp_path_factory, rows):
    """Any CSV: loaded, or one ConfigError naming the file."""
    path = tmp_path_factory.mktemp("csv") / "sites.csv"
    header = ["Mã", "Tên điểm cầu", "Loại"] if random.random() < 0.7 else rows[0]
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        load_sites(path)
    except ConfigError as exc:
        assert str(exc).startswith("sites.csv")


@settings(max_examples=scaled(200))
@given(st.binary(min_size=0, max_size=400))
def test_any_bytes_as_an_xlsx_are_one_config_error(tmp_path_factory, data):
    """A broken spreadsheet: ConfigError, never the reader's own exception."""
    path = tmp_path_factory.mktemp("xlsx") / "sites.xlsx"
    path.write_bytes(b"PK\x03\x04" + data if data[:1] == b"\x00" else data)
    with pytest.raises(ConfigError):
        load_sites(path)


# -- HTTP bodies --------------------------------------------------------------------------------


@settings(max_examples=scaled(1000))
@given(st.binary(max_size=300) | frames.map(lambda f: _json_text(f).encode()))
def test_http_bodies_are_an_object_or_a_4xx(body):
    """read_json_object: a safe object, or BadBody with a 4xx status."""
    from starlette.requests import Request

    from controlroom.http_body import BadBody, read_json_object

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    try:
        parsed = asyncio.run(read_json_object(request, 4096))
    except BadBody as refused:
        assert 400 <= refused.response.status_code < 500
        return
    assert isinstance(parsed, dict) and unsafe_path(parsed) is None


# -- SDP answers --------------------------------------------------------------------------------


def _mutate(sdp: str, rnd: random.Random) -> str:
    lines = sdp.split("\r\n")
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.randrange(4)
        i = rnd.randrange(len(lines))
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[rnd.randrange(len(lines))])
        elif kind == 2 and lines[i]:
            j = rnd.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + chr(rnd.randrange(32, 127)) + lines[i][j + 1 :]
        else:
            lines[i] = lines[i].replace("a=", "a=x", 1).replace("m=", "m=audio 0 ", 1)
    return "\r\n".join(lines)


@pytest.mark.parametrize("seed", range(scaled(60)))
async def test_a_mutated_sdp_answer_never_hangs_or_leaks_a_caller(seed):
    """A real caller given a mutated answer: an exception or a (failed) measurement, fast."""
    from media.answerer import TestAnswerer
    from media.caller import CallOptions, TestCaller

    options = CallOptions(duration_s=0.2, width=320, height=240, fps=5, connect_timeout_s=1.0)
    caller = TestCaller(options)
    answerer = TestAnswerer()
    try:
        answer = await answerer.answer(await caller.offer())
        bad = _mutate(answer, random.Random(seed))
        async with asyncio.timeout(10):
            try:
                metrics = await caller.measure(bad)
            except Exception:  # noqa: BLE001 - a refusal of the SDP is fine; hanging is not
                return
        json.dumps(metrics, allow_nan=False, default=str)
    finally:
        await caller.close()
        await answerer.close()
