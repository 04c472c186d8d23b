"""One hub on SQLite, one hub on Redis, two hubs on one Redis: the same fault-report load.

Three configurations, each driven by ``fault_latency.py``'s generator (its sessions,
schedule, drain and loss check, imported from there):

- ``sqlite``: one ``controlroom serve`` on the embedded SQLite log (the default);
- ``redis``: one ``controlroom serve --redis unix://...``; the script starts its own
  ``redis-server`` (``tests/support/redis_server.py``: unix socket only, ``--port 0``,
  ``appendonly yes``, ``appendfsync always``, a pid file), a fresh one per step;
- ``redis x2``: two instances on that one Redis; the sites are split half/half between
  them (first half on A), and so are the operator consoles, so every event reaches
  half the consoles through the *other* instance (Lua append on the reporting
  instance -> ``XREAD BLOCK`` tail of the other one -> its fan-out).

The servers run on a private copy of ``config/demo`` (a test elsewhere rewriting
``config/demo/accounts.toml`` would otherwise invalidate the benchmark's tokens).

Pinning (2 cores): every server process -- the hub(s) and ``redis-server`` -- on the
first CPU, this load generator on the second. With two hubs on one core this is a
latency comparison, not a scale-out test: the two instances share the CPU one hub
had.

Steps, each on fresh servers (empty log, so the state does not grow across steps),
run rate by rate with the configurations interleaved so that a change in the
machine's load hits all three alike: the fixed rates (default 100 and 300/s, 10 s)
always run; the ramp rates (default 200, 400, 500, 600, 650/s, 5 s) run for a
configuration only until its first failing step. A step *passes* when nothing was
lost, no command got an error, console p99 <= 100 ms and the acknowledged rate was
>= 95 % of the offered one. *Sustained* = the acknowledged events/s of the highest
passing step below the first failing one.

Per step: console latency (command send -> ``fault.reported`` at every console) p50 /
p99 / max, ack latency p50 / p99, for ``redis x2`` also split into consoles on the
reporting site's instance (``same``) and on the other one (``cross``); lost; CPU of
the hub(s) and of redis-server; with Redis, Lua appends (events per append = group
commit size) and refused appends (``SEQCONFLICT``: the other instance appended first,
so the loser re-read and decided again).

The hops: Redis hop = ``redis`` p50 - ``sqlite`` p50 at the same rate;
cross-instance hop = ``redis x2`` cross p50 - ``redis x2`` same p50.

Usage::

    python bench/redis_compare.py             # full run (2.5-5 minutes, by how far the ramps go)
    python bench/redis_compare.py --quick     # smoke test (under a minute)
    python bench/redis_compare.py --rates 100,300 --ramp 400,600 --duration 10

Exit status 1 when anything was lost or a command got an error (in any step);
2 when redis-server is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import redis.asyncio as aioredis
from common import (
    DEMO_CONFIG,
    ROOT,
    cpu_seconds,
    free_port,
    load_average,
    machine,
    pin_self,
    site_accounts,
    split_cores,
)
from fault_latency import (
    Bench,
    Console,
    Site,
    connect_all,
    run_step,
    uvloop,
)
from fault_servers import Server, wait_http_ok
from redis_tables import CONFIGS, Row, print_summary, print_table, row_dict
from wsclient import CONFERENCE

sys.path.insert(0, str(ROOT))
from bench.servers import _spawn as spawn_pinned  # noqa: E402 - pins, raises the fd limit
from bench.servers import controlroom_exe, stop  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402


# --- the servers ----------------------------------------------------------------------------
@contextlib.contextmanager
def started_on(cpus: set[int] | None) -> Iterator[None]:
    """Run the block with this thread on ``cpus`` (a child started meanwhile inherits them)."""
    if not cpus:
        yield
        return
    mine = set(os.sched_getaffinity(0))
    pin_self(cpus)
    try:
        yield
    finally:
        pin_self(mine)


@contextlib.asynccontextmanager
async def hub_instance(
    workdir: Path, name: str, cpus: set[int] | None, redis_url: str | None
) -> AsyncIterator[Server]:
    """``controlroom serve`` on the demo conference, on SQLite or on ``redis_url``."""
    port = free_port()
    log_path = workdir / f"{name}-{port}.log"
    cmd = [controlroom_exe(), "serve", "--config", str(workdir / "config")]
    cmd += ["--data", str(workdir / f"{name}-data-{port}"), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning"]
    if redis_url:
        cmd += ["--redis", redis_url]
    proc = spawn_pinned(cmd, log_path, cpus)
    ws = f"ws://127.0.0.1:{port}/ws"
    server = Server(name, proc, f"http://127.0.0.1:{port}", ws, ws, True, log_path)
    try:
        await wait_http_ok(server, "/healthz")
        yield server
    finally:
        stop(proc)


async def redis_counts(url: str) -> tuple[int, int, int]:
    """(Lua appends, ``SEQCONFLICT`` refusals, events in the log) so far."""
    client = aioredis.from_url(url)
    try:
        commands = await client.info("commandstats")
        errors = await client.info("errorstats")
        events = int(await client.xlen(f"cr:{{{CONFERENCE}}}:log"))
    finally:
        await client.aclose()
    appends = sum(
        int(commands.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("eval", "evalsha")
    )
    conflicts = int(errors.get("errorstat_SEQCONFLICT", {}).get("count", 0))
    return appends, conflicts, events


# --- the sessions, split over instances ---------------------------------------------------
class Side(Bench):
    """The sites of one instance: fault numbers from the run's counter, origin noted."""

    def __init__(self, shared: Bench, home: int, origin: dict[int, int]) -> None:
        super().__init__()
        self.sent_at = shared.sent_at

        def noted() -> Iterator[int]:
            for number in shared.numbers:
                origin[number] = home
                yield number

        self.numbers = noted()  # type: ignore[assignment]


