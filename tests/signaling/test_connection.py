"""The edge's session rules with frames in and frames out: a real Starlette WebSocket
over in-memory ASGI queues, no socket and no application (a small handler instead)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.websockets import WebSocket

from signaling.codecs import JsonCodec
from signaling.connection import Connection, EdgeConfig, serve
from signaling.errors import SignalError


class Peer:
    """The client side of one in-memory WebSocket: what it sends in, what comes out."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.scope = {
            "type": "websocket",
            "path": "/ws",
            "headers": headers or [(b"host", b"hub")],
            "subprotocols": ["controlroom.v1.json"],
            "client": ("127.0.0.1", 5000),
        }
        self.inbox.put_nowait({"type": "websocket.connect"})

    async def receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def send(self, message: dict[str, Any]) -> None:
        await self.out.put(message)

    def frame(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self.inbox.put_nowait({"type": "websocket.receive", "text": text})

    async def next(self) -> dict[str, Any]:
        """The next message the edge sent: a decoded frame, or the close."""
        while True:
            message = await asyncio.wait_for(self.out.get(), 5)
            if message["type"] == "websocket.send":
                frame = json.loads(message["text"])
                if frame.get("type") != "ping":
                    return frame
            elif message["type"] == "websocket.close":
                return {"close": message.get("code")}

    def leave(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})


class Handler:
    """An application that welcomes anyone whose hello has a token, and echoes commands."""

    def __init__(self) -> None:
        self.closed: list[Connection] = []

    async def open(self, conn: Connection, hello: dict[str, Any]) -> None:
        if not hello.get("token"):
            raise SignalError("unauthenticated", "no token", close_code=4001)
        conn.send({"type": "welcome"})

    async def command(self, conn: Connection, frame: dict[str, Any]) -> dict[str, Any]:
        if frame.get("name") == "boom":
            raise RuntimeError("a bug in the application")
        if frame.get("name") == "refuse":
            raise SignalError("conflict", "no", field="args.x")
        return {"type": "ack", "id": frame["id"], "seq": 1, "result": {}}

    async def message(self, conn: Connection, frame: dict[str, Any]) -> None:
        raise SignalError("bad_frame", f"unknown frame type {frame['type']!r}")

    def pong(self, conn: Connection, rtt_ms: float | None, frame: dict[str, Any]) -> None:
        pass

    async def close(self, conn: Connection) -> None:
        self.closed.append(conn)


def _config(**over: Any) -> EdgeConfig:
    codec = JsonCodec("controlroom.v1.json")
    return EdgeConfig(codecs=[codec], default_codec=codec, heartbeat_s=30, **over)


async def _session(peer: Peer, handler: Handler, **config: Any) -> asyncio.Task[None]:
    socket = WebSocket(peer.scope, peer.receive, peer.send)
    task = asyncio.create_task(serve(socket, handler, _config(**config)))
    accepted = await asyncio.wait_for(peer.out.get(), 5)
    assert accepted["type"] == "websocket.accept"
    return task


async def test_nothing_before_hello_then_commands_answered_in_order():
    peer, handler = Peer(), Handler()
    task = await _session(peer, handler)
    peer.frame({"type": "cmd", "id": "c0", "name": "x"})
    assert await peer.next() == {
        "type": "error", "code": "unauthenticated", "message": "send hello first",
        "field": None, "id": "c0",
    }  # fmt: skip
    peer.frame({"type": "hello", "token": "t"})
    assert await peer.next() == {"type": "welcome"}
    for i in range(3):
        peer.frame({"type": "cmd", "id": f"c{i}", "name": "ok"})
    assert [(await peer.next())["id"] for _ in range(3)] == ["c0", "c1", "c2"]
    peer.frame({"type": "hello", "token": "t"})
    assert (await peer.next())["code"] == "bad_frame"  # one hello per session
    peer.leave()
    await asyncio.wait_for(task, 5)
    assert len(handler.closed) == 1


async def test_refusals_and_bugs_are_answered_and_the_session_lives():
    peer = Peer()
    task = await _session(peer, Handler())
    peer.frame({"type": "hello", "token": "t"})
    await peer.next()
    peer.frame("{not json")
    assert (await peer.next())["code"] == "bad_frame"
    peer.frame({"type": "cmd", "id": 1, "name": "refuse"})
    refused = await peer.next()
    assert (refused["code"], refused["field"], refused["id"]) == ("conflict", "args.x", 1)
    peer.frame({"type": "cmd", "id": 2, "name": "boom"})
    assert await peer.next() == {
        "type": "error", "code": "internal", "message": "internal error", "field": None, "id": 2
    }  # fmt: skip
    peer.frame({"type": "weird"})
    assert (await peer.next())["code"] == "bad_frame"
    peer.frame({"type": "cmd", "id": 3, "name": "ok"})
    assert (await peer.next())["type"] == "ack"  # still alive after all that
    peer.leave()
    await asyncio.wait_for(task, 5)


async def test_a_refused_hello_is_told_and_closed_with_its_code():
    peer = Peer()
    task = await _session(peer, Handler())
    peer.frame({"type": "hello"})
    assert (await peer.next())["code"] == "unauthenticated"
    assert await peer.next() == {"close": 4001}
    await asyncio.wait_for(task, 5)


async def test_a_command_flood_is_rate_limited_not_queued_for_ever():
    peer = Peer()
    task = await _session(peer, Handler(), command_rate=1.0, command_burst=3.0)
    peer.frame({"type": "hello", "token": "t"})
    await peer.next()
    for i in range(6):
        peer.frame({"type": "cmd", "id": i, "name": "ok"})
    answers = [await peer.next() for _ in range(6)]
    assert [a["type"] for a in answers].count("ack") == 3
    assert {a["code"] for a in answers if a["type"] == "error"} == {"rate_limited"}
    peer.leave()
    await asyncio.wait_for(task, 5)


async def test_an_oversized_frame_closes_with_1009_and_a_foreign_origin_with_4003():
    peer = Peer()
    task = await _session(peer, Handler(), max_frame_bytes=100)
    peer.frame({"type": "hello", "token": "x" * 200})
    assert await peer.next() == {"close": 1009}
    await asyncio.wait_for(task, 5)
    stranger = Peer(headers=[(b"host", b"hub"), (b"origin", b"https://evil.example")])
    socket = WebSocket(stranger.scope, stranger.receive, stranger.send)
    await asyncio.wait_for(serve(socket, Handler(), _config()), 5)
    assert (await stranger.out.get()) == {"type": "websocket.close", "code": 4003, "reason": ""}
