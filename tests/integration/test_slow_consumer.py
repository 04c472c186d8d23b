"""A console that stops reading is closed with 4008 and its socket really freed."""

import asyncio
import json
import os
import socket

from websockets.asyncio.client import connect

from controlroom.domain import Actor
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub
from tests.support.timing import timeout

BURST = 2400  # fault reports of 2 kB each: about 5 MB of events


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_stalled_reader_is_evicted_and_freed_while_others_keep_up(tmp_path):
    """A never-reading session gets 4008 and its fd is freed; a healthy console misses nothing."""
    async with running_hub(DEMO, tmp_path / "d", outbox_frames=300) as h:
        healthy = await Client.connect(h.ws_url, await h.login("chair"), codec="msgpack")
        token = await h.login("operator")
        baseline = open_fds()

        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", int(h.url.rsplit(":", 1)[1])))
        stalled = await connect(
            h.ws_url, sock=raw, subprotocols=["controlroom.v1.json"], compression=None, max_queue=1
        )
        await stalled.send(json.dumps({"type": "hello", "token": token, "conference": "demo"}))
        sessions = h.runtime.sessions
        async with asyncio.timeout(timeout()):
            while len(sessions.connections) < 2:
                await asyncio.sleep(0.01)
        # Stop reading at the TCP level too: the client's transport no longer drains.
        stalled.transport.pause_reading()

        hub, op = h.hub, Actor("operator", "operator", None)
        fid = await hub.execute(
            op,
            "f",
            "fault.report",
            {"site": "HNI", "category": "audio", "severity": "minor", "description": "x"},
        )
        fid = fid["result"]["fault_id"]
        text = "Ghi chú dài " * 150
        for batch in range(20):
            await asyncio.gather(
                *(
                    hub.execute(op, f"n{batch}-{i}", "fault.note", {"fault_id": fid, "text": text})
                    for i in range(100)
                )
            )
        final = hub.durable_seq
        assert final == 2001

        async with asyncio.timeout(timeout(10)):
            while len(sessions.connections) > 1:
                await asyncio.sleep(0.05)
        # The server side of the stalled socket is gone: only the client's own end remains.
        async with asyncio.timeout(timeout(10)):
            while open_fds() > baseline + 1:
                await asyncio.sleep(0.05)
        await healthy.wait_for(lambda f: f["type"] == "event" and f["seq"] == final, seconds=20)
        assert [e["seq"] for e in healthy.events] == list(range(1, final + 1))
        stalled.transport.abort()
        raw.close()


async def test_evicted_session_can_resume_without_loss(tmp_path):
    """After a 4008 close, resuming from the last seen seq gives every missed event."""
    async with running_hub(DEMO, tmp_path / "d", outbox_frames=16) as h:
        token = await h.login("operator")
        # A small receive buffer; the hub's kernel still holds up to 4 MiB for the
        # stalled reader (tcp_wmem), so the burst is larger than that: then the hub's
        # own queue (16 frames) overflows.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", int(h.url.rsplit(":", 1)[1])))
        slow = await Client.connect(h.ws_url, token, sock=raw)
        slow.ws.transport.pause_reading()
        hub, op = h.hub, Actor("operator", "operator", None)
        # In commits of 100 one after another, as reports keep coming in: one commit's
        # events go to a socket in one write whatever its state; the commits after it
        # find the socket backed up and fill the hub's queue. (All at once, the whole
        # burst can be one commit, written whole, and nothing overflows.)
        for first in range(0, BURST, 100):
            await asyncio.gather(
                *(
                    hub.execute(
                        op,
                        f"p{i}",
                        "fault.report",
                        {
                            "site": "HNI",
                            "category": "audio",
                            "severity": "minor",
                            "description": "y" * 2000,
                        },
                    )
                    for i in range(first, first + 100)
                )
            )
        slow.ws.transport.resume_reading()
        code = await slow.wait_closed(seconds=15)
        assert code == 4008
        seen = slow.last_seq
        again = await Client.connect(h.ws_url, token, resume_after=seen)
        await again.wait_for(lambda f: f["type"] == "event" and f["seq"] == BURST, seconds=20)
        got = sorted({e["seq"] for e in slow.events} | {e["seq"] for e in again.events})
        assert got == list(range(1, BURST + 1))
