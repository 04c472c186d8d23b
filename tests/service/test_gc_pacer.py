"""The GC pacer: survivors frozen at each step, one full pass when due, and a cycle
that died while frozen is reclaimed by that pass (the bound on what freezing keeps)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from controlroom.service.gc_pacer import GcPacer


class Collector:
    """Records what the pacer asks of the collector."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def collect(self, generation: int = 2) -> int:
        self.calls.append(f"collect({generation})")
        return 0

    def freeze(self) -> None:
        self.calls.append("freeze")

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")


def test_steps_freeze_young_survivors_and_the_full_pass_comes_when_due():
    now = [0.0]
    collector = Collector()
    pacer = GcPacer(freeze_every_s=10, full_every_s=30, clock=lambda: now[0], collector=collector)
    for t in (10.0, 20.0):
        now[0] = t
        pacer.step()
    assert collector.calls == ["collect(1)", "freeze"] * 2
    assert pacer.full_passes == 0
    collector.calls.clear()
    now[0] = 30.0
    pacer.step()
    assert collector.calls == ["unfreeze", "collect(2)", "freeze"]
    assert pacer.full_passes == 1
    collector.calls.clear()
    now[0] = 40.0  # the next full pass is counted from this one
    pacer.step()
    assert collector.calls == ["collect(1)", "freeze"]


class Node:
    def __init__(self) -> None:
        self.other: Any = None


def test_a_cycle_that_dies_frozen_is_reclaimed_by_the_full_pass():
    now = [0.0]
    pacer = GcPacer(freeze_every_s=10, full_every_s=30, clock=lambda: now[0])
    freed: list[str] = []
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        weakref.finalize(a, freed.append, "a")
        now[0] = 10.0
        pacer.step()  # the cycle is alive: frozen with everything else
        assert gc.get_freeze_count() > 0
        del a, b
        gc.collect()
        assert freed == [], "frozen: out of the collector's sight"
        now[0] = 30.0
        pacer.step()
        assert freed == ["a"]
    finally:
        gc.unfreeze()
