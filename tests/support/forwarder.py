"""A user-space link impairer: a TCP proxy that delays (and can cut) what it forwards.

The kernel the tests run on has no ``netem``, so a bad link is made here instead:
every chunk of bytes read from one side is written to the other ``delay`` ms later,
in each direction, in the order it was read (one FIFO queue and one writer per
direction, so a chunk never overtakes another even when the delay drops).

    python tests/support/forwarder.py LISTEN_HOST UPSTREAM_HOST UPSTREAM_PORT [--delay-ms N]

It listens on an ephemeral port of LISTEN_HOST, prints ``listening HOST PORT`` on
stdout, and then obeys one command a line on stdin, answering each with ``ok ...``:

    delay MS            delay every chunk by MS ms in each direction from now on
    delay UP_MS DOWN_MS client->upstream and upstream->client delays apart
    cut                 abort every open connection (both sides see a reset)
    quit                stop (so does stdin closing)

It only ever connects to UPSTREAM_HOST:UPSTREAM_PORT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import Callable


class Impairment:
    """The delays in force, changed at run time from stdin."""

    def __init__(self, delay_ms: float) -> None:
        self.up_s = delay_ms / 1000
        self.down_s = delay_ms / 1000


def _no_delay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay_s: Callable[[], float],
) -> None:
    """Copy reader to writer, each chunk held until its due time, order kept."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay_s(), data))
            if not data:
                break
        await sender
    finally:
        sender.cancel()


class Forwarder:
    """Accepts clients and relays each to the upstream through two delayed pumps."""

    def __init__(self, upstream: tuple[str, int], impairment: Impairment) -> None:
        self.upstream = upstream
        self.impairment = impairment
        self.connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        try:
            u_reader, u_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            c_writer.transport.abort()
            return
        _no_delay(c_writer)
        _no_delay(u_writer)
        pair = (c_writer, u_writer)
        self.connections.add(pair)
        imp = self.impairment
        try:
            await asyncio.gather(
                _pump(c_reader, u_writer, lambda: imp.up_s),
                _pump(u_reader, c_writer, lambda: imp.down_s),
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.connections.discard(pair)
            for w in pair:
                w.transport.abort()

    def cut(self) -> int:
        """Abort every open connection; how many there were."""
        pairs = list(self.connections)
        for pair in pairs:
            for w in pair:
                w.transport.abort()
        return len(pairs)


async def _commands(forwarder: Forwarder) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    imp = forwarder.impairment
    while line := (await reader.readline()).decode().strip():
        words = line.split()
        try:
            if words[0] == "delay" and len(words) in (2, 3):
                imp.up_s = float(words[1]) / 1000
                imp.down_s = float(words[-1]) / 1000
                answer = f"ok delay {imp.up_s * 1000:g} {imp.down_s * 1000:g}"
            elif words == ["cut"]:
                answer = f"ok cut {forwarder.cut()}"
            elif words == ["quit"]:
                print("ok quit", flush=True)
                return
            else:
                answer = f"error unknown command {line!r}"
        except ValueError:
            answer = f"error bad number in {line!r}"
        print(answer, flush=True)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("listen_host")
    parser.add_argument("upstream_host")
    parser.add_argument("upstream_port", type=int)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    forwarder = Forwarder((args.upstream_host, args.upstream_port), Impairment(args.delay_ms))
    server = await asyncio.start_server(forwarder.handle, args.listen_host, 0)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening {host} {port}", flush=True)
    async with server:
        await _commands(forwarder)
        forwarder.cut()


if __name__ == "__main__":
    asyncio.run(main())
