"""The scenarios, run inside the generator process against one started server.

Each takes the server's spec (``Server.spec()``: kind, pid, URLs, tokens) and its
parameters, and returns a plain dict (rows for the report). The load scenarios are
here; those of loss and recovery in ``bench.recovery``; what they share in
``bench.harness``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from bench.generator import collect, drive
from bench.harness import Meter, Params, Setup, Spec, latency_row, metric
from bench.recovery import reconnect, slow_console
from bench.servers import rss_kib


async def steady(spec: Spec, p: Params) -> dict[str, Any]:
    """N sites at the heartbeat (pings, stats) plus a steady command rate; C consoles."""
    async with Setup(spec, p["sites"], p["consoles"]) as s:
        await asyncio.sleep(p["settle"])
        # A site's first judgement (unknown -> online) is not a false alarm; at 5,000
        # sites the last of them come seconds after the last session opened.
        judged_s = await _all_judged(spec, len(s.sites), p.get("judge_timeout", 60.0))
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
        row = latency_row(got)
        # What one staff console receives of live link health, per second.
        window_s = time.perf_counter() - meter.wall0
        row["links_kib_s"] = links_kib / max(1, len(s.consoles)) / window_s
        row.update(
            server=spec["kind"], sites=len(s.sites), consoles=len(s.consoles), rate=p["rate"],
            connect_s=s.connect_s, connect_p99=s.connect_p99 * 1000, idle_cpu=idle_cpu,
            cpu=cpu, gen_cpu=gen, late_ms=late * 1000, rss_before=s.rss_before_sites,
            rss_end=rss, kib_per_site=(rss - s.rss_before_sites) / max(1, len(s.sites)),
            dropped=s.dropped(), judged_s=judged_s,
        )  # fmt: skip
        row["lost"] += s.n_sites - len(s.sites)
        # Every site is healthy on loopback: a change of link state once they have all
        # settled is a false alarm (the hub's own load read as the network's).
        if changes_before is not None:
            row["link_changes"] = int((await _link_changes(spec) or 0) - changes_before)
            async with httpx.AsyncClient(base_url=spec["http"], timeout=10) as http:
                text = (await http.get("/metrics")).text
            row["degraded"] = int(metric(text, 'sites{conference="demo",state="degraded"}'))
    return {"rows": [row]}


async def _all_judged(spec: Spec, sites: int, timeout_s: float) -> float | None:
    """Wait until the hub has logged a first judgement of every connected site; seconds.

    The monitor judges at once but logs its changes at a bounded pace, so at 5,000
    sites the last first judgements are written seconds after the gauge shows them.
    None for the other servers, or at the timeout (the run then counts the later
    first judgements as changes, as if false alarms).
    """
    if spec["kind"] != "hub":
        return None
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if (await _link_changes(spec) or 0) >= sites:
            return time.perf_counter() - t0
        await asyncio.sleep(0.25)
    return None


async def _link_changes(spec: Spec) -> float | None:
    """The hub's count of ``link.changed`` events so far (None for the other servers)."""
    if spec["kind"] != "hub":
        return None
    async with httpx.AsyncClient(base_url=spec["http"], timeout=10) as http:
        text = (await http.get("/metrics")).text
    return metric(text, 'events_total{conference="demo",name="link.changed"}')


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
            row = latency_row(got)
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
        row = latency_row(got)
        row.update(
            server=spec["kind"], sites=n, consoles=len(s.consoles), sent_s=sent_s,
            all_in_s=all_in, cpu=cpu, gen_cpu=gen, dropped=s.dropped(),
        )  # fmt: skip
    return {"rows": [row]}


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
