"""Link monitoring at scale: N simulated sites answering pings, C consoles reading ``links``.

The hub runs as its own process (``controlroom serve`` on a generated conference of
N sites plus the central one, a fresh data directory, an ephemeral port on
127.0.0.1) pinned to the first CPU; this load generator pins itself to the second.
The generated conference copies ``config/demo/conference.toml`` (so the default
heartbeat of 2 s and the default link thresholds), writes ``sites.csv`` with the
central site ``TW`` and sites ``S0001``.., and ``accounts.toml`` with one ``site``
account per site plus ``operator``, all sharing one scrypt hash (one hash instead
of N: fine for a benchmark).

Tokens come from the real ``POST /api/login`` (scrypt in a thread on the hub,
concurrently), timed, on a first hub process that is then stopped: the measured hub
starts on the same data directory (same token secret) without having run N scrypt
checks, so its memory and CPU numbers are not polluted by them.

The generator opens C operator sessions (the consoles), then ramps N site sessions
(msgpack, hello with ``resume_after: null``) at a gentle rate; every site answers
every ``ping`` at once. Once every site is ``online`` in every console's view, it
measures over a steady window:

- hub CPU share (``/proc/PID/stat`` utime + stime over wall time; 100% = one core);
- hub RSS (``VmRSS``) after the consoles connected and after the window, and from
  them the memory per site session;
- ``links`` frame lag at the consoles: receive time - the frame's ``at`` (same
  machine, same wall clock), p50 / p99 / max; frames per second per console and
  sites per frame;
- the generator's own CPU share (if near 100% the generator, not the hub, limits).

Loss check: at the end every simulated site must be ``online`` in every console's
view, and no session may have ended early.

Usage::

    python bench/links_scale.py                 # 1,000 sites, 20 consoles, 60 s window
    python bench/links_scale.py --quick         # 100 sites, 20 consoles, 10 s window
    python bench/links_scale.py --sites 5000 --duration 30

Exit status 1 when a site is not online at the end or a session dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    ROOT,
    cpu_seconds,
    load_average,
    machine,
    percentile,
    pin_self,
    split_cores,
)
from fault_servers import hub_server
from links_clients import LOGIN_CONCURRENCY, Console, LinksStats, Site, login_all, open_sites

sys.path.insert(0, str(ROOT))
from bench.servers import (  # noqa: E402 - shared with python -m bench
    rss_kib,
    site_code,
    site_user,
    write_conference,
)

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
    uvloop = None  # type: ignore[assignment]

CENTRAL = "TW"


# --- one run --------------------------------------------------------------------------------
@dataclass
class Result:
    """The numbers of one run."""

    sites: int
    consoles: int
    duration: float
    login_s: float = 0.0
    connect_s: float = 0.0
    connect_p99_s: float = 0.0
    connect_errors: int = 0
    online_after_s: float = float("nan")
    hub_cpu: float = 0.0
    gen_cpu: float = 0.0
    rss_idle_kib: int = 0
    rss_connected_kib: int = 0
    rss_end_kib: int = 0
    lag_ms: list[float] = field(default_factory=list)
    frames_per_s: float = 0.0
    sites_per_frame: float = 0.0
    pongs_per_s: float = 0.0
    not_online: int = 0
    changes: dict[str, float] = field(default_factory=dict)
    end_states: dict[str, int] = field(default_factory=dict)
    rtt_ms: list[float] = field(default_factory=list)
    jitter_ms: list[float] = field(default_factory=list)
    loss_pct: list[float] = field(default_factory=list)
    dropped: int = 0
    dropped_reasons: list[str] = field(default_factory=list)

    @property
    def kib_per_site(self) -> float:
        """Hub memory per site session: RSS after the window minus RSS before the sites, / N."""
        return (self.rss_end_kib - self.rss_idle_kib) / self.sites


async def run(args: argparse.Namespace, workdir: Path, hub_cpus: set[int] | None) -> Result:
    """Generate the conference, log in, connect, measure one steady window."""
    result = Result(args.sites, args.consoles, args.duration)
    config, data = workdir / "conference", workdir / "data"
    write_conference(config, args.sites)
    codes = [site_code(i) for i in range(1, args.sites + 1)]
    print(f"conference: {args.sites} sites + {CENTRAL} (bench/servers.py)", flush=True)

    login_cpus = None if args.login_all_cpus else hub_cpus
    async with hub_server(workdir, login_cpus, config, data) as hub:
        tokens, result.login_s = await login_all(hub.http_url, ["operator", *map(site_user, codes)])
    where = "every CPU" if login_cpus is None else f"CPU {sorted(login_cpus)}"
    print(
        f"logins: {len(tokens)} through POST /api/login in {result.login_s:.1f} s "
        f"({len(tokens) / result.login_s:.0f}/s, {LOGIN_CONCURRENCY} concurrent) "
        f"on a first hub process on {where} (stopped again)",
        flush=True,
    )

    async with hub_server(workdir, hub_cpus, config, data) as hub:
        log_path = hub.log_path
        pid = hub.proc.pid
        consoles = [
            await Console.open(hub.site_url, tokens["operator"]) for _ in range(args.consoles)
        ]
        await asyncio.sleep(2.0)
        result.rss_idle_kib = rss_kib(pid)
        sites: list[Site] = []
        try:
            t0 = time.perf_counter()
            sites, took, errors = await open_sites(
                hub.site_url, [tokens[site_user(c)] for c in codes], args.ramp, args.in_flight
            )
            result.connect_s = time.perf_counter() - t0
            result.connect_p99_s = percentile(took, 99)
            result.connect_errors = len(errors)
            print(
                f"connected {len(sites)} sites in {result.connect_s:.1f} s "
                f"(ramp {args.ramp:g}/s, hello->synced p50 {percentile(took, 50) * 1000:.0f} ms, "
                f"p99 {result.connect_p99_s * 1000:.0f} ms), {len(errors)} failed"
                + (f": {errors[:3]}" if errors else ""),
                flush=True,
            )
            result.rss_connected_kib = rss_kib(pid)

            # Every site online in every console before measuring (bounded wait).
            limit = time.perf_counter() + args.settle
            while time.perf_counter() < limit:
                if not any(c.not_online(codes) for c in consoles):
                    result.online_after_s = time.perf_counter() - t0
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(2.5)  # a heartbeat past the last transition

            stats = LinksStats()
            for c in consoles:
                c.stats = stats
            pings0 = sum(s.pings for s in sites)
            wall0, cpu0, gen0 = time.perf_counter(), cpu_seconds(pid), time.process_time()
            await asyncio.sleep(args.duration)
            wall = time.perf_counter() - wall0
            result.hub_cpu = (cpu_seconds(pid) - cpu0) / wall
            result.gen_cpu = (time.process_time() - gen0) / wall
            for c in consoles:
                c.stats = None
            result.pongs_per_s = (sum(s.pings for s in sites) - pings0) / wall
            result.rss_end_kib = rss_kib(pid)
            result.lag_ms = stats.lag_ms
            result.frames_per_s = stats.frames / len(consoles) / wall
            result.sites_per_frame = (
                sum(stats.sites_per_frame) / len(stats.sites_per_frame)
                if stats.sites_per_frame
                else 0.0
            )

            result.changes = {k: v / len(consoles) for k, v in stats.changes.items()}
            first = consoles[0].entries
            result.end_states = dict(Counter(first.get(c, {}).get("state") for c in codes))
            for name in ("rtt_ms", "jitter_ms", "loss_pct"):
                values = [first[c][name] for c in codes if first.get(c, {}).get(name) is not None]
                setattr(result, name, values)
            missing: set[str] = set()
            for c in consoles:
                missing.update(c.not_online(codes))
            result.not_online = len(missing)
            if missing:
                print(f"  not online: {sorted(missing)[:10]}", flush=True)
            ended = [s for s in [*sites, *consoles] if s.closed_reason]
            result.dropped = len(ended) + result.connect_errors
            result.dropped_reasons = [str(s.closed_reason) for s in ended[:3]]
            if hub.proc.poll() is not None:
                print(f"the hub exited:\n{hub.log_tail()}", flush=True)
                result.dropped += 1
        finally:
            everyone = [*sites, *consoles]
            for i in range(0, len(everyone), 200):  # close in batches: bounded bursts
                await asyncio.gather(*(s.close() for s in everyone[i : i + 200]))
    tail = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    if tail:
        print(f"hub log ({len(tail)} lines), last: {tail[-3:]}", flush=True)
    return result


# --- report ---------------------------------------------------------------------------------
def print_result(r: Result) -> None:
    """The results of one run as a small table."""
    mib = 1024.0
    rows = [
        ("sites / consoles", f"{r.sites} / {r.consoles}"),
        ("logins (POST /api/login)", f"{r.login_s:.1f} s for {r.sites + 1}"),
        ("connect all sites", f"{r.connect_s:.1f} s (hello->synced p99 {r.connect_p99_s:.2f} s)"),
        ("all online in every console after", f"{r.online_after_s:.1f} s from the first connect"),
        ("steady window", f"{r.duration:g} s"),
        ("hub CPU (1 core = 100%)", f"{r.hub_cpu:.1%}"),
        ("generator CPU", f"{r.gen_cpu:.1%}"),
        ("pings answered", f"{r.pongs_per_s:.0f}/s"),
        (
            "hub RSS before sites / connected / end",
            f"{r.rss_idle_kib / mib:.1f} / {r.rss_connected_kib / mib:.1f} / "
            f"{r.rss_end_kib / mib:.1f} MiB",
        ),
        ("memory per site session", f"{r.kib_per_site:.1f} KiB"),
        (
            "links lag p50 / p99 / max",
            f"{percentile(r.lag_ms, 50):.1f} / {percentile(r.lag_ms, 99):.1f} / "
            f"{percentile(r.lag_ms, 100):.1f} ms ({len(r.lag_ms)} frames)",
        ),
        ("links frames per console", f"{r.frames_per_s:.2f}/s"),
        ("sites per links frame", f"{r.sites_per_frame:.0f}"),
        (
            "links RTT / jitter / loss at the end, p50",
            f"{percentile(r.rtt_ms, 50):.1f} ms / {percentile(r.jitter_ms, 50):.1f} ms / "
            f"{percentile(r.loss_pct, 50):.1f} %",
        ),
        (
            "links RTT / jitter / loss at the end, max",
            f"{percentile(r.rtt_ms, 100):.1f} ms / {percentile(r.jitter_ms, 100):.1f} ms / "
            f"{percentile(r.loss_pct, 100):.1f} %",
        ),
        (
            "state changes in the window",
            ", ".join(f"{k} {v:g}" for k, v in sorted(r.changes.items())) or "none",
        ),
        ("states at the end", ", ".join(f"{k} {v}" for k, v in sorted(r.end_states.items()))),
        ("sites not online at the end", str(r.not_online)),
        ("sessions dropped", str(r.dropped)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


# --- main -----------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> int:
    """Run once and print the results; the exit status."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.sites + args.consoles + 256
    if soft < wanted:  # the hub inherits it: both sides hold one socket per session
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(wanted, soft)), hard))
    hub_cpus, gen_cpus = split_cores()
    pin_self(gen_cpus)
    print(f"machine: {machine()}")
    print(f"before: {load_average()}")
    print(
        f"hub on CPU {sorted(hub_cpus) if hub_cpus else 'any'}, "
        f"generator on CPU {sorted(gen_cpus) if gen_cpus else 'any'}"
        f"{' (uvloop)' if uvloop is not None else ''}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-links-") as tmp:
        result = await run(args, Path(tmp), hub_cpus)
    print(f"after: {load_average()}")
    print()
    print_result(result)
    failed = result.not_online or result.dropped
    if failed:
        print(
            f"FAIL: {result.not_online} sites not online, {result.dropped} sessions dropped "
            f"{result.dropped_reasons}",
            file=sys.stderr,
        )
    if result.gen_cpu > 0.9:
        print("note: the generator used over 90% of its core: it may limit the numbers")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options (``--quick`` shrinks the defaults)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke test: 100 sites, 10 s window")
    p.add_argument("--sites", type=int, default=None, help="simulated sites (default 1000)")
    p.add_argument("--consoles", type=int, default=20, help="operator consoles (default 20)")
    p.add_argument("--duration", type=float, default=None, help="steady window s (default 60)")
    p.add_argument("--ramp", type=float, default=200.0, help="site connections started per s")
    p.add_argument("--in-flight", type=int, default=50, help="max pending site handshakes")
    p.add_argument(
        "--login-all-cpus",
        action="store_true",
        help="let the token hub (not the measured one) use every CPU for the N scrypt checks",
    )
    p.add_argument(
        "--settle", type=float, default=60.0, help="max s to wait for every site to be online"
    )
    args = p.parse_args(argv)
    defaults = {"sites": 100, "duration": 10.0} if args.quick else {"sites": 1000, "duration": 60.0}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not 1 <= args.sites <= 9999:
        p.error("--sites must be 1..9999 (codes S0001..S9999)")
    if args.consoles < 1 or args.duration <= 0 or args.ramp <= 0 or args.in_flight < 1:
        p.error("consoles, duration, ramp and in-flight must be positive")
    return args


def main() -> None:
    """Command line entry point."""
    args = parse_args()
    runner = uvloop.run if uvloop is not None else asyncio.run
    sys.exit(runner(main_async(args)))


if __name__ == "__main__":
    main()
