"""Test-call benchmark: set-up time, concurrent calls, and campaigns over 34 and 200 sites.

    python bench/testcall_bench.py [setup|concurrency|campaign] [--sites 34,200]

- setup: 20 calls one after another between a caller and an answerer in this
  process (loopback, host candidates only); ICE+DTLS set-up time p50/p95 and the
  time to gather candidates for the offer.
- concurrency: N calls at once (both ends in this process, so each call costs two
  peer connections of CPU: a lower bound for one hub whose sites are elsewhere);
  per level, how many pass, the median probe RTT and jitter.
- campaign: a real hub (uvicorn, SQLite) with N sites, N site agents in this process
  answering over the real WebSocket, one ``testcall.campaign`` with concurrency 8
  and 2 s calls; the wall time until ``campaign.progress`` says done.

Numbers go to stdout as one JSON map per part; docs/benchmarks.md records a run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEMO_CONFIG, percentile  # noqa: E402
from controlroom.agent.session import HubSession  # noqa: E402
from controlroom.agent.testcall import CAPS, CallAnswerer  # noqa: E402
from controlroom.service.testcalls import TestCallSettings  # noqa: E402
from media.answerer import AnswerOptions  # noqa: E402
from media.caller import CallOptions  # noqa: E402
from media.grading import grade  # noqa: E402
from media.loopback import loopback_call  # noqa: E402
from tests.support.client import Client  # noqa: E402
from tests.support.server import running_hub  # noqa: E402


async def bench_setup(calls: int = 20) -> dict[str, Any]:
    """Sequential loopback calls: set-up time percentiles."""
    setup, ice, gather = [], [], []
    for _ in range(calls):
        started = time.monotonic()
        m = await loopback_call(CallOptions(duration_s=0.5, probes=20))
        setup.append(m["setup_ms"])
        ice.append(m.get("ice_ms", 0))
        gather.append((time.monotonic() - started) * 1000 - m["duration_s"] * 1000)
    return {
        "calls": calls,
        "setup_ms_p50": percentile(setup, 50),
        "setup_ms_p95": percentile(setup, 95),
        "ice_ms_p50": percentile(ice, 50),
        "total_overhead_ms_p50": round(percentile(gather, 50)),
    }


async def bench_concurrency(levels: tuple[int, ...] = (2, 4, 8, 12)) -> dict[str, Any]:
    """N simultaneous loopback calls of 4 s; pass count, RTT and jitter per level."""
    out: dict[str, Any] = {}
    for n in levels:
        started = time.process_time()
        results = await asyncio.gather(
            *(loopback_call(CallOptions(duration_s=4.0)) for _ in range(n))
        )
        verdicts = [grade(m)[0] for m in results]
        out[str(n)] = {
            "pass": verdicts.count("pass"),
            "warn": verdicts.count("warn"),
            "fail": verdicts.count("fail"),
            "rtt_ms_median": statistics.median(m.get("rtt_ms", 0) for m in results),
            "jitter_ms_max": max(m.get("jitter_ms", 0) for m in results),
            "fps_min": min(m.get("video_fps", 0) for m in results),
            "cpu_s": round(time.process_time() - started, 1),
        }
    return out


def _config(root: Path, sites: int) -> Path:
    """The demo conference with ``sites`` bridge sites (extra ones S001...), password demo."""
    conf = root / f"conf{sites}"
    shutil.copytree(DEMO_CONFIG, conf)
    demo_rows = (DEMO_CONFIG / "sites.csv").read_text(encoding="utf-8").splitlines()
    extra = max(0, sites - (len(demo_rows) - 2))
    accounts = (DEMO_CONFIG / "accounts.toml").read_text(encoding="utf-8")
    digest = accounts.split("[accounts.site-tw]", 1)[1].split('password = "', 1)[1].split('"')[0]
    with open(conf / "sites.csv", "a", encoding="utf-8") as f:
        for i in range(1, extra + 1):
            f.write(
                f"S{i:03d},Điểm cầu {i},điểm cầu,Thử nghiệm,Kỹ thuật viên {i},0900 000 {i:03d}\n"
            )
    with open(conf / "accounts.toml", "a", encoding="utf-8") as f:
        for i in range(1, extra + 1):
            f.write(
                f'\n[accounts.site-s{i:03d}]\nrole = "site"\nsite = "S{i:03d}"\n'
                f'name = "KTV {i}"\npassword = "{digest}"\nrevoked = false\n'
            )
    return conf


async def bench_campaign(sites: int) -> dict[str, Any]:
    """A campaign over ``sites`` agents answering over the real WebSocket."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        conf = _config(root, sites)
        settings = TestCallSettings(call=CallOptions(duration_s=2.0), retry_delay_s=5.0)
        async with running_hub(conf, root / "data", heartbeat_s=30, testcall=settings) as hub:
            codes = [c for c, s in hub.hub.durable.sites.items() if s.kind == "site"][:sites]
            sessions, answerers, tasks = [], [], []
            for code in codes:
                session = HubSession(hub.url, f"site-{code.lower()}", "demo", caps=CAPS)
                answerers.append(CallAnswerer(session, AnswerOptions()))
                sessions.append(session)
                tasks.append(asyncio.create_task(session.run()))
                # One login at a time: both ends of a login use the default thread pool here.
                await asyncio.wait_for(session.connected.wait(), 60)
            op = await Client.connect(hub.ws_url, await hub.login("operator"))
            started = time.monotonic()
            await op.cmd("testcall.campaign", {"sites": codes, "concurrency": 8})
            last = await op.wait_for(
                lambda f: (
                    f["type"] == "event"
                    and f["name"] == "campaign.progress"
                    and f["data"]["state"] != "running"
                ),
                3600,
            )
            elapsed = time.monotonic() - started
            results = [e["data"] for e in op.events if e["name"] == "testcall.result"]
            setups = [r["metrics"]["setup_ms"] for r in results if "setup_ms" in r["metrics"]]
            for a in answerers:
                await a.close()
            for s in sessions:
                s.stop()
            for t in tasks:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(t, 5)
    d = last["data"]
    return {
        "sites": sites,
        "seconds": round(elapsed, 1),
        "per_site_s": round(elapsed / sites, 2),
        "pass": d["pass"],
        "warn": d["warn"],
        "fail": d["fail"],
        "retries": d["retries"],
        "setup_ms_p50": percentile(setups, 50),
        "setup_ms_p95": percentile(setups, 95),
    }


async def main() -> None:
    """Run the parts asked for and print their results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=["setup", "concurrency", "campaign"])
    parser.add_argument("--sites", default="34,200")
    args = parser.parse_args()
    if "setup" in args.parts:
        print(json.dumps({"setup": await bench_setup()}), flush=True)
    if "concurrency" in args.parts:
        print(json.dumps({"concurrency": await bench_concurrency()}), flush=True)
    if "campaign" in args.parts:
        for n in (int(x) for x in args.sites.split(",")):
            print(json.dumps({"campaign": await bench_campaign(n)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
