"""The link monitor records its commands in batches, a site's own in order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from controlroom.service.links import next_batch


@dataclass(frozen=True)
class Cmd:
    site: str
    n: int


def _queue(*commands: Cmd) -> asyncio.Queue[Cmd]:
    queue: asyncio.Queue[Cmd] = asyncio.Queue()
    for command in commands:
        queue.put_nowait(command)
    return queue


def _drain(queue: asyncio.Queue[Cmd], limit: int) -> list[list[Cmd]]:
    """Every batch the writer would take, in turn, until the queue is empty."""
    batches, held = [], None
    while held is not None or not queue.empty():
        first = held if held is not None else queue.get_nowait()
        batch, held = next_batch(queue, first, limit)
        batches.append(batch)
    return batches


def test_sites_judged_at_once_go_in_one_batch_up_to_the_limit() -> None:
    commands = [Cmd(f"S{i:04d}", i) for i in range(600)]
    batches = _drain(_queue(*commands), 256)
    assert [len(b) for b in batches] == [256, 256, 88]
    assert [c for b in batches for c in b] == commands


def test_a_second_command_of_a_site_waits_for_the_next_batch_and_order_holds() -> None:
    a1, b1, a2, c1, a3 = Cmd("A", 1), Cmd("B", 1), Cmd("A", 2), Cmd("C", 1), Cmd("A", 3)
    batches = _drain(_queue(a1, b1, a2, c1, a3), 256)
    assert batches == [[a1, b1], [a2, c1], [a3]]
    for site in "ABC":
        mine = [c.n for b in batches for c in b if c.site == site]
        assert mine == sorted(mine)
    assert all(len({c.site for c in b}) == len(b) for b in batches)
