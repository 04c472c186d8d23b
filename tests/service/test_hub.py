"""The hub without a network: group commit, rollback on a failed write, snapshots, timers."""

import asyncio

import pytest

from controlroom.config import load_conference
from controlroom.domain import Actor, state_to_dict
from controlroom.service.errors import http_status
from controlroom.service.hub import ConferenceHub
from controlroom.store.base import StoreUnavailable
from controlroom.store.chain import verify
from controlroom.store.sqlite import SqliteEventLog
from tests.conftest import DEMO
from tests.support.timing import timeout

OP = Actor("operator", "operator", None)
ASSISTANT = Actor("assistant", "assistant", None)
HNI = Actor("site-hni", "site", "HNI")


class Clock:
    def __init__(self, now: int = 1_800_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class FlakyLog(SqliteEventLog):
    """Fails the next `fail` appends, then works."""

    fail = 0

    async def append(self, *args, **kwargs):
        if self.fail:
            self.fail -= 1
            raise StoreUnavailable("disk on fire")
        return await super().append(*args, **kwargs)


@pytest.fixture
async def store(tmp_path):
    log = FlakyLog(tmp_path / "events.db")
    await log.open()
    yield log
    await log.close()


async def make_hub(store, clock=None, **kw):
    hub = ConferenceHub(load_conference(DEMO), store, clock or Clock(), **kw)
    await hub.start()
    return hub


def report(i, severity="minor"):
    return {"site": "HNI", "category": "audio", "severity": severity, "description": f"lỗi {i}"}


async def test_concurrent_commands_are_group_committed_in_order(store):
    """200 concurrent commands get seqs 1..200, live and durable states agree, the chain holds."""
    hub = await make_hub(store)
    answers = await asyncio.gather(
        *(hub.execute(OP, f"c{i}", "fault.report", report(i)) for i in range(200))
    )
    assert sorted(a["seq"] for a in answers) == list(range(1, 201))
    assert state_to_dict(hub.state) == state_to_dict(hub.durable)
    assert verify("demo", await store.read("demo", 0)).ok
    await hub.stop()


async def test_failed_write_acknowledges_nothing_and_the_hub_recovers(store):
    """A failed commit answers internal, leaves no trace, and the next command works."""
    hub = await make_hub(store)
    assert (await hub.execute(OP, "a", "fault.report", report(1)))["type"] == "ack"
    before = state_to_dict(hub.durable)
    store.fail = 1
    failed = await hub.execute(OP, "b0", "fault.report", report(0))
    assert failed["code"] == "internal" and "unavailable" in failed["message"]
    assert failed["retry_after_s"] == 1 and http_status(failed) == 503  # say: send it again
    assert state_to_dict(hub.state) == before == state_to_dict(hub.durable)
    # Under concurrency: whatever was decided on top of a failed batch fails with it.
    store.fail = 1
    mixed = await asyncio.gather(
        *(hub.execute(OP, f"m{i}", "fault.report", report(i)) for i in range(20))
    )
    assert any(a["type"] == "error" for a in mixed)
    assert all(a["type"] == "ack" or a["code"] == "internal" for a in mixed)
    assert state_to_dict(hub.state) == state_to_dict(hub.durable)
    acked = sorted(a["seq"] for a in mixed if a["type"] == "ack")
    assert acked == list(range(2, 2 + len(acked)))
    ok = await hub.execute(OP, "c", "fault.report", report(2))
    assert ok["type"] == "ack" and ok["seq"] == hub.durable_seq
    # A failed command was not remembered: retrying its id now succeeds.
    assert (await hub.execute(OP, "b0", "fault.report", report(0)))["type"] == "ack"
    assert verify("demo", await store.read("demo", 0)).ok
    await hub.stop()


async def test_restart_from_snapshot_rebuilds_the_same_state(store):
    """A hub restarted on the log (snapshot + tail) holds exactly the state the first one had."""
    hub = await make_hub(store, snapshot_every=10)
    for i in range(25):
        await hub.execute(OP, f"c{i}", "fault.report", report(i))
    await hub.execute(OP, "ack", "fault.ack", {"fault_id": "F0003"})
    expected = state_to_dict(hub.durable)
    await hub.stop()
    snap = await store.load_snapshot("demo")
    assert snap is not None and snap.seq >= 20
    again = await make_hub(store)
    assert state_to_dict(again.durable) == expected
    assert again.durable_seq == 26
    await again.stop()


@pytest.mark.parametrize("fork", [True, False], ids=["in-a-child", "in-process"])
async def test_a_snapshot_taken_either_way_rebuilds_the_state(store, fork):
    """Encoded in a forked child or, where the platform cannot fork, by the hub itself:
    the snapshot is of the state at its seq, and a start from it rebuilds that state."""
    hub = await make_hub(store, snapshot_every=10**9)
    snapshots = hub.committer.snapshots
    snapshots.fork = fork
    for i in range(12):
        await hub.execute(OP, f"c{i}", "fault.report", report(i))
    assert await snapshots.take() and snapshots.seq == hub.durable_seq == 12
    expected = state_to_dict(hub.durable)
    await hub.stop()
    snap = await store.load_snapshot("demo")
    assert snap is not None and snap.seq == 12 and snap.state == expected
    again = await make_hub(store)
    assert state_to_dict(again.durable) == expected
    await again.stop()


async def test_speaking_timers_fire_once_from_the_hub_clock(store):
    """speak.warning one minute before the limit and speak.overrun at it, each once."""
    clock = Clock()
    hub = await make_hub(store, clock)
    seen: list[str] = []
    arrived = asyncio.Event()
    hub.listeners.append(lambda e: (seen.append(e.name), arrived.set()))
    rid = (
        await hub.execute(
            HNI,
            "r",
            "speak.request",
            {"speaker": "Lê Hoa", "title": "Phó Chủ tịch", "topic": "X", "kind": "speech"},
        )
    )["result"]["request_id"]
    await hub.execute(ASSISTANT, "g", "speak.grant", {"request_id": rid, "limit_s": 180})

    async def wait_for(name):
        async with asyncio.timeout(timeout()):
            while name not in seen:
                arrived.clear()
                await arrived.wait()

    clock.now += 119_000
    hub.poke()
    await asyncio.sleep(0.05)
    assert "speak.warning" not in seen
    clock.now += 1_000
    hub.poke()
    await wait_for("speak.warning")
    clock.now += 60_000
    hub.poke()
    await wait_for("speak.overrun")
    clock.now += 60_000
    hub.poke()
    await asyncio.sleep(0.05)
    assert seen.count("speak.warning") == 1 and seen.count("speak.overrun") == 1
    await hub.stop()


async def test_unacknowledged_critical_fault_escalates_once(store):
    """A critical fault left unacknowledged past escalate_after_s raises fault.escalated once."""
    clock = Clock()
    hub = await make_hub(store, clock)
    escalated = asyncio.Event()
    hub.listeners.append(lambda e: e.name == "fault.escalated" and escalated.set())
    await hub.execute(OP, "crit", "fault.report", report(1, "critical"))
    await hub.execute(OP, "minor", "fault.report", report(2, "minor"))
    clock.now += hub.config.settings.escalate_after_s * 1000
    hub.poke()
    async with asyncio.timeout(timeout()):
        await escalated.wait()
    names = [r.event.name for r in await store.read("demo", 0)]
    assert names.count("fault.escalated") == 1
    await hub.stop()


async def test_live_and_durable_states_never_share_mutable_parts(store):
    """After a mixed run, the speculative state, the durable state and a replay are all equal."""
    hub = await make_hub(store)
    script = [
        (HNI, "site.checkin", {"technician": "An", "phone": "09"}),
        (
            HNI,
            "fault.report",
            {"category": "audio", "severity": "major", "description": "Mất tiếng"},
        ),
        (OP, "fault.note", {"fault_id": "F0001", "text": "một"}),
        (OP, "fault.note", {"fault_id": "F0001", "text": "hai"}),
        (OP, "fault.ack", {"fault_id": "F0001"}),
        (OP, "fault.resolve", {"fault_id": "F0001", "resolution": "xong"}),
        (HNI, "fault.reopen", {"fault_id": "F0001", "note": "lại"}),
        (HNI, "speak.request", {"speaker": "A", "title": "B", "topic": "C", "kind": "speech"}),
        (ASSISTANT, "speak.approve", {"request_id": "R0001"}),
        (
            ASSISTANT,
            "speak.add",
            {"site": "HCM", "speaker": "D", "title": "E", "topic": "F", "kind": "comment"},
        ),
        (ASSISTANT, "speak.move", {"request_id": "R0002", "position": 1}),
        (ASSISTANT, "speak.grant", {"request_id": "R0001"}),
        (ASSISTANT, "speak.extend", {"request_id": "R0001", "add_s": 30}),
        (OP, "agenda.advance", {}),
        (OP, "agenda.advance", {}),
    ]
    for i, (actor, name, args) in enumerate(script):
        answer = await hub.execute(actor, f"s{i}", name, args)
        assert answer["type"] == "ack", (name, answer)
    live, durable = state_to_dict(hub.state), state_to_dict(hub.durable)
    assert live == durable
    await hub.stop()
    replayed = await make_hub(store, snapshot_every=10**9)
    assert state_to_dict(replayed.durable) == durable
    await replayed.stop()


class TimedLog(SqliteEventLog):
    """Notes when each append begins (loop time) and how many records it holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.appends: list[tuple[float, int]] = []

    async def append(self, conference, after, records, *args, **kwargs):
        self.appends.append((asyncio.get_running_loop().time(), len(records)))
        return await super().append(conference, after, records, *args, **kwargs)


async def test_commits_gather_for_a_window_under_load_only(tmp_path):
    """A commit begins at least the window after the previous one began; what comes
    meanwhile shares it; a command after a quiet spell is committed at once."""
    log = TimedLog(tmp_path / "events.db")
    await log.open()
    window = 0.3
    hub = await make_hub(log, commit_window_s=window)
    loop = asyncio.get_running_loop()
    await asyncio.sleep(window)  # a quiet spell since whatever the start wrote
    began = loop.time()
    assert (await hub.execute(OP, "a", "fault.report", report(0)))["type"] == "ack"
    assert loop.time() - began < window  # not held: nothing was committed just before
    log.appends.clear()
    for i in range(1, 4):  # one after another: each waits for the window
        assert (await hub.execute(OP, f"s{i}", "fault.report", report(i)))["type"] == "ack"
    many = await asyncio.gather(
        *(hub.execute(OP, f"g{i}", "fault.report", report(i)) for i in range(10))
    )
    assert all(a["type"] == "ack" for a in many)
    starts = [t for t, _ in log.appends]
    assert len(starts) == 4 and log.appends[-1][1] == 10  # the ten in one commit
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(g >= window * 0.95 for g in gaps), gaps
    await hub.stop()
    await log.close()
