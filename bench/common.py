"""Helpers shared by the benchmarks: percentiles, CPU pinning, machine facts, demo accounts."""

from __future__ import annotations

import math
import os
import platform
import socket
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "demo"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100, nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def cores() -> set[int]:
    """The CPUs this process may run on."""
    return set(os.sched_getaffinity(0))


def split_cores() -> tuple[set[int] | None, set[int] | None]:
    """(server cores, load generator cores): one each when there are at least 2, else None."""
    available = sorted(cores())
    if len(available) < 2:
        return None, None
    return {available[0]}, {available[1]}


def pin_self(cpus: set[int] | None) -> None:
    """Restrict this process (and the threads and children it starts later) to ``cpus``."""
    if cpus:
        os.sched_setaffinity(0, cpus)


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (closed again, so there is a tiny race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine() -> str:
    """One line describing the machine: CPUs, CPU model, Python."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} "
        f"({sys.implementation.name}), {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews every number)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def site_accounts(config_dir: Path = DEMO_CONFIG) -> list[tuple[str, str]]:
    """(username, site code) of every ``site`` account in the conference, in file order."""
    data = tomllib.loads((config_dir / "accounts.toml").read_text(encoding="utf-8"))
    return [
        (name, str(acc["site"]))
        for name, acc in data.get("accounts", {}).items()
        if acc.get("role") == "site" and not acc.get("revoked", False)
    ]
