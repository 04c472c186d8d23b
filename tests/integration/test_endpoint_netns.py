"""The conference link measured at the room's endpoint, across a real impaired network.

    hub (root ns) --veth-- ICMP relay (crt-mid-PID) --veth-- endpoint (crt-site-PID)

The hub probes the middle namespace's address; the relay there asks the site
namespace's kernel (the "endpoint") and adds delay or drops requests as it is told
(the kernel here has no netem). The technician's console is a real session on
loopback, apart from the endpoint's path: the two are judged apart.

Needs root and ``ip netns``; skips with the reason otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT
from tests.integration.test_netns import Process, topology  # noqa: F401 - the fixture
from tests.support.client import Client
from tests.support.netns import SITE_ADDR, Topology
from tests.support.server import RunningHub, running_hub

pytestmark = [pytest.mark.netns, pytest.mark.timeout(240)]

RELAY = ROOT / "tests" / "support" / "icmp_relay.py"
HEARTBEAT_S = 0.5


def _conference(tmp_path: Path, endpoint: str) -> Path:
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    sites = (conf / "sites.csv").read_text(encoding="utf-8").splitlines()
    header, rows = sites[0], sites[1:]
    lines = [f"{header},Thiết bị đầu cuối"]
    lines += [row + (f",{endpoint}" if row.startswith("HUE,") else ",") for row in rows]
    (conf / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # This test changes the link on purpose more often than a flapping site does.
    toml = (conf / "conference.toml").read_text(encoding="utf-8")
    (conf / "conference.toml").write_text(
        toml.replace("flap_changes = 4", "flap_changes = 20"), encoding="utf-8"
    )
    return conf


@pytest.fixture
async def relay(topology: Topology) -> AsyncIterator[Process]:  # noqa: F811
    subprocess.run(
        topology.exec_in(topology.mid, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"),
        check=True,
    )
    proc = await Process.start(
        "relay", topology.exec_in(topology.mid, sys.executable, str(RELAY), SITE_ADDR)
    )
    assert await proc.line() == "ready"
    try:
        yield proc
    finally:
        await proc.stop()


@pytest.fixture
async def hub(topology: Topology, tmp_path: Path) -> AsyncIterator[RunningHub]:  # noqa: F811
    conf = _conference(tmp_path, f"icmp:{topology.mid_addr}")
    async with running_hub(conf, tmp_path / "data", heartbeat_s=HEARTBEAT_S) as running:
        yield running


async def _links(
    client: Client, code: str, seconds: float = 20, start: int | None = None, **want
) -> dict:
    """The first ``links`` entry of ``code`` from ``start`` (the next one) matching ``want``."""
    frame = await client.wait_for(
        lambda f: (
            f.get("type") == "links"
            and all((f.get("sites", {}).get(code) or {}).get(k) == v for k, v in want.items())
        ),
        seconds,
        start=len(client.frames) if start is None else start,
    )
    return frame["sites"][code]


async def test_the_endpoint_path_is_judged_apart_from_the_console(
    topology: Topology,  # noqa: F811
    relay: Process,
    hub: RunningHub,
) -> None:
    """Delay, loss and a dead link at the endpoint, with the technician's console online."""
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    await op.cmd("conference.phase", {"phase": "live"})
    console = await Client.connect(hub.ws_url, await hub.login("site-hue"))

    # The first probes may have answered before the operator connected: the log says.
    entry = await _links(op, "HUE", start=0, presence="online", state="online")
    assert entry["source"] == "endpoint" and set(entry["sources"]) == {"endpoint", "console"}
    (ev,) = [
        r.event.data
        for r in await hub.hub.events_after(0)
        if r.event.name == "link.changed" and r.event.data["site"] == "HUE"
    ]
    assert ev["to"] == "online" and ev["source"] == "endpoint"

    mark = len(op.frames)
    await relay.tell("delay 200")  # 400 ms round trip, over the 300 ms limit
    ev = await op.event("link.changed", start=mark, seconds=20, site="HUE", to="degraded")
    assert ev["data"]["source"] == "endpoint"
    problems = [p["code"] for p in ev["data"]["cause"]["problems"]]
    # The step in delay is also a burst of jitter (RFC 3550), but never loss.
    assert "rtt_high" in problems and "loss_high" not in problems, ev["data"]["cause"]
    assert ev["data"]["rtt_ms"] >= 390

    mark = len(op.frames)
    await relay.tell("delay 0")
    # Back to good needs the jitter burst of the step to decay under its limit and, on
    # a loaded machine where a probe timed out, that loss to age out of the window of
    # 50 probes (25 s at this heartbeat): wait for it, however long that takes.
    await op.event("link.changed", start=mark, seconds=60, site="HUE", to="online")

    mark = len(op.frames)
    await relay.tell("loss 10")
    ev = await op.event("link.changed", start=mark, seconds=60, site="HUE", to="degraded")
    problems = [p["code"] for p in ev["data"]["cause"]["problems"]]
    assert problems == ["loss_high"], ev["data"]["cause"]

    # The endpoint's own link goes down; the technician's console stays connected.
    mark = len(op.frames)
    subprocess.run(["ip", "-n", topology.site, "link", "set", "to-mid", "down"], check=True)
    ev = await op.event("link.changed", start=mark, seconds=10, site="HUE", to="offline")
    assert ev["data"]["source"] == "endpoint"
    assert ev["data"]["cause"]["code"] == "no_answer"
    fault = await op.event("fault.reported", start=mark, seconds=5, site="HUE")
    assert op.link_of("HUE")["presence"] == "online"
    assert op.link_of("HUE")["sources"]["console"]["sessions"] == 1

    await relay.tell("loss 0")
    mark = len(op.frames)
    subprocess.run(["ip", "-n", topology.site, "link", "set", "to-mid", "up"], check=True)
    # A probe lost in the first seconds after the link comes up (the neighbour entry is
    # resolved again) is one loss in a window of a few probes: degraded until it is
    # diluted under 3 % or ages out of the 50 (25 s), as after the delay above.
    try:
        await op.event("link.changed", start=mark, seconds=60, site="HUE", to="online")
    except TimeoutError:
        changes = [f["data"] for f in op.frames[mark:] if f.get("name") == "link.changed"]
        pytest.fail(f"not back online; the changes since the link came up: {changes}")
    resolved = await op.event("fault.resolved", start=mark, seconds=5, site="HUE")
    assert resolved["data"]["fault_id"] == fault["data"]["fault_id"] and resolved["data"]["auto"]

    # The reverse: the console goes away, the endpoint is fine: presence only, recorded
    # once it has held for three heartbeats: that later event proves no outage came.
    after = op.last_seq
    mark = len(op.frames)
    await console.close()
    entry = await _links(op, "HUE", presence="away")
    assert entry["state"] == "online"
    await op.event("link.presence", start=mark, seconds=10, site="HUE", presence="away")
    records = await hub.hub.events_after(after)
    names = [r.event.name for r in records if r.event.data.get("site") == "HUE"]
    assert names == ["link.presence"], names
    await op.close()
