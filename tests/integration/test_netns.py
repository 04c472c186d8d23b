"""Link health across a real network: a site in its own namespace, behind an impaired link.

    test + hub (root ns) --veth-- forwarder (crt-mid-PID) --veth-- site client (crt-site-PID)

The kernel here has no ``netem``, so the link is impaired in user space: the
forwarder in the middle namespace relays the site's TCP connection and holds every
chunk for a delay it is told on its stdin. The site client answers pings at once;
the delay is all the network's. The operator console is in the test, on loopback.

Needs root and ``ip netns``; skips with the reason otherwise. Deselect with
``-m 'not netns'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT
from tests.support.client import Client
from tests.support.netns import MID_SITE_ADDR, Topology, Unavailable
from tests.support.server import RunningHub, running_hub
from tests.support.timing import timeout

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]

FORWARDER = ROOT / "tests" / "support" / "forwarder.py"

# The site: a real client (tests/support/client.py) that says hello, answers pings
# at once, prints "synced", and closes when its stdin closes.
SITE_CLIENT = """
import asyncio, os, sys
from tests.support.client import Client

async def main():
    site = await Client.connect(sys.argv[1], os.environ["CONTROLROOM_TOKEN"])
    assert site.synced is not None, site.frames[-1]
    print("synced", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await site.close()

asyncio.run(main())
"""


@pytest.fixture
def topology() -> Iterator[Topology]:
    """root <-> mid <-> site namespaces, deleted afterwards; skips where they cannot be made."""
    try:
        topo = Topology.create()
    except Unavailable as exc:
        pytest.skip(f"no network namespaces here: {exc}")
    try:
        if topo.offloads != "tso/gso/gro off":
            warnings.warn(f"veth offloads {topo.offloads}", stacklevel=1)
        yield topo
    finally:
        topo.close()


@pytest.fixture
async def hub_on_veth(topology: Topology, tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A hub pinging every 0.3 s, on loopback and on the root end of the veth."""
    async with running_hub(
        DEMO, tmp_path / "data", also_on=(topology.root_addr,), heartbeat_s=0.3
    ) as running:
        yield running


class Process:
    """A child process talked to line by line on stdin/stdout."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name

    @classmethod
    async def start(cls, name: str, argv: list[str], **env: str) -> Process:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        )
        return cls(proc, name)

    async def line(self, seconds: float = 10.0) -> str:
        """The next line it prints; fails with its stderr if it exits first."""
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout(seconds)):
            raw = await self.proc.stdout.readline()
        if not raw:
            await self.proc.wait()
            err = (await self.proc.stderr.read()).decode() if self.proc.stderr else ""
            raise AssertionError(f"{self.name} exited ({self.proc.returncode}): {err}")
        return raw.decode().strip()

    async def tell(self, command: str) -> str:
        """Send one command line; its answer line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        answer = await self.line()
        assert answer.startswith("ok "), f"{self.name}: {command!r} -> {answer!r}"
        return answer

    async def stop(self) -> None:
        """Close its stdin and wait a little; then kill it (this process only)."""
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 3)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


async def test_site_behind_a_400_ms_link_goes_degraded_and_recovers(
    topology: Topology, hub_on_veth: RunningHub
) -> None:
    """Through the forwarder: online; 200 ms each way: degraded for RTT; no delay: online."""
    hub = hub_on_veth
    port = hub.url.rsplit(":", 1)[1]
    op = await Client.connect(hub.ws_url, await hub.login("operator"), codec="msgpack")
    site_token = await hub.login("site-hni")
    started: list[Process] = []
    try:
        forwarder = await Process.start(
            "forwarder",
            topology.exec_in(
                topology.mid,
                sys.executable,
                str(FORWARDER),
                MID_SITE_ADDR,
                topology.root_addr,
                port,
            ),
        )
        started.append(forwarder)
        _, listen_host, listen_port = (await forwarder.line()).split()
        assert listen_host == MID_SITE_ADDR
        ws_url = f"ws://{MID_SITE_ADDR}:{listen_port}/ws"
        site = await Process.start(
            "site client",
            topology.exec_in(topology.site, sys.executable, "-c", SITE_CLIENT, ws_url),
            CONTROLROOM_TOKEN=site_token,
        )
        started.append(site)
        assert await site.line(15) == "synced"

        online = await op.event("link.changed", 10, site="HNI", to="online")
        assert online["data"]["from"] == "unknown"
        assert online["data"]["rtt_ms"] < 300

        await forwarder.tell("delay 200")
        degraded = await op.event("link.changed", 10, site="HNI", to="degraded")
        reason = degraded["data"]["reason"]
        assert reason.startswith("RTT ") and "> 300 ms" in reason, reason
        assert reason.endswith("(3 samples)"), reason
        assert degraded["data"]["rtt_ms"] > 380

        await forwarder.tell("delay 0")
        back = await op.wait_for(
            lambda f: (
                f["type"] == "event"
                and f["name"] == "link.changed"
                and f["data"]["site"] == "HNI"
                and f["data"]["from"] == "degraded"
            ),
            15,
        )
        assert back["data"]["to"] == "online", back["data"]
        assert "3 good samples" in back["data"]["reason"]
        assert back["data"]["rtt_ms"] < 300
    finally:
        for proc in reversed(started):
            await proc.stop()
        await op.close()
