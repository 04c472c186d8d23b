"""Report generation time over a long log (target: under 5 s for 100,000 events).

1. Build: a fresh data directory gets a log of ``--events`` events (default 100,000)
   for the demo conference, decided by the real domain (``parse_command`` + ``decide``
   + ``apply``) with explicit, advancing times and chained exactly as the hub chains
   them (``tests/report/script.py``), then written to ``events.db`` in one
   transaction: link changes (with the automatic network faults they open), site
   status, fault cycles (report, acknowledge, resolve), speeches (request, approve,
   grant, end) and the run-script advancing. No hub, no fsync per command: this
   builds in seconds instead of the minute ``bench/startup.py`` needs.
2. Measure, ``--repeat`` times: what ``controlroom report`` does (read the log
   read-only, verify the chain, build the model) and each renderer (HTML, JSON, CSV).
   Prints the best and the median of each step and the output sizes.

Exit status 1 when the chain does not verify, the report misses events, or the best
read + verify + build + HTML + JSON + CSV time exceeds ``--target-s`` (5 s).

Usage::

    python bench/report_speed.py            # 100,000 events
    python bench/report_speed.py --quick    # 5,000 events (CI smoke test)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import DEMO_CONFIG, ROOT, load_average, machine

sys.path.insert(0, str(ROOT))

from controlroom.config import load_conference  # noqa: E402
from controlroom.domain import DomainError  # noqa: E402
from controlroom.report import (  # noqa: E402
    build_report,
    csv_zip,
    read_data_dir,
    render_html,
    to_json,
)
from tests.report.script import (  # noqa: E402
    ADMIN,
    ASSISTANT,
    OPERATOR,
    Script,
    local_ms,
    site_actor,
)


def build_log(events: int, seed: int = 7) -> Script:
    """A conference of about ``events`` events with a realistic mix."""
    config = load_conference(DEMO_CONFIG)
    rng = random.Random(seed)
    s = Script(config)
    codes = [x.code for x in config.sites if x.kind == "site"]
    now = local_ms(config, "07:30")
    for code in codes:
        s.cmd(site_actor(code), "site.checkin", {"technician": "KTV", "phone": "09"}, now)
        s.link(code, "online", now, rtt=40)
    s.cmd(ADMIN, "conference.phase", {"phase": "live"}, now)
    step = max(1, 4 * 3600 * 1000 // events)  # spread over four hours
    agenda_every = max(1, events // (len(config.agenda) + 1))
    next_agenda = 0
    n = 0
    while len(s.records) < events:
        now += step
        n += 1
        if len(s.records) >= next_agenda:
            next_agenda += agenda_every
            try:
                s.cmd(OPERATOR, "agenda.advance", {}, now)
            except DomainError:
                pass
        code = rng.choice(codes)
        roll = rng.random()
        try:
            if roll < 0.5:
                to = rng.choice(["online", "online", "degraded", "offline"])
                s.link(code, to, now, rtt=rng.uniform(20, 500), loss=rng.uniform(0, 6))
            elif roll < 0.75:
                args = {"audio": rng.choice(["ok", "fail"]), "video": "ok", "note": ""}
                s.cmd(site_actor(code), "site.status", args, now)
            elif roll < 0.9:
                fault = {"category": "audio", "severity": "major", "description": f"lỗi {n}"}
                fid = s.cmd(site_actor(code), "fault.report", fault, now)[0].data["fault_id"]
                s.cmd(OPERATOR, "fault.ack", {"fault_id": fid}, now + rng.randint(5, 90) * 1000)
                done = {"fault_id": fid, "resolution": "ok"}
                s.cmd(OPERATOR, "fault.resolve", done, now + rng.randint(100, 600) * 1000)
            elif not s.state.speaking.on_floor:
                speech = {
                    "speaker": f"Đại biểu {n}",
                    "title": "Giám đốc",
                    "topic": "",
                    "kind": "speech",
                }
                rid = s.cmd(site_actor(code), "speak.request", speech, now)[0].data["request_id"]
                s.cmd(ASSISTANT, "speak.approve", {"request_id": rid}, now)
                s.cmd(ASSISTANT, "speak.grant", {"request_id": rid, "limit_s": 300}, now)
                s.cmd(
                    ASSISTANT, "speak.end", {"request_id": rid}, now + rng.randint(60, 420) * 1000
                )
        except DomainError:
            continue
    return s


def main() -> int:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target-s", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="5,000 events, one round")
    args = parser.parse_args()
    if args.quick:
        args.events, args.repeat = 5_000, 1
    print(machine())
    print(f"load average before: {load_average()}")
    t0 = time.perf_counter()
    script = build_log(args.events)
    config = script.config
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        data = Path(tmp)
        script.write(data)
        built = time.perf_counter() - t0
        size = (data / "events.db").stat().st_size
        print(f"log: {len(script.records):,} events, {size / 1e6:.1f} MB, built in {built:.1f} s")
        steps: dict[str, list[float]] = {
            k: [] for k in ("read+verify", "build", "html", "json", "csv")
        }
        totals = []
        sizes: dict[str, int] = {}
        ok = True
        for _ in range(args.repeat):
            marks = [time.perf_counter()]
            extract = read_data_dir(data, config.conference.id)
            marks.append(time.perf_counter())
            report = build_report(config, extract.events, extract.verification)
            marks.append(time.perf_counter())
            html = render_html(report)
            marks.append(time.perf_counter())
            text = to_json(report)
            marks.append(time.perf_counter())
            zipped = csv_zip(report, "vi")
            marks.append(time.perf_counter())
            for name, a, b in zip(steps, marks, marks[1:], strict=False):
                steps[name].append(b - a)
            totals.append(marks[-1] - marks[0])
            sizes = {"html": len(html.encode()), "json": len(text.encode()), "csv.zip": len(zipped)}
            ok = ok and report["audit"]["ok"] and report["events"]["count"] == len(script.records)
    for name, values in steps.items():
        print(f"  {name:12s} best {min(values):6.2f} s   median {statistics.median(values):6.2f} s")
    best = min(totals)
    print(f"  {'total':12s} best {best:6.2f} s   median {statistics.median(totals):6.2f} s")
    print("  sizes: " + ", ".join(f"{k} {v / 1e3:,.0f} kB" for k, v in sizes.items()))
    print(f"load average after: {load_average()}")
    verdict = ok and best <= args.target_s
    print(
        f"{'PASS' if verdict else 'FAIL'}: {best:.2f} s for {len(script.records):,} events "
        f"(target {args.target_s:.0f} s){'' if ok else '; the report is incomplete or unverified'}"
    )
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
