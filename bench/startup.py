"""Hub start-up time on a long log: latest snapshot + replay, against a full replay.

1. Build: a fresh data directory gets a log of ``--events`` events (default 100,000),
   written through the real hub (``build_runtime`` / ``Runtime``, SQLite store,
   ``snapshot_every=1000``) by ``--workers`` concurrent command loops calling
   ``hub.execute`` directly (no network), so group commit puts many commands in each
   fsync. Each loop acts for one demo site: ``site.status`` alternating ok/fail, and
   every ``--fault-every`` rounds a fault cycle (the site's ``fault.report``, then the
   operator's ``fault.ack`` and ``fault.note``). Prints events/s, commits and events
   per commit, and the time spent saving snapshots.
2. Measure: the time for a fresh ``Runtime`` on that directory to start (store open +
   ``hub.start``: load the snapshot, replay what follows it), ``--repeat`` times.
3. Baseline: delete the snapshot rows and measure again (full replay of the log).

Both starts must reach the same seq and the same state; a command error, a shorter
log or a state mismatch exits with status 1.

Usage::

    python bench/startup.py            # full run (100,000 events; about a minute)
    python bench/startup.py --quick    # smoke test (3,000 events; a few seconds)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import DEMO_CONFIG, load_average, machine, site_accounts

from controlroom.app import Options, Runtime, build_runtime
from controlroom.domain import Actor, state_from_dict, state_to_dict
from controlroom.service.hub import ConferenceHub
from controlroom.store.base import Answer
from controlroom.store.chain import Record
from controlroom.store.sqlite import SqliteEventLog

CONFERENCE = "demo"
OPERATOR = Actor("operator", "operator", None)
BUILD_TIMEOUT_S = 600.0


class CountingLog(SqliteEventLog):
    """The SQLite event log, counting commits (one fsync each) and snapshot writes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commits = 0
        self.committed = 0
        self.snapshots = 0

    async def append(
        self, conference: str, expected_seq: int, records: list[Record], answers: list[Answer]
    ) -> None:
        """Count, then commit as usual."""
        self.commits += 1
        self.committed += len(records)
        await super().append(conference, expected_seq, records, answers)


@dataclass
class BuildStats:
    """What building the log cost."""

    events: int = 0
    commands: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    commits: int = 0
    snapshots: int = 0
    snapshot_seconds: float = 0.0
    faults: int = 0


def _options(data_dir: Path) -> Options:
    return Options(
        config_dirs=[DEMO_CONFIG],
        data_dir=data_dir,
        snapshot_every=1000,
        store_factory=lambda d: CountingLog(d / "events.db"),
    )


def _time_snapshots(hub: ConferenceHub, stats: BuildStats) -> None:
    """Wrap the hub's snapshot step to add up the time it takes (encoded in a child, it
    holds the event loop only for the fork, where the platform forks)."""
    original = hub.committer.snapshots.take

    async def timed() -> bool:
        t0 = time.perf_counter()
        saved = await original()
        stats.snapshot_seconds += time.perf_counter() - t0
        stats.snapshots += 1
        return saved

    hub.committer.snapshots.take = timed  # type: ignore[method-assign]


async def _worker(
    hub: ConferenceHub,
    worker: int,
    account: str,
    site: str,
    target: int,
    fault_every: int,
    stats: BuildStats,
    deadline: float,
) -> None:
    """One command loop for one site, until the hub has assigned ``target`` events."""
    actor = Actor(account, "site", site)
    ids = itertools.count()

    async def run(who: Actor, name: str, args: dict[str, Any]) -> dict[str, Any]:
        answer = await hub.execute(who, f"w{worker}-{next(ids)}", name, args)
        stats.commands += 1
        if answer["type"] != "ack":
            stats.errors.append(answer)
        return answer

    for round_no in itertools.count():
        if hub.committer.assigned_seq >= target or time.monotonic() > deadline or stats.errors:
            return
        health = "ok" if round_no % 2 == 0 else "fail"
        await run(actor, "site.status", {"audio": health, "video": "ok", "note": f"r{round_no}"})
        if fault_every and round_no % fault_every == fault_every - 1:
            answer = await run(
                actor,
                "fault.report",
                {"category": "audio", "severity": "minor", "description": f"bench w{worker}"},
            )
            fault_id = answer.get("result", {}).get("fault_id")
            if fault_id:
                await run(OPERATOR, "fault.ack", {"fault_id": fault_id, "note": "on it"})
                await run(OPERATOR, "fault.note", {"fault_id": fault_id, "text": "checked"})


