"""The direct wire under real uvicorn: a heartbeat wakes no task, and frames keep
their order when the socket backs up and the queue takes over."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import msgpack
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from signaling.codecs import Codec, JsonCodec, MsgpackCodec
from signaling.connection import Connection, EdgeConfig, serve
from signaling.uvicorn_protocol import PromptCloseWebSocketProtocol
from tests.support.timing import timeout

BURST = 3000
FILLER = "x" * 4000


def filler(i: int) -> str:
    """Most frames take a 16-bit length, a few a 7-bit or a 64-bit one (RFC 6455 §5.2)."""
    if i % 1000 == 999:
        return "y" * 70_000
    return "z" if i % 7 == 0 else FILLER


class Handler:
    """Sends a burst of numbered frames on command; records where pongs were handled."""

    def __init__(self) -> None:
        self.conns: list[Connection] = []
        self.pongs: list[tuple[float | None, asyncio.Task[Any] | None]] = []
        self.first_pong = asyncio.Event()

    async def open(self, conn: Connection, hello: dict[str, Any]) -> None:
        self.conns.append(conn)
        conn.send({"type": "welcome"})

    async def command(self, conn: Connection, frame: dict[str, Any]) -> dict[str, Any]:
        for i in range(BURST):  # all at once, as a fan-out would: no await between
            conn.send({"type": "burst", "i": i, "filler": filler(i)})
        return {"type": "ack", "id": frame["id"], "seq": 0, "result": {}}

    async def message(self, conn: Connection, frame: dict[str, Any]) -> None:
        pass

    def pong(self, conn: Connection, rtt_ms: float | None, frame: dict[str, Any]) -> None:
        self.pongs.append((rtt_ms, asyncio.current_task()))
        self.first_pong.set()

    async def close(self, conn: Connection) -> None:
        pass


@contextlib.asynccontextmanager
async def edge(handler: Handler, codec: Codec, deflate: bool = True) -> AsyncIterator[int]:
    config = EdgeConfig(
        codecs=[codec],
        default_codec=codec,
        heartbeat_s=0.2,
        outbox_frames=2 * BURST,
        outbox_bytes=64 * 1024 * 1024,
    )

    async def endpoint(websocket: WebSocket) -> None:
        await serve(websocket, handler, config)

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)  # accepted sockets inherit it
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            ws=PromptCloseWebSocketProtocol,
            ws_per_message_deflate=deflate,
            ws_ping_interval=None,
            ws_ping_timeout=None,
            log_level="warning",
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(timeout(10)):
            while not server.started:
                await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout(10))
        sock.close()


@pytest.mark.parametrize("deflate", [False, True], ids=["framed-here", "deflate"])
@pytest.mark.parametrize("codec", [JsonCodec("t.json"), MsgpackCodec("t.msgpack")])
async def test_heartbeat_direct_and_a_backed_up_burst_arrives_whole_in_order(
    codec: Codec, deflate: bool
):
    """Without an extension the edge frames messages itself; with deflate, websockets."""
    handler = Handler()

    def encode(frame: dict[str, Any]) -> str | bytes:
        return codec.encode(frame)

    def decode(message: str | bytes) -> dict[str, Any]:
        if isinstance(message, bytes):
            return dict(msgpack.unpackb(message))
        return dict(codec.decode(message))

    async with edge(handler, codec, deflate) as port:
        # Small socket buffers and a client queue of one: while the client does not
        # read, the server's transport passes its high water mark at once.
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        client.connect(("127.0.0.1", port))
        client.setblocking(False)
        url = f"ws://127.0.0.1:{port}/ws"
        subprotocols: Any = [codec.subprotocol]
        async with connect(url, sock=client, subprotocols=subprotocols, max_queue=1) as ws:
            await ws.send(encode({"type": "hello", "token": "t"}))
            assert decode(await ws.recv())["type"] == "welcome"
            ping = decode(await asyncio.wait_for(ws.recv(), timeout(5)))
            assert ping["type"] == "ping"
            await ws.send(encode({"type": "pong", "n": ping["n"]}))
            await asyncio.wait_for(handler.first_pong.wait(), timeout(5))
            rtt, task = handler.pongs[0]
            assert rtt is not None and rtt >= 0
            assert task is None, "the pong was handled in the protocol, not by a task"
            conn = handler.conns[0]
            assert conn.outbox.direct_count >= 2  # welcome and ping: no writer woken

            await ws.send(encode({"type": "cmd", "id": "c1", "name": "burst", "args": {}}))
            async with asyncio.timeout(timeout(10)):  # the burst backs up into the queue
                while len(conn.outbox) == 0:
                    await asyncio.sleep(0.01)
            seen: list[int] = []
            acked = False
            async with asyncio.timeout(timeout(30)):
                while len(seen) < BURST or not acked:
                    frame = decode(await ws.recv())
                    if frame["type"] == "burst":
                        assert frame["filler"] == filler(frame["i"])
                        seen.append(frame["i"])
                    elif frame["type"] == "ack":
                        acked = True
                    elif frame["type"] == "ping":
                        await ws.send(encode({"type": "pong", "n": frame["n"]}))
            assert seen == list(range(BURST))
            assert conn.outbox.direct_count < BURST, "the socket backed up: the queue took over"
            # Close while draining: a client queue of one would otherwise hold back the
            # server's closing frame behind an unread ping until the close timeout.
            closing = asyncio.create_task(ws.close())
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await ws.recv()
            await closing
