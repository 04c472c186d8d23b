"""The baseline for ``fault_latency.py``: a bare ``websockets`` relay, no auth, no log.

It speaks just enough of the hub's protocol (MessagePack frames) that the same load
generator drives it unchanged:

- ``hello`` is answered with ``welcome`` and ``synced`` at once (no token check);
- a ``cmd`` from any connection becomes one ``event`` frame (a ``fault.reported``
  whose ``data`` holds the command's ``args``), encoded once and handed to
  ``websockets.broadcast()`` for every console, then the sender gets its ``ack``.

Connections to ``/console`` receive the broadcast; connections to ``/site`` send.
Nothing is stored, checked or rate-limited: this is the floor that Python, asyncio
and the WebSocket framing cost on this machine. A ``speak.request`` becomes a
``speak.requested`` event, anything else a ``fault.reported``. With ``--heartbeat S``
every session also gets a ``ping`` every S seconds, as from the hub (``pong`` and
``stats`` frames are read and dropped), so the generator's load is the same.

Run: ``python bench/relay_server.py --port 8765`` (listens on 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import msgpack
from websockets.asyncio.server import ServerConnection, broadcast, serve

try:  # the hub runs on uvloop (uvicorn's default when installed); so does the baseline
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency of uvicorn[standard]
    uvloop = None  # type: ignore[assignment]


NAMES = {"speak.request": "speak.requested", "fault.report": "fault.reported"}


class Relay:
    """The relay's whole state: the consoles and an event counter."""

    def __init__(self, heartbeat_s: float = 0.0) -> None:
        self.consoles: set[ServerConnection] = set()
        self.seq = 0
        self.heartbeat_s = heartbeat_s

    async def ping(self, ws: ServerConnection) -> None:
        """Send a numbered ``ping`` every heartbeat, as the hub does."""
        n = 0
        while True:
            await asyncio.sleep(self.heartbeat_s)
            n += 1
            await ws.send(msgpack.packb({"type": "ping", "n": n, "at": int(time.time() * 1000)}))

    async def handle(self, ws: ServerConnection) -> None:
        """Serve one connection until it closes."""
        is_console = ws.request is not None and ws.request.path.startswith("/console")
        pinger = asyncio.create_task(self.ping(ws)) if self.heartbeat_s > 0 else None
        try:
            async for message in ws:
                frame: dict[str, Any] = msgpack.unpackb(message, raw=False)
                kind = frame.get("type")
                if kind == "hello":
                    now = int(time.time() * 1000)
                    await ws.send(
                        msgpack.packb({"type": "welcome", "seq": self.seq, "server_time": now})
                    )
                    await ws.send(msgpack.packb({"type": "synced", "seq": self.seq}))
                    if is_console:
                        self.consoles.add(ws)
                elif kind == "cmd":
                    self.seq += 1
                    event = {
                        "type": "event",
                        "seq": self.seq,
                        "at": int(time.time() * 1000),
                        "name": NAMES.get(str(frame.get("name")), "fault.reported"),
                        "actor": None,
                        "data": frame.get("args", {}),
                    }
                    broadcast(self.consoles, msgpack.packb(event))
                    await ws.send(
                        msgpack.packb(
                            {"type": "ack", "id": frame.get("id"), "seq": self.seq, "result": {}}
                        )
                    )
        finally:
            self.consoles.discard(ws)
            if pinger is not None:
                pinger.cancel()


async def main_async(port: int, heartbeat_s: float = 0.0) -> None:
    """Listen on 127.0.0.1:``port`` until killed."""
    relay = Relay(heartbeat_s)
    async with serve(
        relay.handle,
        "127.0.0.1",
        port,
        compression=None,
        max_size=65536,
        ping_interval=None,
        backlog=2048,
    ) as server:
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--heartbeat", type=float, default=0.0, help="ping every S s (0: none)")
    args = parser.parse_args()
    if uvloop is not None:
        uvloop.run(main_async(args.port, args.heartbeat))
    else:
        asyncio.run(main_async(args.port, args.heartbeat))


if __name__ == "__main__":
    main()
