"""Probes of endpoints on loopback: targets, the window's loss and jitter, ICMP and TCP."""

from __future__ import annotations

import asyncio
import socket

import pytest

from probes.icmp import IcmpPinger, IcmpUnavailable, checksum
from probes.prober import Prober
from probes.target import BadTarget, Target, parse_target
from probes.tcp import tcp_ping
from probes.window import ProbeWindow
from tests.support.timing import timeout


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("10.0.0.5", Target("icmp", "10.0.0.5")),
        ("icmp:codec-hue.local", Target("icmp", "codec-hue.local")),
        ("ICMP:Codec.Example.VN.", Target("icmp", "codec.example.vn")),
        ("tcp:10.0.0.5:1720", Target("tcp", "10.0.0.5", 1720)),
        ("tcp:[fd00::1]:443", Target("tcp", "fd00::1", 443)),
        ("fd00::2", Target("icmp", "fd00::2")),
    ],
)
def test_targets_parse(text, target):
    assert parse_target(text) == target
    assert parse_target(str(target)) == target


@pytest.mark.parametrize(
    "text", ["", "tcp:10.0.0.5", "tcp:10.0.0.5:0", "tcp:host:70000", "a b", "-x.vn", "x" * 300]
)
def test_bad_targets_say_why(text):
    with pytest.raises(BadTarget):
        parse_target(text)


def test_the_window_counts_loss_and_rfc3550_jitter():
    window = ProbeWindow(size=10)
    assert window.loss_pct is None
    for rtt in (10.0, 20.0, None, 10.0):
        window.add(rtt)
    assert window.loss_pct == 25.0
    # |20-10| = 10 first, then (|10-20| - 10)/16 added: 10.
    assert window.jitter_ms == 10.0
    for _ in range(10):
        window.add(None)
    assert window.loss_pct == 100.0 and window.missed_in_a_row() == 10
    window.add(5.0)
    assert window.loss_pct == 90.0 and window.missed_in_a_row() == 0


def test_the_internet_checksum():
    # RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2, whose complement is 220d.
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


async def test_icmp_echo_on_loopback():
    try:
        pinger = IcmpPinger()
    except IcmpUnavailable as exc:
        pytest.skip(str(exc))
    try:
        rtts = await asyncio.gather(*(pinger.ping(f"127.0.0.{i}", 1.0) for i in range(1, 50)))
        assert all(r is not None and 0 <= r < 1000 for r in rtts), rtts
        assert pinger.received == 49
    finally:
        pinger.close()


async def test_tcp_connect_open_refused_and_silent():
    """Accepted: an RTT; refused or silent: no answer."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
    # A listener that never accepts, its queue full: the kernel drops further SYNs.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(0)
    fillers = [socket.create_connection(silent.getsockname(), timeout=1)]
    try:
        assert (await tcp_ping("127.0.0.1", port, 1.0) or -1) >= 0
        assert await tcp_ping("127.0.0.1", refused_port, 1.0) is None  # the service is down
        assert await tcp_ping("127.0.0.1", silent.getsockname()[1], 0.3) is None
    finally:
        server.close()
        for s in (*fillers, silent):
            s.close()


async def test_a_round_probes_every_target_once():
    results: dict[int, list[float | None]] = {}
    done = asyncio.Event()

    def on_result(key, rtt, at):
        results.setdefault(key, []).append(rtt)
        if len(results) == 200 and all(len(v) >= 2 for v in results.values()):
            done.set()
        if key == 7:
            raise RuntimeError("a callback that raises stops nothing")

    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    targets = {i: Target("tcp", "127.0.0.1", port) for i in range(100)}
    targets.update({100 + i: Target("icmp", f"127.0.1.{i + 1}") for i in range(100)})
    prober = Prober(0.2, on_result, lambda: 0)
    prober.set_targets(targets)
    prober.start()
    try:
        await asyncio.wait_for(done.wait(), timeout(10))
    finally:
        await prober.stop()
        server.close()
    answered = [r for v in results.values() for r in v if r is not None]
    icmp_ok = prober.icmp_error is None
    assert len(answered) >= (400 if icmp_ok else 200)
