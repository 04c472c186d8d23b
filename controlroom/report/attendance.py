"""Attendance per site, from ``site.checked_in`` and ``link.changed`` events only.

Rules:

- A site's link is ``unknown`` until its first ``link.changed``; each change holds
  until the next one. Intervals are clipped to the conference window
  ``[start, end]`` (see :mod:`controlroom.report.model`).
- *connected* = ``online`` + ``degraded``; *share* = connected / window length.
- A *drop-out* is a change into ``offline`` from ``online`` or ``degraded`` inside the
  window; the *longest outage* is the longest ``offline`` interval inside the window.
- The link is the conference path where one is configured (the bridge's view or the
  endpoint's probes: ``link.changed.source``), so *connected* is time in the call and
  *online* time good. *Technician online* is apart: ``link.presence`` for those sites;
  for a site measured by its console alone it is the same as *connected*.
- RTT and loss figures are the values recorded with each ``link.changed`` (the
  measurement at the moment of the change). The per-ping samples the hub shows live
  are not durable, so the report cannot and does not use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controlroom.domain.model import Event, SiteInfo
from controlroom.report.stats import median, percentile, seconds

STATES = ("unknown", "online", "degraded", "offline")


@dataclass
class _Site:
    changes: list[tuple[int, str]] = field(default_factory=list)
    rtts: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    checked_in_at: int | None = None
    delegates: int | None = None
    technician: str = ""
    flaps: int = 0
    source: str = "console"
    presence: list[tuple[int, str]] = field(default_factory=list)


class Attendance:
    """Folds the attendance events of one conference; :meth:`result` gives the section."""

    def __init__(self, sites: tuple[SiteInfo, ...]) -> None:
        self.infos = sites
        self.sites: dict[str, _Site] = {s.code: _Site() for s in sites}

    def feed(self, event: Event) -> None:
        """Take one event (others than link.*/site.checked_in are ignored)."""
        data = event.data
        site = self.sites.get(data.get("site", ""))
        if site is None:
            return
        if event.name == "link.changed":
            site.changes.append((event.at, str(data.get("to", "unknown"))))
            site.source = str(data.get("source") or "console")
            if isinstance(data.get("rtt_ms"), int | float):
                site.rtts.append(float(data["rtt_ms"]))
            if isinstance(data.get("loss_pct"), int | float):
                site.losses.append(float(data["loss_pct"]))
        elif event.name == "link.presence":
            presence = "online" if data.get("presence") == "online" else "offline"
            site.presence.append((event.at, presence))
        elif event.name == "link.flapping" and data.get("flapping"):
            site.flaps += 1
        elif event.name == "site.checked_in":
            if site.checked_in_at is None:
                site.checked_in_at = event.at
            if data.get("delegates") is not None:
                site.delegates = data["delegates"]
            site.technician = str(data.get("technician") or site.technician)

    def result(self, start: int, end: int) -> dict[str, Any]:
        """The attendance section for the window ``[start, end]`` (ms)."""
        window = max(0, end - start)
        rows, timeline = [], []
        for info in self.infos:
            site = self.sites[info.code]
            intervals = _intervals(site.changes, start, end)
            spent = dict.fromkeys(STATES, 0)
            longest = 0
            for a, b, state in intervals:
                spent[state] += b - a
                if state == "offline":
                    longest = max(longest, b - a)
            previous = "unknown"
            dropouts = 0
            for at, state in site.changes:
                if state == "offline" and previous in ("online", "degraded") and start < at <= end:
                    dropouts += 1
                previous = state
            connected = spent["online"] + spent["degraded"]
            if site.source == "console" and not site.presence:
                present = connected  # the console is the link: present while connected
            else:
                present = sum(
                    b - a for a, b, st in _intervals(site.presence, start, end) if st == "online"
                )
            rows.append(
                {
                    "site": info.code,
                    "name": info.name,
                    "kind": info.kind,
                    "checked_in_at": site.checked_in_at,
                    "delegates": site.delegates,
                    "technician": site.technician or info.technician,
                    "source": site.source,
                    "connected_s": seconds(connected),
                    "presence_s": seconds(present),
                    "share": round(connected / window, 4) if window else None,
                    "online_s": seconds(spent["online"]),
                    "degraded_s": seconds(spent["degraded"]),
                    "offline_s": seconds(spent["offline"]),
                    "unknown_s": seconds(spent["unknown"]),
                    "dropouts": dropouts,
                    "longest_outage_s": seconds(longest),
                    "flapping": site.flaps,
                    "link_changes": len(site.changes),
                    "rtt_median_ms": _round(median(site.rtts)),
                    "rtt_p95_ms": _round(percentile(site.rtts, 95)),
                    "loss_median_pct": _round(median(site.losses)),
                    "loss_p95_pct": _round(percentile(site.losses, 95)),
                }
            )
            timeline.append({"site": info.code, "intervals": [list(i) for i in intervals]})
        checked = sum(1 for r in rows if r["checked_in_at"] is not None)
        return {
            "note": "samples_not_durable",
            "window_s": seconds(window),
            "sites": rows,
            "checked_in": checked,
            "timeline": timeline,
        }


def _intervals(changes: list[tuple[int, str]], start: int, end: int) -> list[tuple[int, int, str]]:
    """``(from, to, state)`` intervals covering ``[start, end]``, adjacent equal states merged."""
    out: list[tuple[int, int, str]] = []
    state, since = "unknown", start
    for at, to in changes:
        if at > start:
            _push(out, max(since, start), min(at, end), state)
        state, since = to, at
        if at >= end:
            break
    _push(out, max(since, start), end, state)
    return out


def _push(out: list[tuple[int, int, str]], a: int, b: int, state: str) -> None:
    if b <= a:
        return
    if out and out[-1][2] == state and out[-1][1] == a:
        out[-1] = (out[-1][0], b, state)
    else:
        out.append((a, b, state))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
