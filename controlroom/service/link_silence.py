"""The silence check of the link monitor: who has gone quiet, and presence that held.

Every tick visits a slice of the sites. For each it judges every source it has
(the technician's console, the room's endpoint probe, the bridge's report): a
source not heard for its missed heartbeats goes offline, a flapping one settles
once it has been calm. A site another hub instance holds is that instance's to
judge. The technician's presence is recorded once it has held for three
heartbeats, so that a laptop's lid closed and opened is no event.

Nothing here reads a clock or writes: the monitor passes ``now`` and takes the
transitions and commands through the two callables it gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from controlroom.domain import LinkPresence
from controlroom.domain.links import Transition, settle, silence
from controlroom.domain.model import Thresholds
from controlroom.service.site_link import SiteLink


class SilenceCheck:
    """Judges silence and settles flapping for the sites of one conference."""

    def __init__(
        self,
        thresholds: Thresholds,
        heartbeat_s: float,
        started_at: int,
        transitions: Callable[[SiteLink, list[Transition], str], None],
        record: Callable[[Any], None],
    ) -> None:
        self.thresholds = thresholds
        self.heartbeat_s = heartbeat_s
        #: The conference path (probes, the bridge) is offline after two silent
        #: heartbeats, so that every console shows it within 2 heartbeats + 1 s: the
        #: hub measures it itself, no client backoff or phone in a pocket to allow for.
        self.path_thresholds = dataclasses.replace(
            thresholds, offline_after_missed=min(2, thresholds.offline_after_missed)
        )
        self.started_at = started_at
        #: Until then nobody is judged offline for silence: after a start (a restart or
        #: a crash) the sites need their reconnect backoff to come back.
        self.grace_until = started_at + int(thresholds.restart_grace_s * 1000)
        self._transitions = transitions
        self._record = record

    def tick(self, links: list[SiteLink], now: int) -> None:
        """Judge silence (and settle flapping) for ``links``, every source of each."""
        in_grace = now < self.grace_until
        for link in links:
            self._console(link, now, in_grace)
            if not in_grace and link.governing() is not None:
                self._presence(link, now)
            for src in (link.endpoint, link.bridge):
                if src is None:
                    continue
                if src.name == "bridge" and in_grace and src.last_heard <= self.started_at:
                    continue  # the bridge has not reported since the start yet
                t = self.path_thresholds
                beat = src.silent_after_s(self.heartbeat_s)
                quiet = silence(src.health, src.last_heard, now, t, beat)
                if src.health.flapping:
                    quiet += settle(src.health, now, t)
                self._transitions(link, quiet, src.name)

    def held_elsewhere(self, link: SiteLink, now: int) -> bool:
        """Whether another instance has this site's sessions (and said so lately)."""
        return (
            link.sessions == 0
            and link.remote is not None
            and link.remote.get("sessions", 0) > 0
            # The holder publishes every second: allow three of those, or three heartbeats.
            and now - link.remote_at < max(3000, 3 * self.heartbeat_s * 1000)
        )

    def _presence(self, link: SiteLink, now: int) -> None:
        """Record the technician's presence once it has held for three heartbeats."""
        shown = link.presence
        if shown != link.presence_seen:
            link.presence_seen, link.presence_seen_at = shown, now
        elif (
            shown != link.presence_recorded
            and now - link.presence_seen_at >= 3 * self.heartbeat_s * 1000
        ):
            link.presence_recorded = shown
            self._record(LinkPresence(site=link.code, presence=shown))  # type: ignore[arg-type]

    def _console(self, link: SiteLink, now: int, in_grace: bool) -> None:
        if self.held_elsewhere(link, now):
            return  # another instance measures this site
        if in_grace and link.sessions == 0:
            return  # not back yet after the hub's start: wait for the grace
        if link.sessions > 0 or link.health.state not in ("offline", "unknown"):
            self._transitions(
                link,
                silence(link.health, link.last_heard, now, self.thresholds, self.heartbeat_s),
                "console",
            )
        if link.health.flapping:
            self._transitions(link, settle(link.health, now, self.thresholds), "console")
