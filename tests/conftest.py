"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.server import RunningHub, running_hub

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "config" / "demo"


@pytest.fixture
def demo_dir() -> Path:
    """The demo conference directory shipped in config/demo."""
    return DEMO


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A real hub on the demo conference with a fresh data directory.

    The heartbeat is long so that link-health events do not interleave with what a
    test counts; the link tests start hubs with a short one.
    """
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30) as running:
        yield running
