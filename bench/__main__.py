"""``python -m bench`` (or ``controlroom bench``): every scenario, the hub against two references.

The servers run as their own processes pinned to the first CPU; the load generator
runs in a ``multiprocessing`` process (a fresh one per scenario) pinned to the
second; this process only starts them, prints the load average before and after
each scenario, and prints the tables and the ratios. Exit status 1 when anything
was lost (outside the last, failing step of a ramp) or a session dropped.

Usage::

    python -m bench                      # everything (~12 minutes on 2 CPUs)
    python -m bench --quick              # smoke test (< 1 minute)
    python -m bench --scenarios ramp --servers hub --profile docs/   # py-spy of the ramp
    python -m bench --json results.json  # also write every row as JSON
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import machine, pin_self, split_cores
from bench.report import ratios, scenario_table
from bench.scenarios import run_in_process
from bench.servers import KINDS, raise_nofile, start_server

FULL: dict[str, Any] = {
    "steady": {"sizes": [100, 1000, 5000], "ref_size": 1000, "consoles": 20, "rate": 50.0,
               "settle": 3.0, "idle": 5.0, "duration": 12.0, "drain": 5.0},
    "ramp": {"sites": 200, "consoles": 20, "duration": 4.0, "drain": 3.0, "settle": 2.0,
             "rates": [100, 200, 300, 400, 600, 800, 1000, 1500, 2000, 3000, 4000, 5000, 6000],
             "p99_limit_ms": 100.0},
    "storm": {"sites": 1000, "consoles": 20, "window": 1.0, "drain": 20.0, "settle": 3.0},
    "reconnect": {"sites": 1000, "consoles": 20, "spread": 1.0, "drain": 20.0, "settle": 3.0},
    "slow": {"sites": 100, "consoles": 20, "rate": 200.0, "before": 5.0, "stall": 30.0,
             "drain": 5.0, "settle": 2.0},
    "instances": {"args": ["--rates", "100,300", "--ramp", "400,600,800"]},
}  # fmt: skip
QUICK: dict[str, Any] = {
    "steady": {"sizes": [100], "ref_size": 100, "consoles": 5, "rate": 40.0, "settle": 1.0,
               "idle": 1.0, "duration": 2.0, "drain": 3.0, "refs": False},
    "ramp": {"sites": 20, "consoles": 5, "duration": 1.0, "drain": 2.0, "settle": 0.3,
             "rates": [50, 100, 200], "p99_limit_ms": 100.0},
    "storm": {"sites": 100, "consoles": 5, "window": 1.0, "drain": 10.0, "settle": 1.0,
              "refs": False},
    "reconnect": {"sites": 100, "consoles": 5, "spread": 1.0, "drain": 10.0, "settle": 1.0},
    "slow": {"sites": 20, "consoles": 5, "rate": 100.0, "before": 1.5, "stall": 3.0,
             "drain": 3.0, "settle": 0.5},
    "instances": {"args": ["--quick"]},
}  # fmt: skip
ORDER = ["steady", "ramp", "storm", "reconnect", "slow", "instances"]
HUB_ONLY = {"reconnect", "slow", "instances"}


def loadavg() -> str:
    """The first three fields of ``/proc/loadavg``."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Runner:
    """Starts servers on one CPU and the generator (a fresh process per run) on the other."""

    def __init__(self, args: argparse.Namespace, workdir: Path, cpus: tuple[Any, Any]) -> None:
        self.args = args
        self.workdir = workdir
        self.server_cpus, self.gen_cpus = cpus
        self.ctx = multiprocessing.get_context("spawn")
        self.results: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.dropped = 0

    def one(self, scenario: str, kind: str, sites: int, params: dict[str, Any]) -> list[dict]:
        """Run ``scenario`` against a fresh server of ``kind``; its rows."""
        with start_server(kind, self.workdir, sites, self.server_cpus) as server:
            with concurrent.futures.ProcessPoolExecutor(
                1, mp_context=self.ctx, max_tasks_per_child=1
            ) as pool:
                future = pool.submit(run_in_process, scenario, server.spec(), params, self.gen_cpus)
                out = future.result(timeout=600)
            if server.proc.poll() is not None:
                raise RuntimeError(f"{kind} exited during {scenario}:\n{server.log_tail()}")
        self.dropped += int(out.get("dropped", 0)) + sum(r.get("dropped", 0) for r in out["rows"])
        return list(out["rows"])

    def instances(self, params: dict[str, Any]) -> None:
        """One hub on SQLite, one on Redis, two on one Redis (``bench/redis_compare.py``,
        which prints its own tables and pins its own processes); its rows as results."""
        out = self.workdir / "instances.json"
        script = Path(__file__).resolve().parent / "redis_compare.py"
        print("\n== instances: one hub on SQLite, one on Redis, two on one Redis", flush=True)
        done = subprocess.run(
            [sys.executable, str(script), *params["args"], "--json", str(out)], check=False
        )
        if done.returncode == 2:  # no redis-server here: nothing to compare
            return
        rows = json.loads(out.read_text()) if out.exists() else []
        by: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by.setdefault(row["config"], []).append(row)
        if done.returncode or not rows:
            by.setdefault("redis x2", []).append({"lost": -1, "errors": done.returncode})
        self.results["instances"] = by

    def scenario(self, name: str, params: dict[str, Any]) -> None:
        """Every server of one scenario; prints its table."""
        if name == "instances":
            self.instances(params)
            return
        refs = name not in HUB_ONLY and params.get("refs", True)  # quick: references in ramp only
        kinds = [k for k in self.args.servers if refs or k == "hub"]
        t0 = time.perf_counter()
        print(f"\n== {name}: load average before {loadavg()}", flush=True)
        rows: dict[str, list[dict[str, Any]]] = {}
        if name == "steady":
            rows["hub"] = []
            for n in params["sizes"] if "hub" in kinds else []:
                rows["hub"] += self.one(name, "hub", n, {**params, "sites": n})
            ref_rows: dict[str, list[dict[str, Any]]] = {}
            hub_ref = [r for r in rows["hub"] if r["sites"] == params["ref_size"]]
            if hub_ref:
                ref_rows["hub"] = hub_ref
            for kind in [k for k in kinds if k != "hub"]:
                ref_rows[kind] = self.one(
                    name, kind, params["ref_size"], {**params, "sites": params["ref_size"]}
                )
            self.results["steady-ref"] = ref_rows
            rows.update({k: v for k, v in ref_rows.items() if k != "hub"})
        else:
            for kind in kinds:
                p = dict(params)
                if name == "ramp" and kind == "hub" and self.args.profile:
                    p["on_ramp_start"] = self.profile_cmd()
                rows[kind] = self.one(name, kind, p["sites"], p)
        self.results[name] = rows
        print(f"== {name}: load average after {loadavg()} ({time.perf_counter() - t0:.0f} s)")
        print(scenario_table(name, [r for k in rows for r in rows[k]]), flush=True)

    def profile_cmd(self) -> list[str]:
        """``py-spy record`` of the hub for the first ~20 s of the ramp (raw collapsed stacks):
        every thread, without pausing the hub (--nonblocking: a blocking py-spy slows it)."""
        spy = Path(sys.executable).parent / "py-spy"
        out = Path(self.args.profile) / "ramp-profile.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.profile_out = out
        return [
            str(spy), "record", "--pid", "{pid}", "--duration", str(self.args.profile_s),
            "--rate", "100", "--nonblocking", "--format", "raw", "--output", str(out),
        ]  # fmt: skip