async def build_log(data_dir: Path, args: argparse.Namespace) -> BuildStats:
    """Write at least ``args.events`` events into a fresh log through the hub."""
    stats = BuildStats()
    runtime = build_runtime(_options(data_dir))
    await runtime.start()
    hub = runtime.hubs[CONFERENCE]
    _time_snapshots(hub, stats)
    sites = site_accounts()
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    t0 = time.perf_counter()
    try:
        await asyncio.gather(
            *(
                _worker(
                    hub,
                    w,
                    sites[w % len(sites)][0],
                    sites[w % len(sites)][1],
                    args.events,
                    args.fault_every,
                    stats,
                    deadline,
                )
                for w in range(args.workers)
            )
        )
        stats.seconds = time.perf_counter() - t0
        stats.events = hub.durable_seq
        stats.faults = len(hub.durable.faults)
    finally:
        await runtime.stop()
    store = runtime.store
    assert isinstance(store, CountingLog)
    stats.commits = store.commits
    return stats


@dataclass
class Start:
    """One measured start."""

    total: float
    hub: float
    seq: int
    snapshot_seq: int
    state: dict[str, Any]
    #: The log's head when the hub started (each stop appends its ``log.checkpoint``).
    log_seq: int = 0


async def measure_start(data_dir: Path) -> Start:
    """Start a fresh Runtime on ``data_dir``: (store open + hub.start) time and result."""
    runtime: Runtime = build_runtime(_options(data_dir))
    hub = runtime.hubs[CONFERENCE]
    t0 = time.perf_counter()
    await runtime.store.open()
    t1 = time.perf_counter()
    await hub.start()
    t2 = time.perf_counter()
    try:
        log_seq, _ = await runtime.store.head(CONFERENCE)
        return Start(
            t2 - t0,
            t2 - t1,
            hub.durable_seq,
            hub.committer.snapshots.seq,
            state_to_dict(hub.durable),
            log_seq,
        )
    finally:
        await runtime.stop()


async def snapshot_breakdown(data_dir: Path) -> dict[str, float]:
    """Seconds for each step of a snapshot start that does not depend on the log's length."""
    runtime = build_runtime(_options(data_dir))
    await runtime.store.open()
    try:
        t0 = time.perf_counter()
        snap = await runtime.store.load_snapshot(CONFERENCE)
        t1 = time.perf_counter()
        assert snap is not None
        state = state_from_dict(snap.state)
        t2 = time.perf_counter()
        state_from_dict(state_to_dict(state))  # hub.start's copy for the speculative state
        t3 = time.perf_counter()
        await runtime.store.head(CONFERENCE)
        t4 = time.perf_counter()
    finally:
        await runtime.store.close()
    return {
        "read + decode": t1 - t0,
        "state_from_dict": t2 - t1,
        "speculative copy": t3 - t2,
        "head": t4 - t3,
    }


def drop_snapshots(data_dir: Path) -> int:
    """Delete every snapshot row; how many there were."""
    db = sqlite3.connect(data_dir / "events.db")
    try:
        with db:
            return db.execute("DELETE FROM snapshots").rowcount
    finally:
        db.close()


