"""What the log says of the hub's own starts and stops: "the hub restarted after 40 s".

A hub that alone writes its log notes ``hub.stopped`` on a clean stop and, at the
next start, ``hub.started`` with the downtime and whether the stop was clean (a
crash or a kill leaves no ``hub.stopped``). The report and the operators read them.
"""

from __future__ import annotations

import logging

from controlroom.domain import SYSTEM, NewEvent
from controlroom.service.hub import ConferenceHub

log = logging.getLogger("controlroom")


async def record_start(hub: ConferenceHub, now: int) -> None:
    """``hub.started`` with the downtime, on a log that has a past: "the hub restarted"."""
    if not hub.recent:
        return
    last = hub.recent[-1].event
    clean = last.name == "hub.stopped" or (
        last.name == "log.checkpoint" and len(hub.recent) > 1
        and hub.recent[-2].event.name == "hub.stopped"
    )  # fmt: skip
    data = {"down_s": max(0, (now - last.at) // 1000), "clean": clean, "after_seq": last.seq}
    try:
        await hub.record(SYSTEM, [NewEvent("hub.started", data)])
    except Exception:  # noqa: BLE001 - a note for the log, never a reason not to start
        log.exception("hub.started not recorded for %s", hub.id)
    log.warning(
        "%s: hub restarted after %d s (%s)",
        hub.id,
        data["down_s"],
        "clean stop" if clean else "no clean stop: a crash or a kill",
    )


async def record_stop(hub: ConferenceHub) -> None:
    """``hub.stopped``: the next start knows the stop was planned, and when."""
    if not hub.ready or hub.durable_seq == 0:
        return
    try:
        await hub.record(SYSTEM, [NewEvent("hub.stopped", {"reason": "shutdown"})])
    except Exception:  # noqa: BLE001 - stopping goes on
        log.exception("hub.stopped not recorded for %s", hub.id)
