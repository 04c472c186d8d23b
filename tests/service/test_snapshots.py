"""When snapshots are taken: every ``every`` events at first, then spaced by what the
last one covered, up to the most a start should replay."""

from __future__ import annotations

from typing import Any

from controlroom.config import load_conference
from controlroom.domain import initial_state
from controlroom.service import snapshots as snapshots_module
from controlroom.service.snapshots import Snapshots
from controlroom.store.base import Snapshot
from tests.conftest import DEMO


class Saved:
    """A store that keeps the seq of each snapshot saved."""

    def __init__(self) -> None:
        self.seqs: list[int] = []

    async def save_snapshot(self, conference: str, snapshot: Snapshot) -> None:
        self.seqs.append(snapshot.seq)


async def test_snapshots_are_spaced_by_what_the_last_covered(monkeypatch: Any) -> None:
    monkeypatch.setattr(snapshots_module, "MAX_INTERVAL", 50)
    c = load_conference(DEMO)
    state = initial_state(c.conference, c.settings, c.sites, c.agenda)
    durable = [0]
    store = Saved()
    snapshots = Snapshots(store, "demo", "fp", lambda: (state, durable[0]), every=10)  # type: ignore[arg-type]
    snapshots.fork = False
    for seq in range(1, 231):  # one commit per event, each waiting for its snapshot
        durable[0] = seq
        snapshots.committed()
        await snapshots.drain()
    # 10, then as many as the last covered (20, 40), then at most 50 apart.
    assert store.seqs == [10, 20, 40, 80, 130, 180, 230]
    assert snapshots.interval() == 50


async def test_a_due_snapshot_waits_while_busy_up_to_a_backlog(monkeypatch: Any) -> None:
    """Under a burst a due snapshot waits (up to MAX_BACKLOG events); once the burst is
    over it is taken without another commit; a stop takes the one still deferred."""
    import asyncio

    monkeypatch.setattr(snapshots_module, "BUSY_EVENTS", 20)
    monkeypatch.setattr(snapshots_module, "BUSY_WINDOW_S", 0.05)
    monkeypatch.setattr(snapshots_module, "MAX_BACKLOG", 100)
    monkeypatch.setattr(snapshots_module, "MAX_INTERVAL", 50)
    c = load_conference(DEMO)
    state = initial_state(c.conference, c.settings, c.sites, c.agenda)
    durable, now = [0], [0.0]
    store = Saved()
    snapshots = Snapshots(
        store,  # type: ignore[arg-type]
        "demo",
        "fp",
        lambda: (state, durable[0]),
        every=10,
        clock=lambda: now[0],
    )
    snapshots.fork = False

    async def commit(upto: int, per_s: float) -> None:
        while durable[0] < upto:
            durable[0] += 1
            now[0] += 1 / per_s
            snapshots.committed()
            if snapshots._task is not None:
                await snapshots._task

    await commit(20, per_s=5)  # quiet: every 10 events, as before
    assert store.seqs == [10, 20]
    now[0] += 10  # a quiet spell, then a burst
    await commit(280, per_s=10_000)  # a burst: only when 100 events are waiting
    assert store.seqs == [10, 20, 120, 220]  # and at 280 one is due, deferred
    # The burst ends with no commit after it: the snapshot due comes by itself.
    saved = asyncio.Event()
    original = store.save_snapshot

    async def noting(conference: str, snapshot: Snapshot) -> None:
        await original(conference, snapshot)
        saved.set()

    store.save_snapshot = noting  # type: ignore[method-assign]
    now[0] += 10
    await asyncio.wait_for(saved.wait(), 5)
    assert store.seqs[-1] == 280
    # Deferred again by a burst, then the hub stops: the stop takes it.
    await commit(340, per_s=10_000)
    assert store.seqs[-1] == 280
    await snapshots.drain()
    assert store.seqs[-1] == 340
