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
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
from common import (
    DEMO_CONFIG,
    ROOT,
    cpu_seconds,
    free_port,
    load_average,
    machine,
    percentile,
    pin_self,
    site_accounts,
    split_cores,
)
from fault_latency import (
    Bench,
    Console,
    Site,
    StepResult,
    connect_all,
    run_step,
    uvloop,
)
from fault_servers import Server, wait_http_ok
from wsclient import CONFERENCE

sys.path.insert(0, str(ROOT))
from bench.servers import _spawn as spawn_pinned  # noqa: E402 - pins, raises the fd limit
from bench.servers import controlroom_exe, stop  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

CONFIGS = {"sqlite": (1, False), "redis": (1, True), "redis x2": (2, True)}  # name: hubs, redis
P99_LIMIT_MS = 100.0


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
@dataclass
class Row:
    """One configuration at one rate."""

    config: str
    kind: str  # "fixed" or "ramp"
    step: StepResult
    same: list[float] = field(default_factory=list)
    cross: list[float] = field(default_factory=list)
    hub_cpu: float = 0.0
    redis_cpu: float = float("nan")
    appends: int = 0
    conflicts: int = 0
    logged: int = 0  # events appended to the Redis stream during the step

    @property
    def p99_ms(self) -> float:
        """Console latency p99 in ms."""
        return self.step.p(self.step.latency, 99)

    @property
    def passed(self) -> bool:
        """Nothing lost, no error, p99 within the limit, the offered rate acknowledged."""
        s = self.step
        return (
            not s.lost
            and not s.errors
            and self.p99_ms <= P99_LIMIT_MS
            and s.achieved >= 0.95 * s.rate
        )


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


# --- report ---------------------------------------------------------------------------------
def ms(values: list[float], q: float) -> str:
    """Percentile in ms, or a dash when there are no samples."""
    return f"{percentile(values, q) * 1000:.2f}" if values else "-"


def print_table(rows: list[Row]) -> None:
    """One row per configuration and rate."""
    head = (
        f"{'config':<9} {'rate/s':>6} {'events':>6} {'got/s':>5} {'p50':>6} {'p99':>7} "
        f"{'max':>6} {'ack50':>6} {'ack99':>7} {'same50':>6} {'same99':>6} {'cross50':>7} "
        f"{'cross99':>7} {'lost':>4} {'err':>3} {'hubCPU':>6} {'rdsCPU':>6} {'ev/app':>6} "
        f"{'confl':>5} pass"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        s = r.step
        two = r.config == "redis x2"
        redis = r.config != "sqlite"
        print(
            f"{r.config:<9} {s.rate:>6g} {s.acked:>6} {s.achieved:>5.0f} "
            f"{ms(s.latency, 50):>6} {ms(s.latency, 99):>7} {s.p(s.latency, 100):>6.1f} "
            f"{ms(s.ack_latency, 50):>6} {ms(s.ack_latency, 99):>7} "
            f"{ms(r.same, 50) if two else '':>6} {ms(r.same, 99) if two else '':>6} "
            f"{ms(r.cross, 50) if two else '':>7} {ms(r.cross, 99) if two else '':>7} "
            f"{s.lost:>4} {s.errors:>3} {r.hub_cpu:>6.0%} "
            f"{f'{r.redis_cpu:.0%}' if redis else '':>6} "
            f"{f'{r.logged / r.appends:.1f}' if redis and r.appends else '':>6} "
            f"{r.conflicts if redis else '':>5} {'yes' if r.passed else 'NO'}"
        )


def sustained(rows: list[Row]) -> str:
    """The highest passing rate's events/s below the first failing step (rate order)."""
    best: Row | None = None
    for r in sorted(rows, key=lambda r: r.step.rate):
        if not r.passed:
            if best is None:
                return f"< {r.step.rate:g}/s (fails at the first step)"
            return f"{best.step.achieved:.0f}/s (fails at {r.step.rate:g}/s, p99 {r.p99_ms:.0f} ms)"
        best = r
    if best is None:
        return "-"
    return f">= {best.step.achieved:.0f}/s (passed every step)"


def print_summary(rows: list[Row]) -> None:
    """Sustained rates and the two hops."""
    print()
    print(f"sustained (p99 <= {P99_LIMIT_MS:g} ms, nothing lost):")
    for config in CONFIGS:
        print(f"  {config:<9} {sustained([r for r in rows if r.config == config])}")
    print()
    print("hops at the fixed rates (p50 / p99 differences, ms):")
    fixed = sorted({r.step.rate for r in rows if r.kind == "fixed"})
    for rate in fixed:
        by = {r.config: r for r in rows if r.step.rate == rate}
        line = f"  {rate:>4g}/s:"
        if "sqlite" in by and "redis" in by:
            a, b = by["sqlite"].step, by["redis"].step
            d50 = b.p(b.latency, 50) - a.p(a.latency, 50)
            d99 = b.p(b.latency, 99) - a.p(a.latency, 99)
            line += f"  Redis hop (redis - sqlite) {d50:+.2f} / {d99:+.1f}"
        two = by.get("redis x2")
        if two and two.same and two.cross:
            d50 = (percentile(two.cross, 50) - percentile(two.same, 50)) * 1000
            d99 = (percentile(two.cross, 99) - percentile(two.same, 99)) * 1000
            line += f"  cross-instance hop (x2 cross - x2 same) {d50:+.2f} / {d99:+.1f}"
        print(line)


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
