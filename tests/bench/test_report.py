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