async def main_async(args: argparse.Namespace) -> int:
    """Build, measure both ways, print; the exit status."""
    print(f"machine: {machine()}")
    print(f"before: {load_average()}")
    print(
        f"building {args.events:,} events with {args.workers} concurrent command loops "
        f"(fault cycle every {args.fault_every} rounds), snapshot_every=1000",
        flush=True,
    )
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        data_dir = Path(tmp)
        built = await build_log(data_dir, args)
        if built.errors:
            failures.append(f"{len(built.errors)} command errors, first: {built.errors[0]}")
        if built.events < args.events:
            failures.append(f"log has {built.events} events, wanted {args.events}")
        size_mb = sum(p.stat().st_size for p in data_dir.glob("events.db*")) / 1e6
        rate = built.events / built.seconds
        print()
        print(
            f"build: {built.events:,} events from {built.commands:,} commands in "
            f"{built.seconds:.1f} s = {rate:,.0f} events/s"
        )
        print(
            f"       {built.commits:,} commits (fsyncs), {built.events / built.commits:.1f} "
            f"events per commit; {built.snapshots} snapshots, {built.snapshot_seconds:.1f} s "
            f"of them in the background (encoded in a child where the platform forks); "
            f"{built.faults:,} faults in the state; files {size_mb:.1f} MB"
        )

        with_snap = [await measure_start(data_dir) for _ in range(args.repeat)]
        parts = await snapshot_breakdown(data_dir)
        dropped = drop_snapshots(data_dir)
        if dropped != 1:
            failures.append(f"expected 1 snapshot row, deleted {dropped}")
        without = [await measure_start(data_dir) for _ in range(args.repeat)]

    for label, runs in (("with snapshot", with_snap), ("full replay", without)):
        for run in runs:
            if run.seq != run.log_seq:
                failures.append(f"{label}: started at seq {run.seq}, log has {run.log_seq}")
            if run.state != without[0].state:
                failures.append(f"{label}: rebuilt state differs from the full replay")
    print(f"after: {load_average()}")
    snap_total = statistics.median(r.total for r in with_snap)
    full_total = statistics.median(r.total for r in without)
    print()
    print(f"start-up on {built.events:,} events, median of {args.repeat} (store open + hub.start):")
    print(f"{'':<30} {'seconds':>8} {'replayed':>9}  all runs")
    print(
        f"{'snapshot + tail replay':<30} {snap_total:>8.3f} "
        f"{with_snap[0].log_seq - with_snap[0].snapshot_seq:>9,}  "
        f"{', '.join(f'{r.total:.3f}' for r in with_snap)}"
    )
    print(
        f"{'full replay (baseline)':<30} {full_total:>8.3f} {built.events:>9,}  "
        f"{', '.join(f'{r.total:.3f}' for r in without)}"
    )
    print(f"speed-up: {full_total / snap_total:.1f}x (full replay / snapshot start)")
    print("snapshot start, by step: " + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items()))
    for failure in dict.fromkeys(failures):
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options (``--quick`` shrinks the log)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke test: 3,000 events")
    p.add_argument("--events", type=int, default=None, help="log length (default 100,000)")
    p.add_argument(
        "--workers",
        type=int,
        default=70,
        help="concurrent command loops (default 70: two per site)",
    )
    p.add_argument(
        "--fault-every",
        type=int,
        default=8,
        help="a report/ack/note fault cycle every N rounds of a loop (0: never)",
    )
    p.add_argument("--repeat", type=int, default=None, help="starts measured each way (default 3)")
    args = p.parse_args(argv)
    if args.events is None:
        args.events = 3000 if args.quick else 100_000
    if args.repeat is None:
        args.repeat = 2 if args.quick else 3
    if args.events < 1 or args.workers < 1 or args.repeat < 1 or args.fault_every < 0:
        p.error("events, workers and repeat must be positive")
    return args


def main() -> None:
    """Command line entry point."""
    sys.exit(asyncio.run(main_async(parse_args())))


if __name__ == "__main__":
    main()
