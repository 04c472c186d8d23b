"""The five scenarios, run inside the generator process against one started server.

Each takes the server's spec (``Server.spec()``: kind, pid, URLs, tokens) and its
parameters, and returns a plain dict (rows for the report). Latency is measured in
this process's clock: send of the command -> a console reads its event.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from bench.common import cpu_seconds, percentile
from bench.generator import Run, Session, close_all, collect, drive, open_many, stats_loop
from bench.servers import rss_kib

Spec = dict[str, Any]
Params = dict[str, Any]


def _ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def _latency_row(got: dict[str, Any]) -> dict[str, Any]:
    lat, ack = got.pop("latency"), got.pop("ack_latency")
    got.update(
        samples=len(lat),
        p50=_ms(lat, 50),
        p99=_ms(lat, 99),
        p999=_ms(lat, 99.9),
        max=_ms(lat, 100),
        ack_p50=_ms(ack, 50),
        ack_p99=_ms(ack, 99),
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


async def steady(spec: Spec, p: Params) -> dict[str, Any]:
    """N sites at the heartbeat (pings, stats) plus a steady command rate; C consoles."""
    async with Setup(spec, p["sites"], p["consoles"]) as s:
        await asyncio.sleep(p["settle"])
        changes_before = await _link_changes(spec)
        idle = Meter(spec["pid"])
        await asyncio.sleep(p["idle"])
        idle_cpu, _ = idle.read()
        meter = Meter(spec["pid"])
        links_before = sum(c.links_bytes for c in s.consoles)
        numbers, late = await drive(s.sites, p["rate"], p["duration"], s.run)
        got = await collect(s.run, numbers, s.consoles, p["drain"])
        cpu, gen = meter.read()
        links_kib = (sum(c.links_bytes for c in s.consoles) - links_before) / 1024
        rss = rss_kib(spec["pid"])
        row = _latency_row(got)
        # What one staff console receives of live link health, per second.
        window_s = time.perf_counter() - meter.wall0
        row["links_kib_s"] = links_kib / max(1, len(s.consoles)) / window_s
        row.update(
            server=spec["kind"], sites=len(s.sites), consoles=len(s.consoles), rate=p["rate"],
            connect_s=s.connect_s, connect_p99=s.connect_p99 * 1000, idle_cpu=idle_cpu,
            cpu=cpu, gen_cpu=gen, late_ms=late * 1000, rss_before=s.rss_before_sites,
            rss_end=rss, kib_per_site=(rss - s.rss_before_sites) / max(1, len(s.sites)),
            dropped=s.dropped(),
        )  # fmt: skip
        row["lost"] += s.n_sites - len(s.sites)
        # Every site is healthy on loopback: a change of link state once they have all
        # settled is a false alarm (the hub's own load read as the network's).
        if changes_before is not None:
            row["link_changes"] = int((await _link_changes(spec) or 0) - changes_before)
            async with httpx.AsyncClient(base_url=spec["http"], timeout=10) as http:
                text = (await http.get("/metrics")).text
            row["degraded"] = int(_metric(text, 'sites{conference="demo",state="degraded"}'))
    return {"rows": [row]}


async def _link_changes(spec: Spec) -> float | None:
    """The hub's count of ``link.changed`` events so far (None for the other servers)."""
    if spec["kind"] != "hub":
        return None
    async with httpx.AsyncClient(base_url=spec["http"], timeout=10) as http:
        text = (await http.get("/metrics")).text
    return _metric(text, 'events_total{conference="demo",name="link.changed"}')


async def ramp(spec: Spec, p: Params) -> dict[str, Any]:
    """Raise the command rate step by step until p99 > limit, a loss, or the rate is missed."""
    rows: list[dict[str, Any]] = []
    async with Setup(spec, p["sites"], p["consoles"]) as s:
        await asyncio.sleep(p["settle"])
        profiler = p.get("on_ramp_start")
        if profiler:
            profiler_task = asyncio.create_task(_start_profiler(profiler, spec["pid"]))
        for rate in p["rates"]:
            meter = Meter(spec["pid"])
            t0 = time.perf_counter()
            numbers, late = await drive(s.sites, rate, p["duration"], s.run)
            send_s = time.perf_counter() - t0
            got = await collect(s.run, numbers, s.consoles, p["drain"])
            cpu, gen = meter.read()
            row = _latency_row(got)
            achieved = row["acked"] / max(send_s, 1e-9)
            row.update(
                server=spec["kind"], rate=rate, achieved=achieved,
                deliveries=achieved * len(s.consoles), cpu=cpu, gen_cpu=gen,
                late_ms=late * 1000, cpu_us=cpu / max(achieved, 1e-9) * 1e6,
            )  # fmt: skip
            row["passed"] = (
                row["lost"] == 0
                and row["errors"] == 0
                and row["p99"] <= p["p99_limit_ms"]
                and achieved >= 0.95 * rate
            )
            rows.append(row)
            if not row["passed"]:
                break
        if profiler:
            await profiler_task
        dropped = s.dropped()
    return {"rows": rows, "dropped": dropped}


