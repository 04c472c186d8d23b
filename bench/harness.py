"""What every scenario stands on: consoles and sites connected, CPU meters, latency rows.

Latency is measured in the generator's clock: send of the command -> a console reads
its event.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from typing import Any

from bench.common import cpu_seconds, percentile
from bench.generator import Run, Session, close_all, open_many, stats_loop
from bench.servers import rss_kib

Spec = dict[str, Any]
Params = dict[str, Any]


def ms(values: list[float], q: float) -> float:
    """The q-th percentile of seconds, in milliseconds."""
    return percentile(values, q) * 1000


def latency_row(got: dict[str, Any]) -> dict[str, Any]:
    """A collected window's latencies as the report's columns (ms)."""
    lat, ack = got.pop("latency"), got.pop("ack_latency")
    got.update(
        samples=len(lat),
        p50=ms(lat, 50),
        p99=ms(lat, 99),
        p999=ms(lat, 99.9),
        max=ms(lat, 100),
        ack_p50=ms(ack, 50),
        ack_p99=ms(ack, 99),
    )
    return got


class Setup:
    """Consoles and sites connected to one server, with stats flowing."""

    def __init__(self, spec: Spec, sites: int, consoles: int) -> None:
        self.spec = spec
        self.n_sites = sites
        self.n_consoles = consoles
        self.dialect = "sio" if spec["kind"] == "socketio" else "cr"
        self.run = Run()
        self.sites: list[Session] = []
        self.consoles: list[Session] = []
        self.stop = asyncio.Event()
        self.stats_task: asyncio.Task[None] | None = None
        self.rss_before_sites = 0
        self.connect_s = 0.0
        self.connect_p99 = 0.0
        self.connect_errors: list[str] = []

    async def __aenter__(self) -> Setup:
        spec = self.spec
        tokens = [spec["console_token"]] * self.n_consoles
        self.consoles, _, errors = await open_many(
            spec["console_url"], tokens, self.run, self.dialect, rate=200, in_flight=20
        )
        await asyncio.sleep(1.0)
        self.rss_before_sites = rss_kib(spec["pid"])
        t0 = time.perf_counter()
        self.sites, took, more = await open_many(
            spec["site_url"], spec["site_tokens"][: self.n_sites], self.run, self.dialect
        )
        self.connect_s = time.perf_counter() - t0
        self.connect_p99 = percentile(took, 99)
        self.connect_errors = errors + more
        if spec["kind"] == "hub" and not os.environ.get("BENCH_STATS_FRAMES"):
            for site in self.sites:
                site.stats_in_pong = True  # the hub reads stats on a pong [ext]
        gc.collect()
        gc.freeze()  # thousands of long-lived sessions: keep the generator's GC pauses short
        self.stats_task = asyncio.create_task(stats_loop(self.sites, 2.0, self.stop))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        if self.stats_task is not None:
            await self.stats_task
        await close_all([*self.sites, *self.consoles])

    def dropped(self) -> int:
        """Sessions that ended by themselves, plus connections that failed."""
        ended = [s for s in [*self.sites, *self.consoles] if s.closed_reason]
        return len(ended) + len(self.connect_errors)


class Meter:
    """Server CPU share and generator CPU share over a window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wall0 = time.perf_counter()
        self.cpu0 = cpu_seconds(pid)
        self.gen0 = time.process_time()

    def read(self) -> tuple[float, float]:
        """(server CPU, generator CPU) since the start; 1.0 = one whole core."""
        wall = time.perf_counter() - self.wall0
        return (cpu_seconds(self.pid) - self.cpu0) / wall, (time.process_time() - self.gen0) / wall


def metric(metrics: str, name: str) -> float:
    """The sum of a ``controlroom_`` series in a Prometheus text page."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith(f"controlroom_{name}"):
            total += float(line.rsplit(" ", 1)[1])
    return total
