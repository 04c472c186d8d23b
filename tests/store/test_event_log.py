"""The event logs (SQLite and Redis): atomic appends, the expected-seq check, the chain, audit."""

import sqlite3
import subprocess
import sys

import pytest

from controlroom.domain.model import Actor, Event
from controlroom.store.audit import verify_data_dir
from controlroom.store.base import Answer, SeqConflict, Snapshot, encode_state
from controlroom.store.chain import GENESIS, Record, link_hash, verify
from controlroom.store.redis_streams import RedisEventLog
from controlroom.store.sqlite import SqliteEventLog
from tests.support.redis_server import RedisServer

ACTOR = Actor("operator", "operator", None)


def chain(conference, start_seq, prev, n):
    out = []
    for i in range(n):
        event = Event(
            start_seq + i, 1000 + i, "fault.noted", ACTOR, {"site": "HNI", "text": f"ghi chú {i}"}
        )
        digest = link_hash(prev, conference, event)
        out.append(Record(event, prev, digest))
        prev = digest
    return out


@pytest.fixture(params=["sqlite", "redis"])
async def log(request, tmp_path):
    """The same tests on the embedded SQLite log and on Redis Streams."""
    if request.param == "sqlite":
        store = SqliteEventLog(tmp_path / "events.db")
    else:
        if not RedisServer.available():
            pytest.skip("redis-server is not installed (scripts/test installs it)")
        server = RedisServer(tmp_path / "redis").start()
        request.addfinalizer(server.stop)
        store = RedisEventLog(server.url)
    await store.open()
    yield store
    await store.close()


async def test_append_read_head_and_answers(log):
    """Appended records read back equal, the head moves, answers are stored with them."""
    records = chain("c", 1, GENESIS, 5)
    await log.append("c", 0, records, [Answer("operator", "x1", {"type": "ack", "seq": 5})])
    assert await log.read("c", 0) == records
    assert await log.read("c", 3) == records[3:]
    assert await log.head("c") == (5, records[-1].hash)
    assert await log.answer("c", "operator", "x1") == {"type": "ack", "seq": 5}
    assert await log.answer("c", "other", "x1") is None
    assert await log.head("other") == (0, GENESIS)


async def test_expected_seq_mismatch_is_a_conflict_and_writes_nothing(log):
    """An append expecting an old head raises SeqConflict and leaves the log unchanged."""
    first = chain("c", 1, GENESIS, 2)
    await log.append("c", 0, first, [])
    with pytest.raises(SeqConflict):
        await log.append("c", 0, chain("c", 1, GENESIS, 1), [Answer("a", "b", {})])
    assert len(await log.read("c", 0)) == 2
    assert await log.answer("c", "a", "b") is None


async def test_snapshots_replace_each_other(log):
    """The latest snapshot is the one loaded."""
    await log.save_snapshot("c", Snapshot(10, "fp", {"a": 1}))
    await log.save_snapshot("c", Snapshot(20, "fp", {"a": 2}))
    assert await log.load_snapshot("c") == Snapshot(20, "fp", {"a": 2})


async def test_a_snapshot_encoded_by_its_writer_loads_as_its_state(log):
    """The hub hands the store its state already encoded; it loads as that state."""
    state = {"faults": {"F0001": {"notes": ["một", "hai"], "at": 1.5}}, "n": None}
    await log.save_snapshot("c", Snapshot(7, "fp", {}, encode_state(state)))
    loaded = await log.load_snapshot("c")
    assert (loaded.seq, loaded.fingerprint, loaded.state) == (7, "fp", state)


def test_a_snapshot_holds_json_like_values_only():
    """Anything JSON could not hold is refused, not written as something else."""
    with pytest.raises(TypeError, match="set"):
        encode_state({"a": {1, 2}})


async def test_a_json_snapshot_of_a_version_before_still_loads(tmp_path):
    """Versions before wrote snapshots as JSON text: they load, NaN as null, on both stores."""
    db = SqliteEventLog(tmp_path / "events.db")
    await db.open()
    db.db.execute("INSERT INTO snapshots VALUES ('c', 5, 'fp', ?)", ('{"a":[1,"hai"],"x":NaN}',))
    assert await db.load_snapshot("c") == Snapshot(5, "fp", {"a": [1, "hai"], "x": None})
    await db.close()
    if not RedisServer.available():
        return
    server = RedisServer(tmp_path / "redis").start()
    try:
        store = RedisEventLog(server.url)
        await store.open()
        await store.redis.set("cr:{c}:snapshot", '{"seq":5,"fingerprint":"fp","state":{"a":2}}')
        assert await store.load_snapshot("c") == Snapshot(5, "fp", {"a": 2})
        await store.close()
    finally:
        server.stop()


def test_verify_names_the_first_altered_event():
    """Changing one event's data breaks the chain exactly there."""
    records = chain("c", 1, GENESIS, 6)
    assert verify("c", records).ok
    bad = list(records)
    e = bad[3].event
    bad[3] = Record(
        Event(e.seq, e.at, e.name, e.actor, {**e.data, "text": "sửa"}),
        bad[3].prev_hash,
        bad[3].hash,
    )
    result = verify("c", bad)
    assert not result.ok and result.broken_seq == 4 and "altered" in result.reason
    missing = records[:2] + records[3:]
    assert verify("c", missing).broken_seq == 4


async def test_audit_cli_detects_tampering_in_the_file(tmp_path):
    """`controlroom audit verify` passes on a clean log and names the tampered seq after an edit."""
    log = SqliteEventLog(tmp_path / "events.db")
    await log.open()
    await log.append("demo", 0, chain("demo", 1, GENESIS, 10), [])
    cmd = [sys.executable, "-m", "controlroom", "audit", "verify", "--data", str(tmp_path)]
    clean = subprocess.run(cmd, capture_output=True, text=True)
    assert clean.returncode == 0 and "OK, 10 events" in clean.stdout
    await log.close()
    db = sqlite3.connect(tmp_path / "events.db")
    db.execute("UPDATE events SET data=? WHERE seq=7", ('{"site":"HNI","text":"bị sửa"}',))
    db.commit()
    db.close()
    assert not verify_data_dir(tmp_path)["demo"].ok
    broken = subprocess.run(cmd, capture_output=True, text=True)
    assert broken.returncode == 1 and "BROKEN at seq 7" in broken.stdout


async def test_redis_tail_returns_what_another_writer_appended(tmp_path):
    """A second Redis client sees appends through tail() without polling."""
    import asyncio

    if not RedisServer.available():
        pytest.skip("redis-server is not installed (scripts/test installs it)")
    server = RedisServer(tmp_path / "redis").start()
    try:
        writer, reader = RedisEventLog(server.url), RedisEventLog(server.url)
        await writer.open()
        await reader.open()
        waiting = asyncio.create_task(reader.tail("c", 0, 5000))
        await asyncio.sleep(0.05)
        records = chain("c", 1, GENESIS, 3)
        await writer.append("c", 0, records, [])
        assert await asyncio.wait_for(waiting, 5) == records
        assert await reader.tail("c", 3, 10) == []
        await writer.close()
        await reader.close()
    finally:
        server.stop()
