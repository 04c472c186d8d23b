"""The scenarios of loss and recovery: every site drops and resumes; a console stops reading.

Both count what a session should have received and did not (the log says what each
may see), not only latency.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx

from bench.generator import Session, collect, drive
from bench.harness import Params, Setup, Spec, latency_row, metric, ms
from bench.servers import rss_kib


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
            "resume_p50": ms(took, 50), "resume_p99": ms(took, 99),
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
        before = latency_row(await collect(s.run, numbers, s.consoles, p["drain"]))
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
                    if evicted_after != evicted_after and metric(text, "evictions_total") > 0:
                        evicted_after = time.perf_counter() - t0
                    outbox_max = max(outbox_max, metric(text, "outbox_frames_max"))
                    await asyncio.sleep(0.25)

        watcher = asyncio.create_task(watch())
        numbers, _ = await drive(s.sites, p["rate"], p["stall"], s.run)
        during = latency_row(await collect(s.run, numbers, s.consoles, p["drain"]))
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
