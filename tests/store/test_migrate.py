"""controlroom migrate: a SQLite log copied into Redis keeps its chain, answers and state."""

import subprocess
import sys

import pytest

from controlroom.domain import Actor, state_to_dict
from controlroom.store.redis_streams import RedisEventLog
from controlroom.store.sqlite import SqliteEventLog
from tests.service.test_hub import make_hub
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")
OP = Actor("operator", "operator", None)


async def test_migrate_copies_chain_answers_and_state(tmp_path):
    """After migrate, a hub on Redis has the same state and repeats get the stored answers."""
    source = SqliteEventLog(tmp_path / "data" / "events.db")
    await source.open()
    hub = await make_hub(source, snapshot_every=20)
    answers = {}
    for i in range(50):
        answers[f"c{i}"] = await hub.execute(
            OP,
            f"c{i}",
            "fault.report",
            {"site": "HNI", "category": "audio", "severity": "minor", "description": f"lỗi {i}"},
        )
    expected = state_to_dict(hub.durable)
    await hub.stop()
    await source.close()

    redis = RedisServer(tmp_path / "redis").start()
    try:
        cmd = [
            sys.executable,
            "-m",
            "controlroom",
            "migrate",
            "--from",
            f"sqlite:{tmp_path / 'data'}",
            "--to",
            redis.url,
        ]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "demo: 50 events, 50 answers" in r.stdout and "chain OK" in r.stdout
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert again.returncode == 2 and "refusing to mix logs" in again.stderr
        target = RedisEventLog(redis.url)
        await target.open()
        moved = await make_hub(target)
        assert state_to_dict(moved.durable) == expected and moved.durable_seq == 50
        assert await moved.execute(OP, "c7", "fault.report", {}) == answers["c7"]
        await moved.stop()
        await target.close()
    finally:
        redis.stop()
