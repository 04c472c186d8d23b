"""Prometheus metrics of a running hub (``GET /metrics``).

Rules:

- One :class:`CollectorRegistry` per runtime (never the global one), so several hubs
  in one process (tests) do not share series.
- Work on the hot path is one counter or histogram update: events are counted by a
  hub listener, command latency by the hub's ``on_command`` hook, 4008 evictions when
  a session closes. Everything else (sessions by role, sites per link state, open
  faults, queue lengths, outbox depths) is computed on scrape from the hub's durable
  state and the runtime's sessions, so it costs nothing between scrapes.
- Command names outside the protocol are labelled ``other``, so a client cannot
  create series at will.

Series: ``controlroom_events_total{conference,name}`` (rate() = events per second),
``controlroom_command_seconds{conference,command}`` (histogram),
``controlroom_evictions_total{conference}``, ``controlroom_sessions{role}``,
``controlroom_sites{conference,state}``, ``controlroom_open_faults{conference,severity}``,
``controlroom_speaking_queue{conference}``, ``controlroom_on_floor{conference}``,
``controlroom_outbox_frames_sum`` / ``_max``, ``controlroom_log_seq{conference}``,
``controlroom_refusals_total{kind,code}`` (refused logins, hellos, frames, commands),
``controlroom_decider{conference}`` (1 on the instance that decides it),
``controlroom_log_conflicts{conference}``, ``controlroom_relayed_commands{conference,way}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import Counter as PromCounter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from controlroom.domain import COMMANDS
from controlroom.domain.model import LINK_STATES, ROLES, Event
from signaling.errors import CLOSE_SLOW_CONSUMER

OPEN_FAULTS = frozenset({"open", "acknowledged", "reopened"})
SEVERITIES = ("critical", "major", "minor")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Labels of refusals: a client cannot create series at will.
ERROR_CODES = frozenset(
    {"bad_frame", "unknown_command", "invalid_args", "unauthenticated", "forbidden",
     "not_found", "conflict", "rate_limited", "too_large", "internal"}
)  # fmt: skip
REFUSAL_KINDS = frozenset({"login", "hello", "frame", "rtc", "http", "command"})


class _Live:
    """The collector of gauges computed at scrape time."""

    def __init__(self, metrics: HubMetrics) -> None:
        self.metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        connections = list(m.connections())
        roles: Counter[str] = Counter()
        depths = []
        for conn in connections:
            principal = getattr(conn, "principal", None)
            if principal is not None:
                roles[principal.actor.role] += 1
            depths.append(len(conn.outbox))
        sessions = GaugeMetricFamily(
            "controlroom_sessions", "Open sessions by role", labels=["role"]
        )
        for role in ROLES:
            sessions.add_metric([role], roles.get(role, 0))
        yield sessions
        yield GaugeMetricFamily(
            "controlroom_outbox_frames_sum",
            "Frames waiting in every session's outbox (fan-out queue depth, sum)",
            value=sum(depths),
        )
        yield GaugeMetricFamily(
            "controlroom_outbox_frames_max",
            "Frames waiting in the fullest session outbox (fan-out queue depth, max)",
            value=max(depths, default=0),
        )
        sites = GaugeMetricFamily(
            "controlroom_sites", "Sites per link state", labels=["conference", "state"]
        )
        faults = GaugeMetricFamily(
            "controlroom_open_faults",
            "Faults not resolved, by severity",
            labels=["conference", "severity"],
        )
        queue = GaugeMetricFamily(
            "controlroom_speaking_queue",
            "Approved speaking requests waiting",
            labels=["conference"],
        )
        floor = GaugeMetricFamily(
            "controlroom_on_floor", "Speakers holding the floor", labels=["conference"]
        )
        seq = GaugeMetricFamily("controlroom_log_seq", "Last durable seq", labels=["conference"])
        decider = GaugeMetricFamily(
            "controlroom_decider",
            "1 while this instance decides the conference (holds its lease)",
            labels=["conference"],
        )
        conflicts = GaugeMetricFamily(
            "controlroom_log_conflicts",
            "Appends another writer won since the start (0 with one decider)",
            labels=["conference"],
        )
        relayed = GaugeMetricFamily(
            "controlroom_relayed_commands",
            "Commands relayed to the decider, and decided here for other instances",
            labels=["conference", "way"],
        )
        for conference, hub in m.hubs.items():
            states = Counter(m.link_states(conference))
            for state in LINK_STATES:
                sites.add_metric([conference, state], states.get(state, 0))
            durable = hub.durable
            open_by = Counter(f.severity for f in durable.faults.values() if f.state in OPEN_FAULTS)
            for severity in SEVERITIES:
                faults.add_metric([conference, severity], open_by.get(severity, 0))
            queue.add_metric([conference], len(durable.speaking.queue))
            floor.add_metric([conference], len(durable.speaking.on_floor))
            seq.add_metric([conference], hub.durable_seq)
            leader = hub.leader
            decider.add_metric([conference], 1 if leader is None or leader.is_decider else 0)
            conflicts.add_metric([conference], hub.committer.conflicts)
            if leader is not None:
                relayed.add_metric([conference, "out"], leader.relayed)
                relayed.add_metric([conference, "in"], leader.served)
        yield from (sites, faults, queue, floor, seq, decider, conflicts, relayed)


class HubMetrics:
    """The metrics of one runtime; :meth:`attach` wires it to the hubs."""

    def __init__(
        self,
        hubs: dict[str, Any],
        connections: Callable[[], Iterable[Any]],
        link_states: Callable[[str], Iterable[str]],
    ) -> None:
        self.hubs = hubs
        self.connections = connections
        self.link_states = link_states
        self.registry = CollectorRegistry()
        self.events = PromCounter(
            "controlroom_events",
            "Durable events by name (rate() gives events per second)",
            ["conference", "name"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "controlroom_command_seconds",
            "Time in ConferenceHub.execute, from the command to its durable answer",
            ["conference", "command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.evictions = PromCounter(
            "controlroom_evictions",
            "Sessions closed with 4008 because they could not keep up",
            ["conference"],
            registry=self.registry,
        )
        self.refusals = PromCounter(
            "controlroom_refusals",
            "Refused logins, hellos, frames and commands, by where and error code",
            ["kind", "code"],
            registry=self.registry,
        )
        self.registry.register(_Live(self))  # type: ignore[arg-type]

    def refused(self, kind: str, code: str) -> None:
        """Count one refusal (``kind``: login, hello, frame, rtc, http, command)."""
        label = code if code in ERROR_CODES else "other"
        self.refusals.labels(kind if kind in REFUSAL_KINDS else "other", label).inc()

    def attach(self) -> None:
        """Count every committed event and time every command of every hub."""
        for conference, hub in self.hubs.items():

            def on_event(event: Event, conference: str = conference) -> None:
                self.events.labels(conference, event.name).inc()

            def on_command(name: Any, seconds: float, conference: str = conference) -> None:
                label = name if isinstance(name, str) and name in COMMANDS else "other"
                self.latency.labels(conference, label).observe(seconds)

            hub.listeners.append(on_event)
            hub.on_command = on_command

    def closed(self, conn: Any) -> None:
        """A session ended: count it when it was evicted (4008)."""
        if getattr(conn, "close_code", None) == CLOSE_SLOW_CONSUMER:
            principal = getattr(conn, "principal", None)
            self.evictions.labels(principal.conference if principal else "").inc()

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)


class RefusalLog:
    """Logs refusals with who and where, at most one line per (kind, account, code) a window.

    A client looping on a refused request must not fill the journal either: the
    first refusal is logged at once, the rest of the window is counted and reported
    with the next line.
    """

    def __init__(self, window_s: float = 10.0, max_keys: int = 10_000) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._last: dict[tuple[str, str, str], tuple[float, int]] = {}

    def line(self, kind: str, code: str, account: str, address: str, now: float) -> str | None:
        """The line to log for this refusal now, or None while it is being held back."""
        key = (kind, account, code)
        last = self._last.get(key)
        if last is not None and now - last[0] < self.window_s:
            self._last[key] = (last[0], last[1] + 1)
            return None
        if len(self._last) >= self.max_keys:
            self._last.clear()
        self._last[key] = (now, 0)
        held = f" ({last[1]} more since the last line)" if last is not None and last[1] else ""
        return f"refused {kind}: {code} for {account or '?'} from {address or '?'}{held}"
