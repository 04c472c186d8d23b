"""Fault-report latency through the hub, from a site's command to every operator console.

The hub runs as its own process (``controlroom serve`` on a fresh data directory and
an ephemeral port on 127.0.0.1; a fresh one for every rate step), pinned to the
first CPU; this load generator pins itself to the second. It connects N ``site``
sessions (default: every site account of the demo conference) and C ``operator``
sessions (the consoles) with the MessagePack codec. The sites together send
``fault.report`` commands at a fixed total rate (open loop, evenly spread over the
sites and over time, so the per-session rate limit of 20/s is never hit), each
description ``bench <k>`` naming its send time in the generator's memory. It measures:

- console latency: send of the command -> a console receives its ``fault.reported``
  (every console, every event);
- ack latency: send of the command -> the site receives its ``ack`` (the event is
  durable by then: the hub fsyncs before it publishes or acknowledges);
- lost: commands never answered, plus acknowledged faults that some console did not
  receive within the drain time.

The same generator then drives ``bench/relay_server.py`` (a bare ``websockets``
broadcast relay: no auth, no log) as the baseline, and the hub's percentiles are
printed as ratios to the relay's.

Usage::

    python bench/fault_latency.py                 # full run (about 2.5 minutes)
    python bench/fault_latency.py --quick         # smoke test (a few seconds)
    python bench/fault_latency.py --rates 100,400 --duration 10 --consoles 20

Exit status 1 when anything was lost or a command got an error.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (
    cpu_seconds,
    load_average,
    machine,
    percentile,
    pin_self,
    site_accounts,
    split_cores,
)
from fault_servers import Server, hub_server, relay_server
from websockets.asyncio.client import ClientConnection
from wsclient import Session, pack

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
    uvloop = None  # type: ignore[assignment]

PASSWORD = "demo"


# --- the sessions ---------------------------------------------------------------------------
class Bench:
    """What every session of one run shares: send times by fault number."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.numbers = itertools.count(1)


class Console(Session):
    """An operator console: notes when each ``bench`` fault arrives."""

    def __init__(self, ws: ClientConnection, bench: Bench) -> None:
        super().__init__(ws)
        self.bench = bench
        self.arrived: dict[int, float] = {}

    def on_frame(self, kind: str, frame: dict[str, Any], now: float) -> None:
        """Record the arrival time of a ``fault.reported`` made by this benchmark."""
        if kind == "event" and frame["name"] == "fault.reported":
            description = frame["data"].get("description", "")
            if description.startswith("bench "):
                self.arrived[int(description[6:])] = now


class Site(Session):
    """A site: sends fault reports on a schedule and notes when each is answered."""

    def __init__(self, ws: ClientConnection, bench: Bench) -> None:
        super().__init__(ws)
        self.bench = bench
        self.pending: dict[str, int] = {}
        self.acked: dict[int, float] = {}
        self.errors: dict[int, str] = {}

    def on_frame(self, kind: str, frame: dict[str, Any], now: float) -> None:
        """Match an ``ack`` or ``error`` to its command."""
        if kind in ("ack", "error"):
            number = self.pending.pop(str(frame.get("id")), None)
            if number is None:
                return
            if kind == "ack":
                self.acked[number] = now
            else:
                self.errors[number] = str(frame.get("code"))

    async def drive(self, rate: float, start: float, duration: float, out: list[int]) -> None:
        """Send ``fault.report`` at ``rate``/s from ``start`` for ``duration`` s (open loop)."""
        count = int(duration * rate)
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            number = next(self.bench.numbers)
            command_id = f"b{number}"
            self.pending[command_id] = number
            out.append(number)
            frame = pack(
                {
                    "type": "cmd",
                    "id": command_id,
                    "name": "fault.report",
                    "args": {
                        "category": "audio",
                        "severity": "minor",
                        "description": f"bench {number}",
                    },
                }
            )
            self.bench.sent_at[number] = time.perf_counter()
            await self.ws.send(frame)


