"""Tables for the scenarios' results, and the hub's ratios to the references."""

from __future__ import annotations

import itertools
import math
from typing import Any

Row = dict[str, Any]


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if spec == "%":
        return f"{value:.0%}"
    return format(value, spec)


def table(rows: list[Row], columns: list[tuple[str, str, str]]) -> str:
    """Fixed-width text table; ``columns`` are (heading, key, format spec)."""
    cells = [[_fmt(r.get(key), spec) for _, key, spec in columns] for r in rows]
    widths = [
        max(len(head), *(len(c[i]) for c in cells)) if cells else len(head)
        for i, (head, _, _) in enumerate(columns)
    ]
    lines = ["  ".join(h.rjust(w) for (h, _, _), w in zip(columns, widths, strict=True))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(c.rjust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    return "\n".join(lines)


STEADY = [
    ("server", "server", "s"), ("sites", "sites", "d"), ("cons", "consoles", "d"),
    ("cmd/s", "rate", "g"), ("events", "acked", "d"), ("p50 ms", "p50", ".2f"),
    ("p99 ms", "p99", ".2f"), ("p99.9 ms", "p999", ".1f"), ("max ms", "max", ".1f"),
    ("ack p99", "ack_p99", ".1f"), ("CPU idle", "idle_cpu", "%"), ("CPU", "cpu", "%"),
    ("gen CPU", "gen_cpu", "%"), ("RSS MiB", "rss_mib", ".0f"),
    ("KiB/site", "kib_per_site", ".1f"), ("connect s", "connect_s", ".1f"),
    ("lost", "lost", "d"), ("err", "errors", "d"), ("drop", "dropped", "d"),
    ("link chg", "link_changes", "d"), ("degraded", "degraded", "d"),
    ("links KiB/s", "links_kib_s", ".0f"),
]  # fmt: skip
RAMP = [
    ("server", "server", "s"), ("offered/s", "rate", "g"), ("events/s", "achieved", ".0f"),
    ("deliv/s", "deliveries", ".0f"), ("p50 ms", "p50", ".2f"), ("p99 ms", "p99", ".1f"),
    ("p99.9 ms", "p999", ".1f"), ("lost", "lost", "d"), ("err", "errors", "d"),
    ("CPU", "cpu", "%"), ("us/event", "cpu_us", ".0f"), ("gen CPU", "gen_cpu", "%"),
    ("gen late ms", "late_ms", ".0f"), ("pass", "pass", "s"),
]  # fmt: skip
STORM = [
    ("server", "server", "s"), ("sites", "sites", "d"), ("cons", "consoles", "d"),
    ("sent in s", "sent_s", ".2f"), ("all in s", "all_in_s", ".2f"), ("p50 ms", "p50", ".1f"),
    ("p99 ms", "p99", ".1f"), ("max ms", "max", ".1f"), ("lost", "lost", "d"),
    ("err", "errors", "d"), ("CPU", "cpu", "%"), ("gen CPU", "gen_cpu", "%"),
]  # fmt: skip
RECONNECT = [
    ("server", "server", "s"), ("sites", "sites", "d"), ("spread s", "spread_s", "g"),
    ("resumed", "resumed", "d"), ("all resumed s", "all_resumed_s", ".2f"),
    ("resume p50 ms", "resume_p50", ".0f"), ("resume p99 ms", "resume_p99", ".0f"),
    ("snapshots", "snapshots", "d"), ("failed", "failed", "d"), ("missing", "missing", "d"),
    ("doubled", "doubled", "d"), ("lost", "lost", "d"),
]  # fmt: skip
SLOW = [
    ("server", "server", "s"), ("sites", "sites", "d"), ("cons", "consoles", "d"),
    ("cmd/s", "rate", "g"), ("p50 before", "p50_before", ".2f"),
    ("p50 during", "p50_during", ".2f"), ("p99 before", "p99_before", ".1f"),
    ("p99 during", "p99_during", ".1f"), ("evicted after s", "evicted_after_s", ".1f"),
    ("close", "close_code", "s"), ("outbox max", "outbox_max", ".0f"),
    ("RSS before MiB", "rss_before_mib", ".1f"),
    ("RSS max MiB", "rss_max_mib", ".1f"), ("slow missing", "slow_missing_after_resume", "d"),
    ("lost", "lost", "d"),
]  # fmt: skip
COLUMNS = {"steady": STEADY, "ramp": RAMP, "storm": STORM, "reconnect": RECONNECT, "slow": SLOW}


def scenario_table(name: str, rows: list[Row]) -> str:
    """The table of one scenario's rows."""
    for r in rows:
        if "rss_end" in r:
            r["rss_mib"] = r["rss_end"] / 1024
        for key in ("rss_before", "rss_max"):
            if key in r:
                r[f"{key}_mib"] = r[key] / 1024
        if "passed" in r:
            r["pass"] = "yes" if r["passed"] else "NO"
        if "close_code" in r:
            r["close_code"] = str(r["close_code"])
    return table(rows, COLUMNS[name])


def sustained(rows: list[Row]) -> Row | None:
    """The last passing step of a ramp (the steps stop at the first failure)."""
    passing = [r for r in rows if r.get("passed")]
    return passing[-1] if passing else None


def ratios(results: dict[str, dict[str, list[Row]]]) -> str:
    """Hub throughput (ramp, sustained) and p99 (steady 1,000 sites; storm) vs each reference."""
    lines = []
    ramp = {k: sustained(v) for k, v in results.get("ramp", {}).items()}
    ceiling = {k: (rows[-1]["passed"] if rows else False) for k, rows in
               results.get("ramp", {}).items()}  # fmt: skip
    steady = {k: v[0] for k, v in results.get("steady-ref", {}).items() if v}
    storm = {k: v[0] for k, v in results.get("storm", {}).items() if v}
    hub_ramp, hub_steady, hub_storm = ramp.get("hub"), steady.get("hub"), storm.get("hub")
    for ref in ("relay", "socketio"):
        parts = [f"hub vs {ref}:"]
        r = ramp.get(ref)
        if hub_ramp and r:
            more = " (the reference passed the last step: its ceiling is higher)" if ceiling.get(
                ref) else ""  # fmt: skip
            if ceiling.get("hub"):
                more += " (the hub passed the last step: its ceiling is higher)"
            parts.append(
                f"sustained {hub_ramp['achieved']:.0f} / {r['achieved']:.0f} events/s = "
                f"{hub_ramp['achieved'] / r['achieved']:.2f}x{more}"
            )
        st = steady.get(ref)
        if hub_steady and st:
            parts.append(
                f"p99 at {st['sites']} sites {hub_steady['p99']:.2f} / {st['p99']:.2f} ms = "
                f"{hub_steady['p99'] / st['p99']:.1f}x"
            )
        sm = storm.get(ref)
        if hub_storm and sm:
            parts.append(
                f"storm all-in {hub_storm['all_in_s']:.2f} / {sm['all_in_s']:.2f} s, "
                f"p99 {hub_storm['p99']:.0f} / {sm['p99']:.0f} ms"
            )
        cost = cpu_per_event(results.get("ramp", {}), ref)
        if cost:
            rate, hub_us, ref_us = cost
            parts.append(
                f"server CPU per event at {rate:g}/s {hub_us:.0f} / {ref_us:.0f} us: "
                f"one core's capacity {ref_us / hub_us:.2f}x"
            )
        lines.append("  ".join(parts[:1]) + " " + "; ".join(parts[1:]))
    two = two_instances(results.get("instances", {}))
    if two:
        lines.append(two)
    return "\n".join(lines)


def two_instances(by_config: dict[str, list[Row]]) -> str | None:
    """Two hubs on one Redis against one (the ``instances`` scenario), or None."""
    if not by_config.get("redis") or not by_config.get("redis x2"):
        return None
    best: dict[str, Row | None] = {}
    for config in ("redis", "redis x2"):
        steps = [r for r in by_config[config] if "rate" in r]
        rows = sorted(steps, key=lambda r: r["rate"])
        passing = list(itertools.takewhile(lambda r: r["passed"], rows))
        best[config] = passing[-1] if passing else None
    one, two = best["redis"], best["redis x2"]
    conflicts = sum(r.get("conflicts", 0) for r in by_config["redis x2"])
    if one is None or two is None:
        # Still said: a reader looks for this line, and the conflicts count either way.
        return f"two instances vs one on Redis: - (a first step failed); {conflicts} conflicts"
    return (
        f"two instances vs one on Redis: sustained {two['achieved']:.0f} / "
        f"{one['achieved']:.0f} events/s = {two['achieved'] / one['achieved']:.2f}x; "
        f"{conflicts} conflicts"
    )


def cpu_per_event(ramps: dict[str, list[Row]], ref: str) -> tuple[float, float, float] | None:
    """(rate, hub us, ref us): server CPU per event at the highest rate both passed.

    A ratio of capacities that the generator's own ceiling does not cap: at a rate
    both servers sustain, what one event costs the server's one core. Batching makes
    an event cheaper under more load, so this understates the busier server's ceiling.
    """

    def passed(kind: str) -> dict[float, Row]:
        return {r["rate"]: r for r in ramps.get(kind, []) if r.get("passed") and r.get("cpu_us")}

    hub, other = passed("hub"), passed(ref)
    common = sorted(set(hub) & set(other))
    if not common:
        return None
    rate = common[-1]
    return rate, hub[rate]["cpu_us"], other[rate]["cpu_us"]
