"""Probe every target once per interval, spread over it, from one event loop.

Targets are keyed by the caller's own keys. Each round starts one probe per target,
evenly spaced over the interval (3,000 targets at 2 s: fifteen every 10 ms tick,
never a burst). ICMP echoes to an address go out of one shared socket with no task,
future or timer of their own (the tick expires the overdue ones): at 3,000 targets
that is most of the CPU saved. TCP connects (and host names to resolve) run as
tasks, at most ``max_connects`` at a time. Host names are resolved by the loop's
resolver and kept for ``resolve_ttl_s``.
Every result (RTT in ms, or ``None`` for no answer) goes to ``on_result(key, rtt,
at_ms)``; a callback that raises is logged, never stops the rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Hashable
from typing import Any

from probes.icmp import IcmpPinger, IcmpUnavailable
from probes.target import Target
from probes.tcp import tcp_ping

log = logging.getLogger("probes")

#: How often the prober starts the probes due and expires overdue echoes.
TICK_S = 0.01


def _is_ipv4(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address)
    except ValueError:
        return False


ResultCallback = Callable[[Hashable, "float | None", int], None]


class Prober:
    """Periodic probes of a set of targets."""

    def __init__(
        self,
        interval_s: float,
        on_result: ResultCallback,
        clock_ms: Callable[[], int],
        *,
        timeout_s: float | None = None,
        max_connects: int = 256,
        resolve_ttl_s: float = 60.0,
    ) -> None:
        self.interval_s = interval_s
        # A probe may outlive its interval (probes of one target overlap, matched by
        # sequence): an answer later than a second or two is no answer for a link.
        self.timeout_s = timeout_s if timeout_s is not None else max(1.0, min(2.0, interval_s))
        self.on_result = on_result
        self.clock_ms = clock_ms
        self.targets: dict[Hashable, Target] = {}
        self.resolve_ttl_s = resolve_ttl_s
        self._resolved: dict[str, tuple[str | None, float]] = {}
        self._connects = asyncio.Semaphore(max_connects)
        self._pinger: IcmpPinger | None = None
        self._icmp_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self.rounds = 0

    @property
    def icmp_error(self) -> str | None:
        """Why ICMP probes cannot be sent here (they count as lost), or None."""
        return self._icmp_error

    def set_targets(self, targets: dict[Hashable, Target]) -> None:
        """Replace the targets; takes effect at the next round."""
        self.targets = dict(targets)

    def start(self) -> None:
        """Start the rounds."""
        if any(t.kind == "icmp" for t in self.targets.values()):
            try:
                self._pinger = IcmpPinger(self._deliver)
            except IcmpUnavailable as exc:
                self._icmp_error = str(exc)
                log.warning("ICMP probes are not possible: %s", exc)
        self._task = asyncio.create_task(self._rounds(), name="probes")

    async def stop(self) -> None:
        """Stop the rounds and every probe in flight."""
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if self._pinger is not None:
            self._pinger.close()

    async def _rounds(self) -> None:
        loop = asyncio.get_running_loop()
        round_start = loop.time()
        items = list(self.targets.items())
        sent = 0
        while True:
            now = loop.time()
            share = (now - round_start) / self.interval_s if self.interval_s > 0 else 1.0
            due = min(len(items), int(share * len(items)) + 1)
            while sent < due:
                key, target = items[sent]
                sent += 1
                self._start(key, target)
            if self._pinger is not None:
                self._pinger.expire(self.timeout_s)
            if sent >= len(items) and now >= round_start + self.interval_s:
                self.rounds += 1
                round_start += self.interval_s
                if round_start < now - self.interval_s:  # fell behind: no catch-up burst
                    round_start = now
                items, sent = list(self.targets.items()), 0
            await asyncio.sleep(TICK_S)

    def _start(self, key: Hashable, target: Target) -> None:
        if target.kind == "icmp" and _is_ipv4(target.host):
            if self._pinger is not None:
                self._pinger.send(target.host, key)
            else:
                self._deliver(key, None)
            return
        task = asyncio.get_running_loop().create_task(self._probe(key, target))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    def _deliver(self, key: Hashable, rtt: float | None) -> None:
        try:
            self.on_result(key, rtt, self.clock_ms())
        except Exception:  # noqa: BLE001 - one bad callback must not stop the probes
            log.exception("probe result for %r not taken", key)

    async def _probe(self, key: Hashable, target: Target) -> None:
        address = await self._address(target.host)
        rtt: float | None = None
        if address is not None:
            if target.kind == "tcp":
                async with self._connects:
                    rtt = await tcp_ping(address, target.port or 0, self.timeout_s)
            elif self._pinger is not None and ":" not in address:
                rtt = await self._pinger.ping(address, self.timeout_s)
        self._deliver(key, rtt)

    async def _address(self, host: str) -> str | None:
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(host))
        cached = self._resolved.get(host)
        now = time.monotonic()
        if cached is not None and now - cached[1] < self.resolve_ttl_s:
            return cached[0]
        address: str | None = None
        try:
            infos: list[Any] = await asyncio.get_running_loop().getaddrinfo(
                host, None, family=socket.AF_INET, type=socket.SOCK_STREAM
            )
            address = infos[0][4][0] if infos else None
        except OSError:
            address = None  # not resolvable now: a lost probe, asked again after the TTL
        self._resolved[host] = (address, now)
        return address