async def _start_profiler(cmd: list[str], pid: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        *[part.replace("{pid}", str(pid)) for part in cmd],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode:
        print(f"py-spy failed ({proc.returncode}): {err.decode(errors='replace')[-400:]}")


async def storm(spec: Spec, p: Params) -> dict[str, Any]:
    """Every site reports one fault, all within ``window`` s: time until every console has all."""
    async with Setup(spec, p["sites"], p["consoles"]) as s:
        await asyncio.sleep(p["settle"])
        meter = Meter(spec["pid"])
        n = len(s.sites)
        t0 = time.perf_counter()
        numbers: list[int] = []
        for i, site in enumerate(s.sites):
            delay = t0 + i * p["window"] / n - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            number = next(s.run.numbers)
            numbers.append(number)
            await site.report(number)
        sent_s = time.perf_counter() - t0
        got = await collect(s.run, numbers, s.consoles, p["drain"])
        cpu, gen = meter.read()
        all_in = got["last_arrival"] - t0 if got["last_arrival"] else float("nan")
        row = _latency_row(got)
        row.update(
            server=spec["kind"], sites=n, consoles=len(s.consoles), sent_s=sent_s,
            all_in_s=all_in, cpu=cpu, gen_cpu=gen, dropped=s.dropped(),
        )  # fmt: skip
    return {"rows": [row]}


async def reconnect(spec: Spec, p: Params) -> dict[str, Any]:
    """Every site reports a fault, then every site's connection drops; while they come back
    (resuming after the last seq each saw, spread over ``spread`` s) the consoles acknowledge
    every fault. Time until all resumed; every site must have every event it may see once."""
    async with Setup(spec, p["sites"], p["consoles"]) as s:
        for site in s.sites:
            site.seen = []
        first_seq = {id(site): site.last_seq for site in s.sites}
        await asyncio.sleep(p["settle"])
        numbers, _ = await drive(s.sites, len(s.sites) / 2.0, 2.0, s.run, speak_every=0)
        reported = await collect(s.run, numbers, s.consoles, p["drain"])
        fault_of = {n: s.run.results.get(n, {}).get("fault_id") for n in numbers}

        t_drop = time.perf_counter()
        old = list(s.sites)
        for site in old:
            site.drop()
        order = list(range(len(old)))
        random.Random(7).shuffle(order)
        took: list[float] = []
        snapshots = 0
        failed: list[str] = []

        async def back(i: int, k: int) -> None:
            nonlocal snapshots
            await asyncio.sleep(k * p["spread"] / len(old))
            prev = old[i]
            for attempt in range(5):
                try:
                    t0 = time.perf_counter()
                    new = await Session.open(
                        spec["site_url"], spec["site_tokens"][i], s.run, s.dialect,
                        resume_after=prev.last_seq, seen=prev.seen,
                    )  # fmt: skip
                    took.append(time.perf_counter() - t0)
                    snapshots += new.snapshots
                    s.sites[i] = new
                    return
                except Exception as exc:  # noqa: BLE001 - retried, then counted
                    if attempt == 4:
                        failed.append(repr(exc))
                    await asyncio.sleep(0.2)

        async def acknowledge(j: int) -> None:
            console = s.consoles[j]
            for n in numbers[j :: len(s.consoles)]:
                if fault_of.get(n):
                    await console.command("fault.ack", {"fault_id": fault_of[n]},
                                          next(s.run.numbers))  # fmt: skip
                    await asyncio.sleep(1 / 15)  # under the 20/s per-session limit

        acks = [asyncio.create_task(acknowledge(j)) for j in range(len(s.consoles))]
        await asyncio.gather(*(back(i, k) for k, i in enumerate(order)))
        all_resumed = time.perf_counter() - t_drop
        await asyncio.gather(*acks)
        deadline = time.perf_counter() + p["drain"]
        while s.run.pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        end_seq = max(s.run.ack_seq.values(), default=0)
        await asyncio.sleep(p["settle"])
        missing, doubled = await _check_seen(spec, s.sites, first_seq, old, end_seq)
        row = {
            "server": spec["kind"], "sites": len(old), "spread_s": p["spread"],
            "resumed": len(took), "all_resumed_s": all_resumed,
            "resume_p50": _ms(took, 50), "resume_p99": _ms(took, 99),
            "snapshots": snapshots, "failed": len(failed), "acks_pending": len(s.run.pending),
            "missing": missing, "doubled": doubled, "end_seq": end_seq,
            "reported_lost": reported["lost"],
            "lost": missing + len(failed) + reported["lost"] + len(s.run.pending),
        }  # fmt: skip
    return {"rows": [row]}


async def _check_seen(
    spec: Spec, sites: list[Session], first_seq: dict[int, int], old: list[Session], end: int
) -> tuple[int, int]:
    """Compare what each site received (both sessions) with what the log says it may see."""
    gate = asyncio.Semaphore(16)
    missing = doubled = 0

    async def one(http: httpx.AsyncClient, i: int) -> None:
        nonlocal missing, doubled
        seen = [q for q in (sites[i].seen or []) if q <= end]
        after = first_seq[id(old[i])]
        async with gate:
            r = await http.get(
                f"/api/conferences/demo/events?after={after}&limit=10000",
                headers={"Authorization": f"Bearer {spec['site_tokens'][i]}"},
            )
        r.raise_for_status()
        expected = {e["seq"] for e in r.json()["events"] if e["seq"] <= end}
        missing += len(expected - set(seen))
        doubled += len(seen) - len(set(seen))

    async with httpx.AsyncClient(base_url=spec["http"], timeout=60) as http:
        await asyncio.gather(*(one(http, i) for i in range(len(sites))))
    return missing, doubled


async def slow_console(spec: Spec, p: Params) -> dict[str, Any]:
    """One more console stops reading: the others' p99 before / during, hub RSS, eviction."""
    async with Setup(spec, p["sites"], p["consoles"]) as s:
        slow = await Session.open(
            spec["console_url"], spec["console_token"], s.run, s.dialect, rcvbuf=4096
        )
        slow.stalled = asyncio.Event()
        slow.stalled.set()
        await asyncio.sleep(p["settle"])
        rss0 = rss_kib(spec["pid"])
        numbers, _ = await drive(s.sites, p["rate"], p["before"], s.run)
        before = _latency_row(await collect(s.run, numbers, s.consoles, p["drain"]))
        slow.arrived.clear()
        stalled_at_seq = slow.last_seq
        slow.stalled.clear()  # stop reading
        rss_samples: list[int] = []
        evicted_after = float("nan")
        outbox_max = 0.0
        t0 = time.perf_counter()

        async def watch() -> None:
            nonlocal evicted_after, outbox_max
            async with httpx.AsyncClient(base_url=spec["http"], timeout=5) as http:
                while time.perf_counter() - t0 < p["stall"]:
                    rss_samples.append(rss_kib(spec["pid"]))
                    text = (await http.get("/metrics")).text
                    if evicted_after != evicted_after and _metric(text, "evictions_total") > 0:
                        evicted_after = time.perf_counter() - t0
                    outbox_max = max(outbox_max, _metric(text, "outbox_frames_max"))
                    await asyncio.sleep(0.25)

        watcher = asyncio.create_task(watch())
        numbers, _ = await drive(s.sites, p["rate"], p["stall"], s.run)
        during = _latency_row(await collect(s.run, numbers, s.consoles, p["drain"]))
        await watcher
        slow.stalled.set()  # read again: what was buffered, then the close
        await asyncio.sleep(1.0)
        close_code = slow.close_code
        # The evicted console resumes after the last seq it read and must catch up.
        resumed = await Session.open(
            spec["console_url"], spec["console_token"], s.run, s.dialect,
            resume_after=slow.last_seq,
        )  # fmt: skip
        await asyncio.sleep(1.0)
        got = set(slow.arrived) | set(resumed.arrived)
        slow_missing = len([n for n in numbers if n not in got])
        await slow.close()
        await resumed.close()
        row = {
            "server": spec["kind"], "sites": len(s.sites), "consoles": len(s.consoles),
            "rate": p["rate"], "stall_s": p["stall"], "p99_before": before["p99"],
            "p99_during": during["p99"], "p50_before": before["p50"],
            "p50_during": during["p50"], "evicted_after_s": evicted_after,
            "close_code": close_code, "outbox_max": outbox_max, "rss_before": rss0,
            "rss_max": max(rss_samples, default=rss0), "stalled_at_seq": stalled_at_seq,
            "slow_missing_after_resume": slow_missing,
            "lost": before["lost"] + during["lost"] + slow_missing, "dropped": s.dropped(),
        }  # fmt: skip
    return {"rows": [row]}


def _metric(metrics: str, name: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith(f"controlroom_{name}"):
            total += float(line.rsplit(" ", 1)[1])
    return total


SCENARIOS: dict[str, Callable[[Spec, Params], Coroutine[Any, Any, dict[str, Any]]]] = {
    "steady": steady,
    "ramp": ramp,
    "storm": storm,
    "reconnect": reconnect,
    "slow": slow_console,
}


def run_in_process(name: str, spec: Spec, params: Params, cpus: set[int] | None) -> dict[str, Any]:
    """The generator process's entry: pin, raise the fd limit, run one scenario on uvloop."""
    import os

    from bench.servers import raise_nofile

    if cpus:
        os.sched_setaffinity(0, cpus)
    raise_nofile()
    try:
        import uvloop

        return uvloop.run(SCENARIOS[name](spec, params))
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(SCENARIOS[name](spec, params))
