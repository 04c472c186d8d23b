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
