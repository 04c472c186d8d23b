"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.redis_server import RedisServer
from tests.support.server import RunningHub, running_hub

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "config" / "demo"


@pytest.fixture
def demo_dir() -> Path:
    """The demo conference directory shipped in config/demo."""
    return DEMO


@pytest.fixture(params=["sqlite", "redis"])
async def hub(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A real hub on the demo conference with a fresh data directory, on each event log.

    The same protocol tests run on the embedded SQLite log and on Redis Streams. The
    heartbeat is long so that link-health events do not interleave with what a test
    counts; the link tests start hubs with a short one.
    """
    options: dict[str, object] = {"heartbeat_s": 30}
    if request.param == "redis":
        if not RedisServer.available():
            pytest.skip("redis-server is not installed (scripts/test installs it)")
        server = RedisServer(tmp_path / "redis").start()
        request.addfinalizer(server.stop)
        options["redis_url"] = server.url
    async with running_hub(DEMO, tmp_path / "data", **options) as running:
        yield running
