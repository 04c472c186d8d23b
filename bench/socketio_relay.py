"""The second reference: the same relay as ``relay_server.py``, written with python-socketio.

A python-socketio ``AsyncServer`` (ASGI) on uvicorn (uvloop, the same sans-I/O
WebSocket protocol family as the hub, no compression), WebSocket transport only.
Every frame of the hub's protocol travels as the argument of one Socket.IO event
named ``frame`` (Socket.IO's default JSON packets: ``42["frame",{...}]``):

- ``hello`` is answered with ``welcome`` and ``synced`` (no token check); a
  connection whose URL says ``role=console`` joins the room ``consoles``;
- a ``cmd`` becomes one ``event`` frame (``fault.reported`` or ``speak.requested``
  whose ``data`` holds the command's ``args``), emitted once to the room (Socket.IO
  encodes it once for every member), then the sender gets its ``ack``;
- ``stats`` frames are dropped. Engine.IO pings every ``--heartbeat`` seconds
  (``2``, answered ``3``) stand in for the hub's ``ping``/``pong``.

Run: ``python bench/socketio_relay.py --port 8766`` (listens on 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import time
from typing import Any
from urllib.parse import parse_qs

import socketio
import uvicorn

NAMES = {"speak.request": "speak.requested", "fault.report": "fault.reported"}


def build(heartbeat_s: float) -> Any:
    """The ASGI app of the relay."""
    sio = socketio.AsyncServer(
        async_mode="asgi",
        ping_interval=heartbeat_s,
        ping_timeout=60,
        transports=["websocket"],
        http_compression=False,
        cors_allowed_origins="*",
        max_http_buffer_size=65536,
    )
    state = {"seq": 0}
    consoles: set[str] = set()

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if query.get("role", [""])[0] == "console":
            consoles.add(sid)

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        consoles.discard(sid)

    @sio.on("frame")
    async def frame(sid: str, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "hello":
            now = int(time.time() * 1000)
            await sio.emit("frame", {"type": "welcome", "seq": state["seq"], "server_time": now},
                           to=sid)  # fmt: skip
            await sio.emit("frame", {"type": "synced", "seq": state["seq"]}, to=sid)
            if sid in consoles:
                await sio.enter_room(sid, "consoles")
        elif kind == "cmd":
            state["seq"] += 1
            seq = state["seq"]
            event = {
                "type": "event",
                "seq": seq,
                "at": int(time.time() * 1000),
                "name": NAMES.get(str(data.get("name")), "fault.reported"),
                "actor": None,
                "data": data.get("args", {}),
            }
            await sio.emit("frame", event, room="consoles")
            await sio.emit("frame", {"type": "ack", "id": data.get("id"), "seq": seq,
                                     "result": {}}, to=sid)  # fmt: skip

    return socketio.ASGIApp(sio, socketio_path="socket.io")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--heartbeat", type=float, default=2.0, help="Engine.IO ping interval s")
    args = parser.parse_args()
    config = uvicorn.Config(
        build(args.heartbeat),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan="off",
        log_level="warning",
        backlog=2048,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
