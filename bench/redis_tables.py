"""The rows and tables of ``redis_compare.py``: one configuration at one rate, and the summary.

A row passes when nothing was lost, no command got an error, the console p99 is at
most ``P99_LIMIT_MS`` and at least 95 % of the offered rate was acknowledged. The
"sustained" rate of a configuration is the highest passing step below its first
failing one. The two hops: the Redis hop is the one-instance Redis p50/p99 minus
SQLite's; the cross-instance hop is, with two instances, the latency to consoles on
the other instance minus that to consoles on the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common import percentile
from fault_latency import StepResult

CONFIGS = {"sqlite": (1, False), "redis": (1, True), "redis x2": (2, True)}  # name: hubs, redis
P99_LIMIT_MS = 100.0


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


def sustained_row(rows: list[Row]) -> tuple[Row | None, Row | None]:
    """(the highest passing step below the first failing one, that failing step)."""
    best: Row | None = None
    for r in sorted(rows, key=lambda r: r.step.rate):
        if not r.passed:
            return best, r
        best = r
    return best, None


def sustained(rows: list[Row]) -> str:
    """The highest passing rate's events/s below the first failing step (rate order)."""
    best, failed = sustained_row(rows)
    if failed is not None:
        if best is None:
            return f"< {failed.step.rate:g}/s (fails at the first step)"
        return (
            f"{best.step.achieved:.0f}/s (fails at {failed.step.rate:g}/s, "
            f"p99 {failed.p99_ms:.0f} ms)"
        )
    if best is None:
        return "-"
    return f">= {best.step.achieved:.0f}/s (passed every step)"


def two_vs_one(rows: list[Row]) -> str:
    """Two instances on one Redis against one: sustained ratio and conflicts."""
    one, _ = sustained_row([r for r in rows if r.config == "redis"])
    two, two_failed = sustained_row([r for r in rows if r.config == "redis x2"])
    conflicts = sum(r.conflicts for r in rows if r.config == "redis x2")
    if one is None or two is None:
        return f"two instances vs one: - (a first step failed); {conflicts} conflicts"
    bound = "" if two_failed is not None else " (two passed every step: a lower bound)"
    return (
        f"two instances vs one: sustained {two.step.achieved:.0f} / {one.step.achieved:.0f} "
        f"events/s = {two.step.achieved / one.step.achieved:.2f}x{bound}; {conflicts} conflicts"
    )


def row_dict(r: Row) -> dict[str, object]:
    """One row as plain data (``--json``)."""
    s = r.step
    return {
        "config": r.config, "kind": r.kind, "rate": s.rate, "achieved": s.achieved,
        "p50_ms": s.p(s.latency, 50), "p99_ms": r.p99_ms, "lost": s.lost, "errors": s.errors,
        "conflicts": r.conflicts, "hub_cpu": r.hub_cpu, "passed": r.passed,
    }  # fmt: skip


def print_summary(rows: list[Row]) -> None:
    """Sustained rates and the two hops."""
    print()
    print(f"sustained (p99 <= {P99_LIMIT_MS:g} ms, nothing lost):")
    for config in CONFIGS:
        print(f"  {config:<9} {sustained([r for r in rows if r.config == config])}")
    print(two_vs_one(rows))
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
