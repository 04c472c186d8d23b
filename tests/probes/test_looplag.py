"""The event loop's lateness: a pause of the process is seen, at once and afterwards."""

from __future__ import annotations

import asyncio
import time

from probes.looplag import LoopLag


async def test_a_pause_of_the_loop_is_measured_while_it_is_overdue_and_after():
    lag = LoopLag(interval_s=0.02)
    lag.start()
    try:
        await asyncio.sleep(0.1)
        assert lag.worst_ms(100) < 50  # an idle loop is on time
        time.sleep(0.3)  # the process is busy: nothing runs on the loop
        # Before the ticking task has run again, the overdue wake-up says so.
        assert lag.now_ms() >= 250 and lag.worst_ms(50) >= 250
        await asyncio.sleep(0.05)
        assert lag.worst_ms(500) >= 250  # recorded once the task ran
    finally:
        await lag.stop()


def test_old_lateness_leaves_the_window():
    now = [100.0]
    lag = LoopLag(interval_s=0.05, clock=lambda: now[0])
    lag._due = 100.0
    lag.tick(100.4)  # 400 ms late at t = 100.4
    now[0] = 100.4
    lag._due = 100.45
    assert lag.worst_ms(100) >= 399
    now[0] = 102.0
    lag._due = 102.05
    assert lag.worst_ms(500) == 0.0  # the pause was more than 500 ms ago
