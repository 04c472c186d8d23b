"""The generator's lean WebSocket client against a real ``websockets`` server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from bench import rawws


@contextlib.asynccontextmanager
async def server(handler: Any, **kwargs: Any) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, compression=None, **kwargs) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/path?q=1"


@pytest.mark.asyncio
async def test_messages_both_ways_across_the_length_forms_and_fragments() -> None:
    got: list[bytes | str] = []
    paths: list[str] = []

    async def echo(ws: ServerConnection) -> None:
        paths.append(ws.request.path if ws.request else "")
        async for message in ws:
            got.append(message)
            if message == "fragments":
                await ws.send([b"ab", b"cd", b"ef"])  # one message in three frames
            else:
                await ws.send(message)

    sizes = [0, 125, 126, 65535, 65536, 300_000]
    async with server(echo, subprotocols=["p.v1"]) as url:
        conn = await rawws.connect(url, "p.v1")
        assert conn.subprotocol == "p.v1"
        for n in sizes:
            await conn.send(bytes(range(256)) * (n // 256) + b"x" * (n % 256))
        await conn.send("héllo")
        await conn.send("fragments")
        echoed = [await conn.recv() for _ in range(len(sizes) + 1)]
        t_arrived, whole = await conn.recv_timed()
        await conn.close()
    assert paths == ["/path?q=1"]
    assert [len(m) for m in got[: len(sizes)]] == sizes  # the zero mask reads back whole
    assert got[: len(sizes)] == echoed[: len(sizes)]
    assert echoed[-1] == "héllo" and got[len(sizes)] == "héllo"
    assert whole == b"abcdef" and t_arrived > 0
    assert conn.close_code is not None


@pytest.mark.asyncio
async def test_a_ping_is_answered_and_the_close_code_is_kept() -> None:
    async def pinger(ws: ServerConnection) -> None:
        waiter = await ws.ping(b"p1")
        await asyncio.wait_for(waiter, 5)  # only our pong resolves it
        await ws.send(b"pong seen")
        await ws.close(4001, "bye")

    async with server(pinger) as url:
        conn = await rawws.connect(url)
        assert await conn.recv() == b"pong seen"
        with pytest.raises(rawws.ConnectionClosed) as closed:
            await conn.recv()
    assert closed.value.code == 4001 == conn.close_code


@pytest.mark.asyncio
async def test_a_reader_that_stops_stalls_the_stream_and_loses_nothing() -> None:
    sent = 0
    blocked = asyncio.Event()

    async def flood(ws: ServerConnection) -> None:
        nonlocal sent
        payload = b"z" * 60_000
        while sent < 400:
            try:
                await asyncio.wait_for(ws.send(payload), 0.5)
            except TimeoutError:
                blocked.set()  # the client's window is full: it paused reading
                await ws.send(payload)  # the pending write finishes once it reads again
            sent += 1

    async with server(flood, write_limit=2**16) as url:
        conn = await rawws.connect(url, max_queue=4)
        await asyncio.wait_for(blocked.wait(), 30)
        assert len(conn._messages) <= 4 + 64  # bounded by max_queue (+ one read's frames)
        received = 0
        while received < 400:
            received += len(await conn.recv()) == 60_000
        await conn.close()
    assert received == 400


@pytest.mark.asyncio
async def test_a_refused_upgrade_and_a_masked_server_frame_are_errors() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    with pytest.raises(ConnectionError, match="403"):
        await rawws.connect(f"ws://127.0.0.1:{port}/")
    srv.close()

    async def masked(ws: ServerConnection) -> None:
        # A server must not mask: the client closes with 1002.
        ws.transport.write(b"\x82\x83" + b"\x01\x02\x03\x04" + b"abc")  # masked header
        with contextlib.suppress(Exception):
            await ws.wait_closed()

    async with server(masked) as url:
        conn = await rawws.connect(url)
        with pytest.raises(rawws.ConnectionClosed) as closed:
            while True:
                await conn.recv()
    assert closed.value.code == 1002


def test_the_same_under_uvloop_whose_transports_are_no_asyncio_subclass() -> None:
    """The generator runs on uvloop: its transport is ``uvloop.loop.TCPTransport``."""
    uvloop = pytest.importorskip("uvloop")
    uvloop.run(test_messages_both_ways_across_the_length_forms_and_fragments())
    uvloop.run(test_a_reader_that_stops_stalls_the_stream_and_loses_nothing())
