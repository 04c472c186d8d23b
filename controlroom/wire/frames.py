"""Builders of the frames the application sends a session (docs/protocol.md).

Session: ``welcome``, ``snapshot``, ``synced``; commands: ``ack``; live figures:
``links``, ``queue`` [ext]; test calls: ``rtc.offer``, ``rtc.end``. Events are the
domain's own ``Event.to_wire()``; errors are ``signaling.errors.error_frame``.
"""

from __future__ import annotations

from typing import Any


def welcome_frame(
    *,
    session: str,
    account: str,
    role: str,
    site: str | None,
    conference: str,
    seq: int,
    heartbeat_s: float,
    server_time: int,
    name: str,
) -> dict[str, Any]:
    """The answer to a valid ``hello``: who the session is, and the durable seq."""
    return {
        "type": "welcome",
        "session": session,
        "account": account,
        "role": role,
        "site": site,
        "conference": conference,
        "seq": seq,
        "heartbeat_s": heartbeat_s,
        "server_time": server_time,
        "name": name,
    }


def snapshot_frame(seq: int, state: dict[str, Any]) -> dict[str, Any]:
    """The state this session may see, at ``seq``."""
    return {"type": "snapshot", "seq": seq, "state": state}


def synced_frame(seq: int) -> dict[str, Any]:
    """Everything visible up to ``seq`` has been sent; live events follow."""
    return {"type": "synced", "seq": seq}


def ack_frame(command_id: Any, seq: int, result: dict[str, Any]) -> dict[str, Any]:
    """A command was recorded: the seq of its last event and the ids it created."""
    return {"type": "ack", "id": command_id, "seq": seq, "result": result}


def links_frame(at: int, sites: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Live link health of the sites named (not an event: no seq)."""
    return {"type": "links", "at": at, "sites": sites}


def queue_frame(positions: dict[str, int], length: int) -> dict[str, Any]:
    """A site's approved requests' places in the whole queue [ext]."""
    return {"type": "queue", "positions": positions, "length": length}


def rtc_offer_frame(
    call: str, sdp: str, duration_s: float, ice_servers: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The hub calls a site: its SDP offer, and the TURN servers to reach it."""
    frame: dict[str, Any] = {
        "type": "rtc.offer",
        "call": call,
        "sdp": sdp,
        "duration_s": duration_s,
    }
    if ice_servers:
        frame["ice_servers"] = ice_servers
    return frame


def rtc_end_frame(call: str, reason: str) -> dict[str, Any]:
    """A test call is over (``done``) or was stopped (``cancelled``)."""
    return {"type": "rtc.end", "call": call, "reason": reason}