async def _login(http: httpx.AsyncClient, username: str) -> str:
    r = await http.post("/api/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["token"])


async def connect_all(
    server: Server, site_names: list[str], consoles: int, bench: Bench
) -> tuple[list[Site], list[Console]]:
    """Log in (hub only) and open every site and console session."""
    site_tokens: list[str | None] = [None] * len(site_names)
    console_token: str | None = None
    if server.needs_login:
        async with httpx.AsyncClient(base_url=server.http_url, timeout=30.0) as http:
            console_token = await _login(http, "operator")
            site_tokens = list(await asyncio.gather(*(_login(http, n) for n in site_names)))
    opened_consoles = await asyncio.gather(
        *(Console.open(server.console_url, console_token, bench) for _ in range(consoles))
    )
    opened_sites = await asyncio.gather(
        *(Site.open(server.site_url, token, bench) for token in site_tokens)
    )
    return [s for s in opened_sites if isinstance(s, Site)], [
        c for c in opened_consoles if isinstance(c, Console)
    ]


# --- one measured step -----------------------------------------------------------------------
@dataclass
class StepResult:
    """The numbers of one rate step against one server."""

    server: str
    rate: float
    duration: float
    sent: int = 0
    acked: int = 0
    errors: int = 0
    lost: int = 0
    achieved: float = 0.0
    latency: list[float] = field(default_factory=list)
    ack_latency: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    gen_cpu: float = 0.0
    error_codes: dict[str, int] = field(default_factory=dict)

    def p(self, values: list[float], q: float) -> float:
        """Percentile in milliseconds."""
        return percentile(values, q) * 1000


async def run_step(
    server: Server,
    sites: list[Site],
    consoles: list[Console],
    bench: Bench,
    rate: float,
    duration: float,
    drain_s: float,
) -> StepResult:
    """Send at ``rate`` for ``duration`` s, wait for everything to arrive, collect numbers."""
    result = StepResult(server.name, rate, duration)
    per_site = rate / len(sites)
    sent: list[int] = []
    cpu0, gen0 = cpu_seconds(server.proc.pid), time.process_time()
    start = time.perf_counter() + 0.2
    wall0 = start
    await asyncio.gather(
        *(site.drive(per_site, start + i / rate, duration, sent) for i, site in enumerate(sites))
    )
    send_end = time.perf_counter()
    wanted = set(sent)
    deadline = time.perf_counter() + drain_s
    while time.perf_counter() < deadline:
        answered = all(not s.pending for s in sites)
        acked = {n for s in sites for n in s.acked if n in wanted}
        if answered and all(acked <= c.arrived.keys() for c in consoles):
            break
        await asyncio.sleep(0.05)
    wall1 = time.perf_counter()
    result.server_cpu = (cpu_seconds(server.proc.pid) - cpu0) / (wall1 - wall0)
    result.gen_cpu = (time.process_time() - gen0) / (wall1 - wall0)

    result.sent = len(sent)
    acked_at = {n: t for s in sites for n, t in s.acked.items() if n in wanted}
    errors = {n: c for s in sites for n, c in s.errors.items() if n in wanted}
    result.acked, result.errors = len(acked_at), len(errors)
    for code in errors.values():
        result.error_codes[code] = result.error_codes.get(code, 0) + 1
    result.achieved = result.acked / max(send_end - start, 1e-9)
    unanswered = result.sent - result.acked - result.errors
    missing = 0
    for number, t_ack in acked_at.items():
        sent_at = bench.sent_at[number]
        result.ack_latency.append(t_ack - sent_at)
        seen_by_all = True
        for console in consoles:
            arrived = console.arrived.get(number)
            if arrived is None:
                seen_by_all = False
            else:
                result.latency.append(arrived - sent_at)
        missing += not seen_by_all
    result.lost = unanswered + missing
    for s in sites:  # forget answered commands of this step (keeps memory flat)
        for n in wanted:
            s.acked.pop(n, None)
    return result


async def run_server(
    server: Server, site_names: list[str], args: argparse.Namespace, rate: float
) -> StepResult:
    """Connect every session to a fresh ``server``, warm up, then run one rate step."""
    bench = Bench()
    sites, consoles = await connect_all(server, site_names, args.consoles, bench)
    try:
        if args.warmup > 0:
            await run_step(server, sites, consoles, bench, min(args.rates), args.warmup, args.drain)
        step = await run_step(server, sites, consoles, bench, rate, args.duration, args.drain)
        print(
            f"  {server.name:<5} @ {rate:g}/s: {len(sites)} sites, {len(consoles)} consoles, "
            f"{step.acked} events, p99 {step.p(step.latency, 99):.1f} ms, "
            f"lost {step.lost}",
            flush=True,
        )
    finally:
        everyone: list[Session] = [*sites, *consoles]
        closed = [s.closed_reason for s in everyone if s.closed_reason]
        if closed:
            print(f"  {server.name}: {len(closed)} sessions ended early: {closed[:3]}", flush=True)
        await asyncio.gather(*(s.close() for s in everyone))
    return step


# --- report ---------------------------------------------------------------------------------
def print_table(results: list[StepResult]) -> None:
    """One row per server and rate."""
    head = (
        f"{'server':<6} {'rate/s':>7} {'events':>7} {'got/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'ack p50':>8} {'ack p99':>8} {'lost':>5} "
        f"{'errors':>6} {'srv CPU':>7} {'gen CPU':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r.server:<6} {r.rate:>7g} {r.acked:>7} {r.achieved:>7.0f} "
            f"{r.p(r.latency, 50):>7.2f} {r.p(r.latency, 99):>7.2f} "
            f"{r.p(r.latency, 100):>7.1f} {r.p(r.ack_latency, 50):>8.2f} "
            f"{r.p(r.ack_latency, 99):>8.2f} {r.lost:>5} {r.errors:>6} "
            f"{r.server_cpu:>7.0%} {r.gen_cpu:>7.0%}"
        )


def print_ratios(hub: list[StepResult], relay: list[StepResult]) -> None:
    """The hub's console-latency percentiles as multiples of the relay's."""
    print()
    print(f"{'rate/s':>7} {'hub p50 / relay p50':>20} {'hub p99 / relay p99':>20}")
    for h, b in zip(hub, relay, strict=True):
        p50 = h.p(h.latency, 50) / b.p(b.latency, 50)
        p99 = h.p(h.latency, 99) / b.p(b.latency, 99)
        print(f"{h.rate:>7g} {p50:>19.1f}x {p99:>19.1f}x")


# --- main -----------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> int:
    """Run the hub, then the relay, and print the tables; the exit status."""
    server_cpus, gen_cpus = split_cores()
    pin_self(gen_cpus)
    accounts = site_accounts()
    site_names = [name for name, _ in accounts][: args.sites]
    print(f"machine: {machine()}")
    print(f"before: {load_average()}")
    print(
        f"server on CPU {sorted(server_cpus) if server_cpus else 'any'}, "
        f"load generator on CPU {sorted(gen_cpus) if gen_cpus else 'any'}"
    )
    print(
        f"{len(site_names)} sites, {args.consoles} consoles, msgpack, rates {args.rates}/s, "
        f"{args.duration:g} s each (+{args.warmup:g} s warm-up)",
        flush=True,
    )
    rate_cap = 20.0 * len(site_names)
    if max(args.rates) > rate_cap * 0.95:
        print(
            f"warning: above 95% of the per-session limit ({rate_cap:g}/s over "
            f"{len(site_names)} sites): expect rate_limited",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="bench-fault-") as tmp:
        workdir = Path(tmp)
        hub_results: list[StepResult] = []
        relay_results: list[StepResult] = []
        for rate in args.rates:  # a fresh server per step: the hub's state starts empty
            async with hub_server(workdir, server_cpus) as hub:
                hub_results.append(await run_server(hub, site_names, args, rate))
            async with relay_server(workdir, server_cpus) as relay:
                relay_results.append(await run_server(relay, site_names, args, rate))
    print()
    print(f"after: {load_average()}")
    print_table(hub_results + relay_results)
    print_ratios(hub_results, relay_results)
    failed = [r for r in hub_results + relay_results if r.lost or r.errors]
    for r in failed:
        print(
            f"FAIL: {r.server} @ {r.rate:g}/s lost {r.lost}, errors {r.error_codes}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options (``--quick`` shrinks every default)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke test: a few seconds, small counts")
    p.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",")],
        default=None,
        help="total fault reports per second, comma-separated (default 100,300,600)",
    )
    p.add_argument("--duration", type=float, default=None, help="seconds per rate (default 15)")
    p.add_argument("--sites", type=int, default=None, help="site sessions (default all: 35)")
    p.add_argument("--consoles", type=int, default=None, help="operator consoles (default 20)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds (default 3)")
    p.add_argument(
        "--drain",
        type=float,
        default=10.0,
        help="max seconds to wait for stragglers after each step",
    )
    args = p.parse_args(argv)
    quick = {"rates": [40.0], "duration": 2.0, "sites": 6, "consoles": 3, "warmup": 0.5}
    full = {
        "rates": [100.0, 300.0, 600.0],
        "duration": 15.0,
        "sites": 1000,
        "consoles": 20,
        "warmup": 3.0,
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.quick:
        args.drain = min(args.drain, 5.0)
    if args.sites < 1 or args.consoles < 1 or min(args.rates) <= 0 or args.duration <= 0:
        p.error("sites, consoles, rates and duration must be positive")
    return args


def main() -> None:
    """Command line entry point."""
    args = parse_args()
    runner = uvloop.run if uvloop is not None else asyncio.run
    sys.exit(runner(main_async(args)))


if __name__ == "__main__":
    main()
