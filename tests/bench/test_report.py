"""The ratios of ``bench.report``: which rows they compare."""

from __future__ import annotations

from bench.report import cpu_per_event, ratios


def _row(rate: float, cpu_us: float, passed: bool = True) -> dict[str, object]:
    return {"rate": rate, "achieved": rate, "cpu_us": cpu_us, "passed": passed}


def test_cpu_per_event_takes_the_highest_rate_both_servers_passed() -> None:
    ramps = {
        "hub": [_row(500, 300), _row(1000, 250), _row(2000, 240, passed=False)],
        "relay": [_row(500, 90), _row(1000, 80), _row(2000, 70)],
    }
    assert cpu_per_event(ramps, "relay") == (1000, 250, 80)
    assert cpu_per_event(ramps, "socketio") is None
    line = ratios({"ramp": ramps}).splitlines()[0]
    assert "server CPU per event at 1000/s 250 / 80 us: one core's capacity 0.32x" in line


def test_cpu_per_event_needs_a_rate_in_common() -> None:
    ramps = {"hub": [_row(500, 300)], "relay": [_row(500, 90, passed=False), _row(1000, 80)]}
    assert cpu_per_event(ramps, "relay") is None


def test_two_instances_compares_the_highest_steps_below_the_first_failure() -> None:
    def row(config: str, rate: float, passed: bool = True, conflicts: int = 0):
        return {"config": config, "rate": rate, "achieved": rate * 0.99, "passed": passed,
                "conflicts": conflicts}  # fmt: skip

    instances = {
        "sqlite": [row("sqlite", 100)],
        # out of rate order, as the fixed and ramp steps interleave; a pass past a failure
        # does not count
        "redis": [
            row("redis", 300),
            row("redis", 100),
            row("redis", 400, passed=False),
            row("redis", 600),
        ],  # fmt: skip
        "redis x2": [
            row("redis x2", 100),
            row("redis x2", 300, conflicts=2),
            row("redis x2", 400),
        ],  # fmt: skip
    }
    line = ratios({"instances": instances}).splitlines()[-1]
    assert line == (
        "two instances vs one on Redis: sustained 396 / 297 events/s = 1.33x; 2 conflicts"
    )
    assert "two instances" not in ratios({"instances": {"redis": instances["redis"]}})
    # a first step failed (one pause past the p99 limit on a loaded machine): the line
    # is still printed, with no ratio and the conflicts counted
    instances["redis"] = [row("redis", 40, passed=False)]
    line = ratios({"instances": instances}).splitlines()[-1]
    assert line == "two instances vs one on Redis: - (a first step failed); 2 conflicts"


def test_the_ratio_says_when_the_hub_passed_every_step() -> None:
    ramps = {"hub": [_row(500, 300), _row(1000, 250)], "socketio": [_row(500, 400, passed=False)]}
    assert "ceiling" not in ratios({"ramp": ramps})  # the reference failed its first step
    ramps["socketio"] = [_row(500, 400), _row(1000, 380, passed=False)]
    line = ratios({"ramp": ramps}).splitlines()[1]
    ceiling = "(the hub passed the last step: its ceiling is higher)"
    assert f"1000 / 500 events/s = 2.00x {ceiling}" in line
