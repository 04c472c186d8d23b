"""Janus (the VideoRoom plugin) through its Admin API: who is in a room, and how it is.

Each ``poll()`` lists the sessions and their handles (``list_sessions``,
``list_handles``) and reads ``handle_info`` of each, a bounded number at a time.
A handle counts as a participant when it is a VideoRoom *publisher* (of ``room``,
or of any room when none is given) whose ICE is ready and that is not hanging up.
Its statistics, per direction:

- ``rx`` (participant → Janus): packets lost over the last ``window_s`` seconds of
  polls (Janus updates its counters at its RTCP intervals, not at every poll: a
  window of polls keeps a lossy link from reading as good between two updates)
  against those received (from ``rtcp.main.lost`` and ``stats.in.packets`` of each medium),
  ``jitter-local`` (ms), the RTT Janus measured from RTCP (ms, 0 when unknown), and
  ``bytes_lastsec`` as kbit/s;
- ``tx`` (Janus → participant): the loss and jitter the participant reported of
  what Janus sent (``lost-by-remote``, ``jitter-remote``) and ``stats.out``, when
  Janus sends it anything (a publisher that subscribes to nobody gets nothing).

The worst medium counts for loss and jitter; bitrates add up. Errors of one handle
(it went away between the list and the info) skip that handle only.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx


class JanusError(Exception):
    """The Admin API refused or could not be reached; the message says which."""


@dataclass
class _Counters:
    packets: int = 0
    lost: int = 0
    out_packets: int = 0
    lost_by_remote: int = 0


@dataclass
class JanusAdmin:
    """A client of one Janus Admin API (``http://HOST:7088/admin``)."""

    url: str
    secret: str
    room: int | None = None
    timeout_s: float = 5.0
    concurrency: int = 32
    window_s: float = 5.0
    _client: httpx.AsyncClient | None = None
    #: Per handle, the counters of the polls within ``window_s`` (oldest first).
    _history: dict[int, deque[tuple[float, _Counters]]] = field(default_factory=dict)

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _ask(self, path: str, request: str) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s)
        body = {"janus": request, "transaction": uuid.uuid4().hex, "admin_secret": self.secret}
        try:
            response = await self._client.post(self.url.rstrip("/") + path, json=body)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusError(f"{request}: {exc or type(exc).__name__}") from exc
        if not isinstance(answer, dict) or answer.get("janus") != "success":
            reason = (answer.get("error") or {}).get("reason") if isinstance(answer, dict) else None
            raise JanusError(f"{request}: {reason or answer}")
        return answer

    async def poll(self) -> dict[str, dict[str, Any]]:
        """The participants now, by display name: ``{display: {"rx": {...}, "tx": {...}}}``."""
        sessions = (await self._ask("", "list_sessions")).get("sessions") or []
        handles: list[tuple[int, int]] = []
        for session in sessions:
            try:
                listed = await self._ask(f"/{session}", "list_handles")
            except JanusError:
                continue  # the session ended meanwhile
            handles += [(session, h) for h in listed.get("handles") or []]
        gate = asyncio.Semaphore(self.concurrency)

        async def info(session: int, handle: int) -> tuple[int, dict[str, Any] | None]:
            async with gate:
                try:
                    answer = await self._ask(f"/{session}/{handle}", "handle_info")
                except JanusError:
                    return handle, None
            return handle, answer.get("info")

        found: dict[str, dict[str, Any]] = {}
        seen: set[int] = set()
        for handle, data in await asyncio.gather(*(info(s, h) for s, h in handles)):
            participant = self._participant(handle, data) if data else None
            if participant is not None:
                display, figures = participant
                found[display] = figures
                seen.add(handle)
        for gone in set(self._history) - seen:
            del self._history[gone]
        return found

    def _participant(self, handle: int, info: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        plugin = info.get("plugin_specific") or {}
        if info.get("plugin") != "janus.plugin.videoroom" or plugin.get("type") != "publisher":
            return None
        if self.room is not None and plugin.get("room") != self.room:
            return None
        if plugin.get("hangingup") or plugin.get("destroyed"):
            return None
        webrtc = info.get("webrtc") or {}
        if (webrtc.get("ice") or {}).get("state") not in ("ready", "connected"):
            return None
        display = plugin.get("display")
        if not isinstance(display, str) or not display:
            return None
        return display, self._figures(handle, webrtc.get("media") or {})

    def _figures(self, handle: int, media: dict[str, Any]) -> dict[str, Any]:
        now = _Counters()
        rx_jitter = tx_jitter = rtt = 0.0
        rx_kbps = tx_kbps = 0.0
        for medium in media.values():
            rtcp = (medium.get("rtcp") or {}).get("main") or {}
            stats = medium.get("stats") or {}
            inbound, outbound = stats.get("in") or {}, stats.get("out") or {}
            now.packets += _int(inbound.get("packets"))
            now.lost += _int(rtcp.get("lost"))
            now.out_packets += _int(outbound.get("packets"))
            now.lost_by_remote += _int(rtcp.get("lost-by-remote"))
            rx_jitter = max(rx_jitter, _num(rtcp.get("jitter-local")))
            tx_jitter = max(tx_jitter, _num(rtcp.get("jitter-remote")))
            rtt = max(rtt, _num(rtcp.get("rtt")))
            rx_kbps += _num(inbound.get("bytes_lastsec")) * 8 / 1000
            tx_kbps += _num(outbound.get("bytes_lastsec")) * 8 / 1000
        history = self._history.setdefault(handle, deque())
        at = time.monotonic()
        history.append((at, now))
        while len(history) > 2 and at - history[1][0] >= self.window_s:
            history.popleft()  # keep one poll at least window_s old as the base
        before = history[0][1] if len(history) > 1 else _Counters()
        rx = {
            "loss_pct": _share(now.lost - before.lost, now.packets - before.packets),
            "jitter_ms": rx_jitter,
            "bitrate_kbps": round(rx_kbps, 1),
        }
        if rtt > 0:
            rx["rtt_ms"] = rtt
        out: dict[str, Any] = {"rx": rx}
        if now.out_packets > before.out_packets:
            out["tx"] = {
                "loss_pct": _share(
                    now.lost_by_remote - before.lost_by_remote, now.out_packets - before.out_packets
                ),
                "jitter_ms": tx_jitter,
                "bitrate_kbps": round(tx_kbps, 1),
            }
        return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _num(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and value == value and 0 <= value < 1e9 else 0.0


def _share(lost: int, received: int) -> float:
    """Lost as a share of all that was sent (received + lost), in %."""
    lost, received = max(0, lost), max(0, received)
    total = lost + received
    return round(100.0 * lost / total, 2) if total else 0.0
