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
async def edge(
    handler: Handler, codec: Codec, deflate: bool = True, **config_args: Any
) -> AsyncIterator[int]:
    config = EdgeConfig(
        codecs=[codec],
        default_codec=codec,
        heartbeat_s=0.2,
        outbox_frames=2 * BURST,
        outbox_bytes=64 * 1024 * 1024,
        **config_args,
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


class CommandHandler(Handler):
    """Answers every command; records the commands and the other frames in order."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[str] = []
        self.others: list[int] = []

    async def command(self, conn: Connection, frame: dict[str, Any]) -> dict[str, Any]:
        self.commands.append(frame["id"])
        await asyncio.sleep(0)  # a commit's await: the next commands queue behind it
        return {"type": "ack", "id": frame["id"], "seq": len(self.commands), "result": {}}

    async def message(self, conn: Connection, frame: dict[str, Any]) -> None:
        self.others.append(frame["i"])


async def test_commands_are_taken_in_the_protocol_and_answered_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command is queued for the session's worker from the protocol's parse, with no
    task woken for it; other frames still go the ASGI way; order and answers are kept,
    and a command beyond the rate is refused there with its id."""
    import signaling.reader as reader_module

    taken_in: list[asyncio.Task[Any] | None] = []
    take = reader_module._take_command

    def spy(conn: Connection, handler: Any, frame: dict[str, Any]) -> None:
        taken_in.append(asyncio.current_task())
        take(conn, handler, frame)

    monkeypatch.setattr(reader_module, "_take_command", spy)
    handler = CommandHandler()
    codec = MsgpackCodec("t.msgpack")
    n = 200
    async with edge(handler, codec, False, command_rate=0.01, command_burst=n // 2) as port:
        url = f"ws://127.0.0.1:{port}/ws"
        async with connect(url, subprotocols=[codec.subprotocol]) as ws:  # type: ignore[list-item]
            await ws.send(codec.encode({"type": "hello", "token": "t"}))
            assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
            for i in range(10):  # one at a time: each taken in the protocol
                await ws.send(codec.encode({"type": "cmd", "id": f"s{i}", "name": "x", "args": {}}))
                while (answer := msgpack.unpackb(await ws.recv()))["type"] == "ping":
                    await ws.send(codec.encode({"type": "pong", "n": answer["n"]}))
                assert answer["type"] == "ack" and answer["id"] == f"s{i}"
            assert taken_in == [None] * 10, "no task woke for a command"
            del handler.commands[:], taken_in[:]
            # A burst with other frames between: those go the ASGI way, and the
            # commands behind them too, until the reader has caught up.
            for i in range(n):
                await ws.send(codec.encode({"type": "cmd", "id": f"c{i}", "name": "x", "args": {}}))
                if i % 10 == 0:
                    await ws.send(codec.encode({"type": "note", "i": i}))
            acks: list[str] = []
            refused: list[tuple[str, str]] = []
            async with asyncio.timeout(timeout(10)):
                while len(acks) + len(refused) < n:
                    frame = msgpack.unpackb(await ws.recv())
                    if frame["type"] == "ack":
                        acks.append(frame["id"])
                    elif frame["type"] == "error":
                        refused.append((frame["id"], frame["code"]))
                    elif frame["type"] == "ping":
                        await ws.send(codec.encode({"type": "pong", "n": frame["n"]}))
            async with asyncio.timeout(timeout(10)):
                while len(handler.others) < n // 10:
                    await asyncio.sleep(0.01)
    ids = [f"c{i}" for i in range(n)]
    assert handler.commands == acks == [i for i in ids if i in set(acks)]  # in order
    assert sorted(acks + [i for i, _ in refused]) == sorted(ids)  # each answered once
    assert {code for _, code in refused} == {"rate_limited"}
    assert len(acks) <= n // 2 - 10 + 1 and len(refused) >= n // 2 - 1  # the bucket's burst
    assert handler.others == list(range(0, n, 10))
    assert len(taken_in) == n
