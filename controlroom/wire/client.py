"""Builders of the frames a client sends the hub (the site agent; the browser has its own).

Session: ``hello``, ``pong``; commands: ``cmd``; measurements: ``stats``; test
calls: ``rtc.answer``, ``rtc.stats``, ``rtc.end``.
"""

from __future__ import annotations

from typing import Any


def hello_frame(
    token: str,
    conference: str | None,
    resume_after: int | None,
    client: str,
    caps: list[str] | None = None,
) -> dict[str, Any]:
    """The first frame of a session: who, where, and the last seq seen (to resume)."""
    frame: dict[str, Any] = {
        "type": "hello",
        "token": token,
        "conference": conference,
        "resume_after": resume_after,
        "client": client,
    }
    if caps:
        frame["caps"] = caps
    return frame


def pong_frame(
    n: Any, at: int | None = None, stats: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The answer to the hub's ``ping`` number ``n``; with ``stats``, the site's report
    on it ([ext] "Stats on a pong")."""
    if stats is None:
        return {"type": "pong", "n": n}
    return {"type": "pong", "n": n, "at": at, "stats": stats}


def cmd_frame(command_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A command, with the id its answer will carry."""
    return {"type": "cmd", "id": command_id, "name": name, "args": args}


def stats_frame(at: int | None, stats: Any) -> dict[str, Any]:
    """The site's own link figures (as sent: the hub checks ``stats`` when it takes it;
    ``at``, the sender's clock, is informative and may be absent on a pong)."""
    return {"type": "stats", "at": at, "stats": stats}


def rtc_answer_frame(call: str, sdp: str) -> dict[str, Any]:
    """The site's SDP answer to a test call."""
    return {"type": "rtc.answer", "call": call, "sdp": sdp}


def rtc_stats_frame(call: str, stats: dict[str, Any]) -> dict[str, Any]:
    """What the site measured of a test call."""
    return {"type": "rtc.stats", "call": call, "stats": stats}


def rtc_end_frame(call: str, reason: str) -> dict[str, Any]:
    """The site ends a test call (declined, or why it failed)."""
    return {"type": "rtc.end", "call": call, "reason": reason}
