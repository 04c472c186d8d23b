"""The link monitor: per-site samples from pongs and ``stats``, and the live ``links`` frames.

Per site, not per session: a site may have a browser and an agent connected at
once. Every pong of any of its sessions is a sample: its RTT and the loss of pings
over the last 50 (one lost pong is 2 %, under the 3 % default); the jitter of the
pings (mean change between consecutive RTTs, smoothed) is shown but not judged.
What the site reports of its own media (``stats``, fresh for three heartbeats) is
folded in: its jitter is the one judged, and the worse loss counts. The pure
``links`` state machine turns samples into transitions; those become
``LinkChange`` / ``LinkFlap`` commands of the hub (durable events).

Samples themselves are not events: they live in a bounded ring per site (an hour
at the default heartbeat) for sparklines and the report, and in coalesced
``links`` frames (at most one a second, only the sites that changed, encoded once
per codec for all receivers).

Who has gone silent is judged in ``link_silence``, a slice of the sites at a time;
which sites' entries go out when, in ``link_feed``.

It must never: block a pong on the log, emit a durable event for anything but a
change of state or of flapping, or let one misbehaving site's stats raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import Any

from controlroom.domain.links import LinkHealth, Transition, closed, observe
from controlroom.service.hub import ConferenceHub
from controlroom.service.link_feed import LinkFeed
from controlroom.service.link_ring import STATE_CODES
from controlroom.service.link_silence import SilenceCheck
from controlroom.service.link_sources import SourceLink, bridge_sample, probe_result
from controlroom.service.site_link import LOSS_WINDOW, SiteLink, parse_stats
from controlroom.wire import links_frame
from probes.looplag import LoopLag
from probes.prober import Prober
from probes.target import parse_target
from signaling.connection import Connection
from signaling.errors import CLOSE_SERVICE_RESTART, SignalError

#: A pong handled this late (the hub's event loop was busy) is not judged as an RTT.
LAG_DISCOUNT_MS = 100.0

log = logging.getLogger("controlroom.links")

#: A site's own console gets a change of state (or flapping, or sessions) within the
#: second, and fresh figures at most this often: at 1,000 sites, one frame per site
#: per second was as many writes as the heartbeat's pings, all in one burst.
SITE_FIGURES_EVERY_MS = 5000
#: The central team gets every change of state within the second, and figures alone
#: of at most this many sites a flush (or a fifth of them, if more): up to 2,500 sites
#: at the default heartbeat that is every change each second, as before; at 5,000 it
#: is each site's figures every 5 s instead of a 2,500-entry frame every second.
STAFF_FIGURES_PER_FLUSH = 500
#: The sites are checked for silence in this many slices of the tick's period.
TICK_SLICES = 10


#: Link commands recorded together at most (one group commit's worth).
WRITE_BATCH = 256


def next_batch(queue: asyncio.Queue[Any], first: Any, limit: int) -> tuple[list[Any], Any]:
    """The commands to record together from ``first`` on, and the one held for the next.

    Taken from ``queue`` while each is of a site not yet in the batch, up to ``limit``;
    the first of a site already in it is returned as held, so a site's commands are
    recorded one batch after another, in order.
    """
    batch, sites = [first], {first.site}
    while len(batch) < limit and not queue.empty():
        command = queue.get_nowait()
        if command.site in sites:
            return batch, command
        batch.append(command)
        sites.add(command.site)
    return batch, None


class LinkMonitor:
    """Measures every site of one conference and keeps its link state."""

    def __init__(self, hub: ConferenceHub, heartbeat_s: float, clock_ms: Callable[[], int]) -> None:
        self.hub = hub
        self.heartbeat_s = heartbeat_s
        self.clock_ms = clock_ms
        self.thresholds = hub.config.settings.thresholds
        #: The event loop's lateness (probes.looplag), when the runtime measures it.
        self.loop_lag: LoopLag | None = None
        #: Pongs not judged because the hub itself was late handling them.
        self.discounted = 0
        capacity = max(64, math.ceil(3600 / heartbeat_s) + 64)
        self.capacity = capacity
        now = clock_ms()
        self.sites: dict[str, SiteLink] = {}
        targets: dict[Any, Any] = {}
        for code, site in hub.durable.sites.items():
            recorded = LinkHealth(
                state=site.link.get("state", "unknown"), flapping=bool(site.link.get("flapping"))
            )
            link = SiteLink(code, LinkHealth(), last_heard=now)
            link.presence_recorded = link.presence_seen = site.presence
            if site.endpoint:
                link.endpoint = SourceLink("endpoint", LinkHealth(), now, target=site.endpoint)
                targets[code] = parse_target(site.endpoint)
            # The source the link follows starts from what the log says; the others
            # from unknown (they were never recorded).
            governing = link.governing()
            if governing is not None:
                governing.health = recorded
            else:
                link.health = recorded
            self.sites[code] = link
        #: The sites' entries waiting for the staff consoles, and for each site's own.
        staff_budget = max(STAFF_FIGURES_PER_FLUSH, math.ceil(len(self.sites) / 5))
        self._to_staff = LinkFeed(1000, staff_budget)
        #: A site's own: figures of a fifth of the sites a second, in every slice of the
        #: tick (a thousand single-site frames at once were a thousand writes in a row);
        #: at most one frame a second each, as the protocol says.
        self._sites_per_s = math.ceil(len(self.sites) * 1000 / SITE_FIGURES_EVERY_MS)
        self._to_sites = LinkFeed(SITE_FIGURES_EVERY_MS, self._sites_per_s, gap_ms=1000)
        #: The endpoints' probes, one per heartbeat each (None: no endpoint configured).
        self.prober: Prober | None = None
        if targets:
            self.prober = Prober(heartbeat_s, self._probe_result, clock_ms)
            self.prober.set_targets(targets)
        self._lost_seen: dict[str, int] = {}
        #: Set when hub instances share a log: live link data crosses over pub/sub.
        self.bridge: Any = None
        self._commands: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.silence = SilenceCheck(
            self.thresholds, heartbeat_s, now, self._transitions, self._commands.put_nowait
        )

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the periodic checks and the command writer."""
        self._tasks = [
            asyncio.create_task(self._tick_loop(), name=f"links:{self.hub.id}"),
            asyncio.create_task(self._write_loop(), name=f"links-writer:{self.hub.id}"),
        ]
        if self.prober is not None:
            self.prober.start()

    async def stop(self) -> None:
        """Stop the probes and both tasks."""
        if self.prober is not None:
            await self.prober.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task

    # -- session hooks ----------------------------------------------------------------------
    def opened(self, conn: Connection) -> None:
        """A session is live: count a site's sessions; give consoles the whole picture."""
        actor = conn.principal.actor
        now = self.clock_ms()
        if actor.role == "site":
            link = self.sites.get(actor.site)
            if link is not None:
                link.sessions += 1
                link.last_heard = now
                link.heard = True
                link.dirty = True
                conn.send(links_frame(now, {link.code: link.frame()}))
        else:
            frame = {code: s.frame() for code, s in self.sites.items()}
            conn.send(links_frame(now, frame))

    def closed(self, conn: Connection) -> None:
        """A session ended; a site with no session left is offline at once."""
        principal = conn.principal
        self._lost_seen.pop(conn.id, None)
        if principal is None or principal.actor.role != "site":
            return
        link = self.sites.get(principal.actor.site)
        if link is None:
            return
        link.sessions = max(0, link.sessions - 1)
        link.dirty = True
        if conn.disconnect_code == CLOSE_SERVICE_RESTART:
            # The hub is restarting (uvicorn closes every session with 1012): that is no
            # outage of the site. Should it not be (a client that sent 1012 itself), the
            # silence rule finds the site offline after its missed heartbeats all the same.
            return
        if link.sessions == 0 and not self.silence.held_elsewhere(link, self.clock_ms()):
            self._transitions(link, closed(link.health, self.clock_ms(), self.thresholds))

    def pong(self, conn: Connection, rtt_ms: float) -> None:
        """A pong from any session: a sample for a site session."""
        actor = conn.principal.actor
        if actor.role != "site":
            return
        link = self.sites.get(actor.site)
        if link is None:
            return
        now = self.clock_ms()
        total = conn.pings.lost
        lost = total - self._lost_seen.get(conn.id, 0)
        self._lost_seen[conn.id] = total
        pongs = link.pongs
        if link.health.state == "offline":
            # The outage is already on record as offline; it is not packet loss of the
            # link that has just come back.
            lost = 0
            pongs.clear()
        for _ in range(min(lost, LOSS_WINDOW)):
            pongs.add(None)
        # A pong that waited for a busy hub measures the hub, not the site's network:
        # it proves the site is there, but its RTT is not judged.
        stalled = self.loop_lag is not None and self.loop_lag.worst_ms(rtt_ms) >= LAG_DISCOUNT_MS
        if stalled:
            self.discounted += 1
        else:
            pongs.add(rtt_ms)
        link.rtt_ms, link.jitter_ms, link.loss_pct = pongs.rtt_ms, pongs.jitter_ms, pongs.loss_pct
        link.last_heard = now
        self._sample(link, now)

    def message(self, conn: Connection, frame: dict[str, Any]) -> None:
        """A ``stats`` frame: what a site measures of its own media."""
        actor = conn.principal.actor
        if actor.role != "site":
            raise SignalError("forbidden", "only site sessions send stats")
        clean = parse_stats(frame.get("stats"))
        link = self.sites.get(actor.site)
        if link is not None:
            link.reported = clean
            link.reported_at = self.clock_ms()
            link.dirty = True

    # -- deciding ---------------------------------------------------------------------------
    def _sample(self, link: SiteLink, now: int) -> None:
        sample = link.sample(now, 3 * self.heartbeat_s * 1000)
        self._transitions(link, observe(link.health, sample, self.thresholds))
        link.keep(sample, self.capacity)

    def _transitions(
        self, link: SiteLink, transitions: list[Transition], source: str = "console"
    ) -> None:
        """Record the transitions of ``source`` when the site's link follows it.

        Those of another source only change what is shown (the console of a site
        with an endpoint is presence: its going away is no outage).
        """
        for t in transitions:
            link.dirty = True
            if source != link.source:
                continue
            command = link.command_for(t, source)
            self._commands.put_nowait(command)

    async def _write_loop(self) -> None:
        # The commands of a batch are submitted together (one group commit, not one
        # commit each: thousands of sites judged at once reach the log in a few
        # commits); a site has at most one command in a batch, so its order holds.
        held: Any = None
        while True:
            first = held if held is not None else await self._commands.get()
            batch, held = next_batch(self._commands, first, WRITE_BATCH)
            await asyncio.gather(*(self._write(command) for command in batch))

    async def _write(self, command: Any) -> None:
        for attempt in range(3):
            try:
                await self.hub.system(command)
                return
            except Exception as exc:  # noqa: BLE001 - retried, then logged
                log.warning("link event for %s not recorded (%s)", command.site, exc)
                await asyncio.sleep(0.5 * (attempt + 1))

    async def _tick_loop(self) -> None:
        # Every site is checked once a period, a tenth of them at a time: at 5,000 sites
        # one pass over all of them held the event loop for tens of milliseconds.
        period_s = min(1.0, self.heartbeat_s / 2)
        links = list(self.sites.values())
        size = math.ceil(len(links) / TICK_SLICES)
        slices_per_s = TICK_SLICES / period_s
        self._to_sites.budget = math.ceil(self._sites_per_s / slices_per_s)
        last_flush = 0
        while True:
            for k in range(TICK_SLICES):
                await asyncio.sleep(period_s / TICK_SLICES)
                now = self.clock_ms()
                self.silence.tick(links[k * size : (k + 1) * size], now)
                if now - last_flush >= 1000:
                    last_flush = now
                    self.flush(now)
                self._flush_to_sites(now)

    def remote(self, body: dict[str, Any]) -> None:
        """Link data from another hub instance (its own sites, every second)."""
        now = self.clock_ms()
        for code, entry in (body.get("sites") or {}).items():
            link = self.sites.get(code)
            if link is None or not isinstance(entry, dict) or link.sessions > 0:
                continue
            if entry != link.remote:
                link.dirty = True
            link.remote, link.remote_at = entry, now
            if entry.get("state") in STATE_CODES:
                link.health.state = entry["state"]

    def flush(self, now: int) -> None:
        """Once a second: one coalesced ``links`` frame of the sites that changed to the
        central team; the changed sites in line for their own sessions."""
        if self.bridge is not None:
            mine = {s.code: s.frame() for s in self.sites.values() if s.sessions > 0}
            if mine:
                asyncio.ensure_future(self.bridge.publish({"at": now, "sites": mine}))
        for s in self.sites.values():
            if s.dirty:
                s.dirty = False
                shown = s.shown_key()
                self._to_staff.mark(s.code, s.staff_key(shown))
                self._to_sites.mark(s.code, shown)
        sites = self.sites
        entries = {code: sites[code].frame() for code in self._to_staff.due(now)}
        if entries:
            self.hub.publisher.links_to_staff(now, entries)

    def _flush_to_sites(self, now: int) -> None:
        """Each site's own entry to its sessions: changes at once, figures paced."""
        for code in self._to_sites.due(now):
            self.hub.publisher.links_to_site(now, code, self.sites[code].frame())

    def history(self, code: str, since_ms: int, source: str = "console") -> list[dict[str, Any]]:
        """The stored samples of one site's ``source`` since ``since_ms``."""
        return self.sites[code].history(source, since_ms)

    # -- conference-path sources -----------------------------------------------------------
    def _probe_result(self, code: Any, rtt_ms: float | None, at: int) -> None:
        link = self.sites.get(code)
        if link is None or link.endpoint is None:
            return
        transitions = probe_result(link.endpoint, rtt_ms, at, self.thresholds, self.capacity)
        link.dirty = True
        self._transitions(link, transitions, "endpoint")

    def bridge_report(self, samples: list[dict[str, Any]]) -> list[str]:
        """Samples of the bridge (validated at the edge); the site codes it did not know."""
        now = self.clock_ms()
        unknown = []
        for sample in samples:
            link = self.sites.get(sample["site"])
            if link is None:
                unknown.append(sample["site"])
                continue
            if link.bridge is None:  # the first report makes the bridge this site's source
                link.bridge = SourceLink("bridge", LinkHealth(), now)
            transitions = bridge_sample(link.bridge, sample, now, self.thresholds, self.capacity)
            link.dirty = True
            self._transitions(link, transitions, "bridge")
        return unknown

    def decorate(self, state: dict[str, Any]) -> None:
        """Put the live source, presence and sources into a snapshot's site links."""
        for code, site in (state.get("sites") or {}).items():
            link = self.sites.get(code)
            if link is None or not isinstance(site.get("link"), dict):
                continue
            link.decorate(site["link"])