def failures(results: dict[str, dict[str, list[dict[str, Any]]]]) -> list[str]:
    """What was lost: every row but a ramp's last, failing step must have lost nothing."""
    found = []
    for name, by_kind in results.items():
        for kind, rows in by_kind.items():
            for i, r in enumerate(rows):
                last_ramp_step = name == "ramp" and i == len(rows) - 1 and not r.get("passed")
                if (r.get("lost") or r.get("errors")) and not last_ramp_step:
                    found.append(f"{name}/{kind}: lost {r.get('lost')}, errors {r.get('errors')}")
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke test: small counts, < 1 minute")
    p.add_argument("--scenarios", default=",".join(ORDER), help=f"comma list of {ORDER}")
    p.add_argument("--servers", default=",".join(KINDS), help=f"comma list of {list(KINDS)}")
    p.add_argument("--steady-sizes", default=None, help="site counts of steady, e.g. 100,1000")
    p.add_argument("--steady-s", type=float, default=None, help="s of commands in steady (12)")
    p.add_argument("--ramp-rates", default=None, help="ramp steps /s: 800,1000")
    p.add_argument("--profile", default=None, help="folder: py-spy the hub during the ramp")
    p.add_argument("--profile-s", type=int, default=20, help="py-spy duration (s)")
    p.add_argument("--json", default=None, help="write every row to this JSON file")
    args = p.parse_args(argv)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.servers = [s for s in args.servers.split(",") if s]
    bad = set(args.scenarios) - set(ORDER) or set(args.servers) - set(KINDS)
    if bad:
        p.error(f"unknown: {sorted(bad)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; print the tables; the exit status."""
    args = parse_args(argv)
    plan = {k: dict(v) for k, v in (QUICK if args.quick else FULL).items()}
    if args.steady_sizes:
        plan["steady"]["sizes"] = [int(x) for x in args.steady_sizes.split(",")]
    if args.ramp_rates:
        plan["ramp"]["rates"] = [float(x) for x in args.ramp_rates.split(",")]
    if args.steady_s:
        plan["steady"]["duration"] = args.steady_s
    raise_nofile()
    cpus = split_cores()
    pin_self(cpus[1])
    t0 = time.perf_counter()
    print(f"machine: {machine()}")
    print(f"servers on CPU {sorted(cpus[0] or [])}, generator on CPU "
          f"{sorted(cpus[1] or [])}; load average {loadavg()}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        runner = Runner(args, Path(tmp), cpus)
        for name in [s for s in ORDER if s in args.scenarios]:
            runner.scenario(name, plan[name])
    print(f"\n== ratios\n{ratios(runner.results)}")
    if args.profile and getattr(runner, "profile_out", None):
        from bench.profile import summarize

        print(f"\n== py-spy of the hub during the ramp ({runner.profile_out})")
        print(summarize(runner.profile_out))
    lost = failures(runner.results)
    total = time.perf_counter() - t0
    print(f"\ntotal {total:.0f} s; load average {loadavg()}; sessions dropped {runner.dropped}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"results": runner.results, "lost": lost, "dropped": runner.dropped,
                        "seconds": total, "quick": args.quick}, indent=1, default=str)
        )  # fmt: skip
    for line in lost:
        print(f"LOST: {line}", file=sys.stderr)
    return 1 if lost or runner.dropped else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
