"""Smoke test of ``python -m bench --quick``: every scenario ran and nothing was lost.

It measures nothing: the numbers of a quick run on a shared CI machine say little.
Deselect with ``-m 'not bench'``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("steady", "ramp", "storm", "reconnect", "slow")


@pytest.mark.bench
@pytest.mark.timeout(270)
def test_quick_bench_runs_every_scenario_and_loses_nothing(tmp_path: Path) -> None:
    pytest.importorskip("socketio", reason="pip install -e '.[bench]'")
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=260,
    )
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    results = report["results"]
    for name in SCENARIOS:
        assert results.get(name, {}).get("hub"), f"{name} did not run on the hub"
    assert set(results["ramp"]) == {"hub", "relay", "socketio"}
    assert report["lost"] == [], report["lost"]
    assert report["dropped"] == 0
    steady = results["steady"]["hub"][0]
    assert steady["links_kib_s"] > 0  # the consoles counted the hub's links frames
    assert isinstance(steady["link_changes"], int) and isinstance(steady["degraded"], int)
    assert all(row["cpu_us"] > 0 for row in results["ramp"]["hub"])
    reconnect = results["reconnect"]["hub"][0]
    assert reconnect["missing"] == 0 and reconnect["doubled"] == 0
    assert reconnect["resumed"] == reconnect["sites"]
    if shutil.which("redis-server"):  # one hub on SQLite, one on Redis, two on one Redis
        instances = results["instances"]
        assert set(instances) == {"sqlite", "redis", "redis x2"}
        assert all(r["conflicts"] == 0 for r in instances["redis x2"])
        assert "two instances vs one on Redis" in done.stdout
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.bench
@pytest.mark.timeout(120)
def test_quick_startup_bench_rebuilds_the_same_state_both_ways() -> None:
    """``python bench/startup.py --quick``, as docs/benchmarks.md runs it (the script's own
    folder first on the path: a bench module named like a package shadowed it once)."""
    done = subprocess.run(
        [sys.executable, "bench/startup.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "speed-up" in done.stdout and "FAIL" not in done.stdout


@pytest.mark.bench
@pytest.mark.timeout(120)
def test_ws_layer_bench_measures_every_server() -> None:
    """``python -m bench.ws_layer``, briefly: every server kind echoes every message."""
    pytest.importorskip("picows", reason="pip install -e '.[bench]'")
    done = subprocess.run(
        [sys.executable, "-m", "bench.ws_layer", "--seconds", "1", "--rate", "500", "--conns", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for kind in ("uvicorn-direct", "uvicorn-asgi", "websockets", "picows"):
        assert f"{kind}: CPU" in done.stdout, done.stdout
