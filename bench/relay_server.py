"""The baseline for ``fault_latency.py``: a bare ``websockets`` relay, no auth, no log.

It speaks just enough of the hub's protocol (MessagePack frames) that the same load
generator drives it unchanged:

- ``hello`` is answered with ``welcome`` and ``synced`` at once (no token check);
- a ``cmd`` from any connection becomes one ``event`` frame (a ``fault.reported``
  whose ``data`` holds the command's ``args``), encoded once and handed to
  ``websockets.broadcast()`` for every console, then the sender gets its ``ack``.

Connections to ``/console`` receive the broadcast; connections to ``/site`` send.
Nothing is stored, checked or rate-limited: this is the floor that Python, asyncio
and the WebSocket framing cost on this machine.

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
    uvloop = None


class Relay:
    """The relay's whole state: the consoles and an event counter."""

    def __init__(self) -> None:
        self.consoles: set[ServerConnection] = set()
        self.seq = 0

    async def handle(self, ws: ServerConnection) -> None:
        """Serve one connection until it closes."""
        is_console = ws.request is not None and ws.request.path.startswith("/console")
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
                        "name": "fault.reported",
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


async def main_async(port: int) -> None:
    """Listen on 127.0.0.1:``port`` until killed."""
    relay = Relay()
    async with serve(
        relay.handle, "127.0.0.1", port, compression=None, max_size=65536, ping_interval=None
    ) as server:
        await server.serve_forever()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if uvloop is not None:
        uvloop.run(main_async(args.port))
    else:
        asyncio.run(main_async(args.port))


if __name__ == "__main__":
    main()
