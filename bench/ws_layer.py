"""The WebSocket layer alone: server CPU per message for uvicorn, `websockets` and picows.

The hub's heartbeat is, per site and beat, one small frame out and one in; issue
"Scale" asks to measure the WebSocket layer itself before choosing one. Each server
here is an echo server and nothing else (no application, no log), in its own
process pinned to the servers' CPU; the generator (this process, on the other CPU)
keeps ``--conns`` connections and sends ``--rate`` small binary messages a second
across them, and each comes back. The server's CPU over the window divided by the
messages echoed is its cost of one message in and one out.

- ``uvicorn-direct``: uvicorn with ``signaling.uvicorn_protocol`` and the direct
  wire (``signaling.direct``): the message is seen in ``data_received`` and written
  straight to the transport, as the hub does for pongs and pings;
- ``uvicorn-asgi``: the same protocol through plain ASGI ``receive``/``send``;
- ``websockets``: the ``websockets`` asyncio server (what ``bench/relay_server.py`` is);
- ``picows``: picows (Cython), when installed (``pip install picows``).

Run: ``python -m bench.ws_layer [--conns 200] [--rate 10000] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from bench.common import cpu_seconds, free_port, machine, pin_self, split_cores

KINDS = ("uvicorn-direct", "uvicorn-asgi", "websockets", "picows")
MESSAGE = b"\x82\xa4type\xa4pong\xa1n\x07" + b"." * 40  # the size of a pong with its fields


# -- the servers (each in its own process) ------------------------------------------------
def _asgi_app(direct: bool) -> Any:
    from signaling.direct import direct_wire

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        wire = direct_wire(scope) if direct else None
        if wire is not None:
            wire.on_message = lambda message: wire.write(message)
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            await send({"type": "websocket.send", "bytes": message.get("bytes")})

    return app


async def _serve_websockets(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                await ws.send(message)

    async with serve(echo, "127.0.0.1", port, compression=None, ping_interval=None):
        await asyncio.Future()


async def _serve_picows(port: int) -> None:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server

    class Echo(WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            elif frame.msg_type == WSMsgType.BINARY:
                transport.send(WSMsgType.BINARY, frame.get_payload_as_bytes())

    server = await ws_create_server(lambda _request: Echo(), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def serve(kind: str, port: int) -> None:
    """Run the echo server ``kind`` on 127.0.0.1:``port`` until killed (uvloop)."""
    import uvloop

    if kind.startswith("uvicorn"):
        import uvicorn

        from signaling.uvicorn_protocol import PromptCloseWebSocketProtocol

        config = uvicorn.Config(
            _asgi_app(kind == "uvicorn-direct"), host="127.0.0.1", port=port,
            ws=PromptCloseWebSocketProtocol, loop="uvloop", log_level="warning",
            lifespan="off", ws_ping_interval=None,
        )  # fmt: skip
        uvicorn.Server(config).run()
    elif kind == "websockets":
        uvloop.run(_serve_websockets(port))
    else:
        uvloop.run(_serve_picows(port))


# -- the generator ------------------------------------------------------------------------
async def _measure(kind: str, conns: int, rate: float, seconds: float, cpus: Any) -> dict:
    port = free_port()
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ws_layer", "--serve", kind, "--port", str(port)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    if cpus:
        os.sched_setaffinity(proc.pid, cpus)
    try:
        sockets = []
        for _ in range(200):
            try:
                sockets.append(await connect(f"ws://127.0.0.1:{port}/", compression=None))
                break
            except OSError:
                await asyncio.sleep(0.05)
        for _ in range(conns - 1):
            sockets.append(await connect(f"ws://127.0.0.1:{port}/", compression=None))
        received = 0

        async def read(ws: Any) -> None:
            nonlocal received
            async for _ in ws:
                received += 1

        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        sent = 0
        cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
        start = wall0
        tick = 0.01
        per_tick = rate * tick
        while time.perf_counter() - start < seconds:
            due = int((time.perf_counter() - start) / tick * per_tick) - sent
            for _ in range(max(0, due)):
                await sockets[sent % conns].send(MESSAGE)
                sent += 1
            await asyncio.sleep(tick)
        async with asyncio.timeout(10):
            while received < sent:
                await asyncio.sleep(0.01)
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.perf_counter() - wall0
        for task in readers:
            task.cancel()
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        return {"kind": kind, "messages": sent, "cpu_pct": 100 * cpu / wall,
                "us_per_message": 1e6 * cpu / sent}  # fmt: skip
    finally:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    """Measure every server kind available; print the table and ratios."""
    p = argparse.ArgumentParser(prog="python -m bench.ws_layer", description=__doc__.split("\n")[0])
    p.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--conns", type=int, default=200)
    p.add_argument("--rate", type=float, default=10_000.0, help="messages a second, all conns")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--kinds", default=",".join(KINDS))
    args = p.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    server_cpus, own_cpus = split_cores()
    pin_self(own_cpus)
    print(f"machine: {machine()}; servers on CPU {sorted(server_cpus or [])}")
    print(f"{args.conns} connections, {args.rate:,.0f} messages/s echoed, {args.seconds:.0f} s")
    rows = []
    for kind in args.kinds.split(","):
        if kind == "picows":
            try:
                import picows  # noqa: F401
            except ImportError:
                print("picows: not installed (pip install picows), skipped")
                continue
        row = asyncio.run(_measure(kind, args.conns, args.rate, args.seconds, server_cpus))
        rows.append(row)
        print(f"{kind:>15}: CPU {row['cpu_pct']:5.1f} %, {row['us_per_message']:6.1f} µs a "
              f"message in and out ({row['messages']:,} messages)", flush=True)  # fmt: skip
    base = next((r for r in rows if r["kind"] == "uvicorn-direct"), None)
    if base:
        for row in rows:
            ratio = row["us_per_message"] / base["us_per_message"]
            print(f"{row['kind']:>15} / uvicorn-direct: {ratio:.2f}x the CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