def halves(items: list[str], n: int) -> list[list[str]]:
    """``items`` in ``n`` consecutive parts of (nearly) equal size."""
    size, extra = divmod(len(items), n)
    parts, i = [], 0
    for k in range(n):
        j = i + size + (k < extra)
        parts.append(items[i:j])
        i = j
    return parts


# --- one step -------------------------------------------------------------------------------
async def run_config(
    config: str,
    kind: str,
    rate: float,
    duration: float,
    args: argparse.Namespace,
    workdir: Path,
    cpus: set[int] | None,
    site_names: list[str],
) -> Row:
    """Fresh servers for ``config``, every session connected, warm-up, one measured step."""
    n_hubs, with_redis = CONFIGS[config]
    tag = f"{config.replace(' ', '')}-{rate:g}"
    redis: RedisServer | None = None
    async with contextlib.AsyncExitStack() as stack:
        if with_redis:
            with started_on(cpus):
                redis = RedisServer(workdir / f"redis-{tag}").start()
            stack.callback(redis.stop)
        url = redis.url if redis else None
        names = ["A", "B"][:n_hubs] if n_hubs > 1 else ["hub"]
        hubs = list(
            await asyncio.gather(
                *(
                    stack.enter_async_context(hub_instance(workdir, f"{tag}-{n}", cpus, url))
                    for n in names
                )
            )
        )
        shared, origin = Bench(), dict[int, int]()
        sites: list[Site] = []
        consoles: list[Console] = []
        home: dict[int, int] = {}  # id(console) -> its instance
        console_split = [len(p) for p in halves(["c"] * args.consoles, n_hubs)]
        for i, (hub, part) in enumerate(zip(hubs, halves(site_names, n_hubs), strict=True)):
            s, c = await connect_all(hub, part, console_split[i], Side(shared, i, origin))
            sites += s
            consoles += c
            home.update((id(x), i) for x in c)
        try:
            if args.warmup > 0:
                await run_step(hubs[0], sites, consoles, shared, 100.0, args.warmup, args.drain)
            first = max(origin, default=0) + 1
            pids = [h.proc.pid for h in hubs]
            cpu0 = [cpu_seconds(p) for p in pids]
            r_cpu0 = cpu_seconds(redis.proc.pid) if redis and redis.proc else 0.0
            counts0 = await redis_counts(redis.url) if redis else (0, 0, 0)
            wall0 = time.perf_counter()
            step = await run_step(hubs[0], sites, consoles, shared, rate, duration, args.drain)
            wall = time.perf_counter() - wall0
            row = Row(config, kind, step)
            row.hub_cpu = sum(cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)) / wall
            if redis and redis.proc:
                row.redis_cpu = (cpu_seconds(redis.proc.pid) - r_cpu0) / wall
                counts1 = await redis_counts(redis.url)
                row.appends = counts1[0] - counts0[0]
                row.conflicts = counts1[1] - counts0[1]
                row.logged = counts1[2] - counts0[2]
            for console in consoles:
                for number, arrived in console.arrived.items():
                    if number >= first:
                        bucket = row.same if origin[number] == home[id(console)] else row.cross
                        bucket.append(arrived - shared.sent_at[number])
        finally:
            closed = [s.closed_reason for s in [*sites, *consoles] if s.closed_reason]
            if closed:
                print(f"  {config}: {len(closed)} sessions ended early: {closed[:3]}", flush=True)
            await asyncio.gather(*(s.close() for s in [*sites, *consoles]))
    print(
        f"  {config:<8} @ {rate:>4g}/s ({kind}): {step.acked} events, "
        f"p50 {step.p(step.latency, 50):.2f} ms, p99 {row.p99_ms:.1f} ms, lost {step.lost}"
        f"{'' if row.passed else '  -> fails'}",
        flush=True,
    )
    return row


