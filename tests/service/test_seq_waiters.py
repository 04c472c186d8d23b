"""Waiters for a seq wake in seq order once it is applied, and time out otherwise."""

from __future__ import annotations

import asyncio

from controlroom.service.seq_waiters import SeqWaiters


async def test_waiters_wake_when_their_seq_is_reached_and_not_before() -> None:
    waiters = SeqWaiters()
    woke: list[int] = []

    async def wait(seq: int) -> None:
        if await waiters.wait(seq, timeout_s=5):
            woke.append(seq)

    tasks = [asyncio.create_task(wait(s)) for s in (7, 3, 5, 5)]
    await asyncio.sleep(0)  # every waiter is registered
    waiters.reached(5)
    await asyncio.gather(*tasks[1:])
    assert woke == [3, 5, 5] and not tasks[0].done()
    waiters.reached(9)
    await tasks[0]
    assert woke == [3, 5, 5, 7]


async def test_a_waiter_times_out() -> None:
    assert await SeqWaiters().wait(1, timeout_s=0.01) is False
