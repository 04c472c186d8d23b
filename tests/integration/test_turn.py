"""Test calls with a TURN server (coturn, as docs/deploy.md sets it up), for real.

The hub's ICE servers (``CONTROLROOM_ICE_SERVERS``) reach the site in ``rtc.offer``
(``ice_servers`` [ext]), both peers gather relay candidates on the TURN server, and
the call passes. A malformed list from the hub is refused by the agent with a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from media.caller import checked_ice_servers
from tests.conftest import DEMO
from tests.integration.test_testcalls import agent, operator, settings
from tests.support.client import Client
from tests.support.server import running_hub
from tests.support.timing import timeout

TURNSERVER = shutil.which("turnserver")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers_stun(port: int) -> bool:
    """True when a STUN binding request to 127.0.0.1:port gets a success response."""
    request = struct.pack("!HHI12s", 0x0001, 0, 0x2112A442, os.urandom(12))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(request, ("127.0.0.1", port))
        try:
            answer = s.recv(2048)
        except OSError:  # no answer yet (or ICMP port unreachable): not listening yet
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20]


@contextlib.contextmanager
def coturn(directory: Path) -> Iterator[list[dict[str, str]]]:
    """A TURN server on loopback with one long-term user; its ICE server entry."""
    port = _free_udp_port()
    args = [
        str(TURNSERVER), "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
        "--relay-ip=127.0.0.1", "--lt-cred-mech", "--user=site:s3cret", "--realm=controlroom",
        # UDP only: its TCP listener on the same port could find it taken by another
        # test's connection (a port free for UDP is not always free for TCP).
        "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--allow-loopback-peers",
        "--min-port=49152", "--max-port=49999", f"--pidfile={directory / 'turn.pid'}",
        "--simple-log",
        f"--log-file={directory / 'turn.log'}", f"--userdb={directory / 'turndb'}",
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout(10)
        while not _answers_stun(port):
            assert process.poll() is None and time.monotonic() < deadline, "coturn did not start"
        yield [{"urls": f"turn:127.0.0.1:{port}", "username": "site", "credential": "s3cret"}]
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.skipif(TURNSERVER is None, reason="coturn is not installed (scripts/test does)")
async def test_a_test_call_gathers_relays_on_the_turn_server_and_passes(tmp_path):
    """Both sides use the hub's TURN server: relay candidates in offer and answer; pass."""
    with coturn(tmp_path) as ice:
        with_turn = settings()
        with_turn.call.ice_servers = ice
        async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, testcall=with_turn) as hub:
            op = await operator(hub)
            async with agent(hub, "HUE") as answerer:
                offers: list[dict] = []
                answerer.session.listeners.append(
                    lambda f: offers.append(f) if f.get("type") == "rtc.offer" else None
                )
                await op.cmd("testcall.start", {"site": "HUE"})
                result = await op.event("testcall.result", seconds=30, site="HUE")
                assert answerer.last_options is not None
                assert answerer.last_options.ice_servers == ice
            assert result["data"]["verdict"] == "pass", result["data"]["reasons"]
        assert offers and offers[0]["ice_servers"] == ice
        assert "typ relay" in offers[0]["sdp"], "the hub gathered no relay on the TURN server"


async def test_the_offer_carries_ice_servers_and_a_bad_list_is_refused(tmp_path):
    """The site sees ice_servers in rtc.offer; the agent ends a call whose list is malformed."""
    assert checked_ice_servers([{"urls": ["stun:a", "turn:b"]}]) == [{"urls": ["stun:a", "turn:b"]}]
    for bad in ("x", [{"urls": "http://a"}], [{"urls": "turn:a", "password": "p"}], [{}] * 9):
        with pytest.raises(ValueError):
            checked_ice_servers(bad)
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, testcall=settings()) as hub:
        site = await Client.connect(hub.ws_url, None, hello=False)
        await site.send(
            {"type": "hello", "token": await hub.login("site-hpg"), "conference": "demo",
             "resume_after": None, "client": "raw/1", "caps": ["rtc"]}
        )  # fmt: skip
        await site.wait_for(lambda f: f["type"] == "synced")
        op = await operator(hub)
        await op.cmd("testcall.start", {"site": "HPG"})
        offer = await site.wait_for(lambda f: f["type"] == "rtc.offer", 10)
        assert "ice_servers" not in offer, "no TURN configured: nothing to send"
        await site.send({"type": "rtc.end", "call": offer["call"], "reason": "done"})
        await op.event("testcall.result", site="HPG")
        await site.close()
    from controlroom.agent.testcall import CallAnswerer

    class Recorder:
        def __init__(self) -> None:
            self.sent: list[dict] = []
            self.listeners: list = []

        async def send(self, frame: dict) -> None:
            self.sent.append(frame)

    recorder = Recorder()
    answerer = CallAnswerer(recorder)  # type: ignore[arg-type]
    offer = {"type": "rtc.offer", "call": "T9", "sdp": "v=0", "ice_servers": [{"urls": "ftp:x"}]}
    answerer.on_frame(offer)
    await asyncio.wait_for(asyncio.gather(*answerer.calls.values()), 5)
    assert recorder.sent and recorder.sent[0]["type"] == "rtc.end"
    assert "stun:, stuns:, turn: or turns:" in recorder.sent[0]["reason"]