# --- main -----------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> int:
    """Run every step and print the tables; the exit status."""
    if not RedisServer.available():
        print("redis-server is not installed", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        # A private copy of the demo conference: a test elsewhere rewriting
        # config/demo/accounts.toml (new password hashes) would invalidate our tokens.
        shutil.copytree(DEMO_CONFIG, Path(tmp) / "config")
        return await run_all(args, Path(tmp), t0)


async def run_all(args: argparse.Namespace, workdir: Path, t0: float) -> int:
    """Every step in ``workdir``; the tables; the exit status."""
    server_cpus, gen_cpus = split_cores()
    pin_self(gen_cpus)
    site_names = [name for name, _ in site_accounts(workdir / "config")][: args.sites]
    print(f"machine: {machine()}")
    print(f"before: {load_average()}")
    print(
        f"hub(s) and redis-server on CPU {sorted(server_cpus) if server_cpus else 'any'}, "
        f"load generator on CPU {sorted(gen_cpus) if gen_cpus else 'any'}"
    )
    print(
        f"{len(site_names)} sites, {args.consoles} consoles (split half/half over 2 hubs in "
        f"'redis x2'), msgpack; fixed {args.rates}/s x {args.duration:g} s, ramp "
        f"{args.ramp}/s x {args.ramp_duration:g} s, +{args.warmup:g} s warm-up at 100/s",
        flush=True,
    )
    steps = sorted({(r, "fixed") for r in args.rates} | {(r, "ramp") for r in args.ramp})
    rows: list[Row] = []
    failed: set[str] = set()
    for rate, kind in steps:
        for config in CONFIGS:
            if kind == "ramp" and config in failed:
                continue
            duration = args.duration if kind == "fixed" else args.ramp_duration
            row = await run_config(
                config, kind, rate, duration, args, workdir, server_cpus, site_names
            )
            rows.append(row)
            if not row.passed:
                failed.add(config)
    print()
    print(f"after: {load_average()}; {time.monotonic() - t0:.0f} s")
    print_table(rows)
    print_summary(rows)
    if args.json:
        Path(args.json).write_text(json.dumps([row_dict(r) for r in rows], indent=1))
    bad = [r for r in rows if r.step.lost or r.step.errors]
    for r in bad:
        print(
            f"FAIL: {r.config} @ {r.step.rate:g}/s lost {r.step.lost}, errors {r.step.error_codes}",
            file=sys.stderr,
        )
    return 1 if bad else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options (``--quick`` shrinks every default)."""

    def rates(text: str) -> list[float]:
        return [float(x) for x in text.split(",") if x.strip()]

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke test: under a minute")
    p.add_argument("--rates", type=rates, default=None, help="fixed rates (default 100,300)")
    p.add_argument(
        "--ramp", type=rates, default=None, help="ramp rates (default 200,400,500,600,650)"
    )
    p.add_argument("--duration", type=float, default=None, help="s per fixed step (default 10)")
    p.add_argument("--ramp-duration", type=float, default=None, help="s per ramp step (5)")
    p.add_argument("--sites", type=int, default=None, help="site sessions (default all: 35)")
    p.add_argument("--consoles", type=int, default=None, help="operator consoles (default 20)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up s at 100/s (default 1)")
    p.add_argument("--drain", type=float, default=10.0, help="max s to wait for stragglers")
    p.add_argument("--json", default=None, help="write every row to this JSON file")
    args = p.parse_args(argv)
    quick = {
        "rates": [40.0],
        "ramp": [120.0],
        "duration": 3.0,
        "ramp_duration": 2.0,
        "sites": 8,
        "consoles": 4,
        "warmup": 0.5,
    }
    full = {
        "rates": [100.0, 300.0],
        "ramp": [200.0, 400.0, 500.0, 600.0, 650.0],
        "duration": 10.0,
        "ramp_duration": 5.0,
        "sites": 1000,
        "consoles": 20,
        "warmup": 1.0,
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.quick:
        args.drain = min(args.drain, 5.0)
    if args.sites < 2 or args.consoles < 2 or not args.rates or args.duration <= 0:
        p.error("at least 2 sites, 2 consoles, one fixed rate and a positive duration")
    if min(args.rates + args.ramp) <= 0 or args.ramp_duration <= 0:
        p.error("rates and durations must be positive")
    return args


def main() -> None:
    """Command line entry point."""
    args = parse_args()
    runner = uvloop.run if uvloop is not None else asyncio.run
    sys.exit(runner(main_async(args)))


if __name__ == "__main__":
    main()
