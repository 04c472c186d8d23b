"""A hub restart is not an outage (issue "No false alarms").

A planned restart while the conference is live, every site's agent connected: the
sessions closed by the hub itself (1012) are no drop, nobody is judged offline until
the sites have had the grace to come back, and only the site that did not come back
is offline (with its fault). The log says the hub restarted, and for how long.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import sqlite3
from pathlib import Path

from controlroom.agent.session import HubSession
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.processes import free_port, login, start_hub_process
from tests.support.server import running_hub
from tests.support.timing import timeout

SITES = ["HUE", "HCM", "DNG", "HPG"]


def _conference(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    toml = (conf / "conference.toml").read_text(encoding="utf-8")
    toml = toml.replace("heartbeat_s = 2.0", "heartbeat_s = 0.3\nrestart_grace_s = 8.0")
    (conf / "conference.toml").write_text(toml, encoding="utf-8")
    return conf


async def test_a_planned_restart_while_live_opens_no_fault(tmp_path):
    """Stop and start with every site connected: no fault but for the site that stays away."""
    conf = _conference(tmp_path)
    port = free_port()
    data = tmp_path / "data"
    url = f"http://127.0.0.1:{port}"
    agents = {code: HubSession(url, f"site-{code.lower()}", "demo") for code in SITES}
    runs: list[asyncio.Task[None]] = []
    try:
        async with running_hub(conf, data, port=port) as hub:
            op = await Client.connect(hub.ws_url, await hub.login("operator"))
            await op.cmd("conference.phase", {"phase": "live"})
            runs = [asyncio.create_task(agent.run()) for agent in agents.values()]
            for code in SITES:
                await op.event("link.changed", seconds=10, site=code, to="online")
            await op.close()
        agents["HPG"].stop()  # this site does not come back after the restart
        async with running_hub(conf, data, port=port) as hub:
            op = await Client.connect(hub.ws_url, await hub.login("operator"))
            monitor = hub.runtime.links["demo"]
            async with asyncio.timeout(timeout(10)):
                while not all(monitor.sites[c].sessions for c in ("HUE", "HCM", "DNG")):
                    await asyncio.sleep(0.05)
            # The one that stayed away is judged once the grace is over: a later event
            # that proves the monitor was judging, and found only it.
            await op.event("link.changed", seconds=20, site="HPG", to="offline")
            records = await hub.hub.events_after(0)
    finally:
        for agent in agents.values():
            agent.stop()
        for run in runs:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(run, timeout(5))
    events = [r.event for r in records]
    offline = [
        e.data["site"] for e in events if e.name == "link.changed" and e.data["to"] == "offline"
    ]
    faults = [e.data["site"] for e in events if e.name == "fault.reported"]
    assert offline == ["HPG"], offline
    assert faults == ["HPG"], faults
    names = [e.name for e in events]
    assert "hub.stopped" in names and "fault.escalated" not in names
    started = next(e for e in events if e.name == "hub.started")
    assert started.data["clean"] is True and started.data["down_s"] < 10
    assert names.index("hub.stopped") < names.index("hub.started")


async def test_thirty_sites_lost_at_once_are_one_incident_that_closes_itself(tmp_path):
    """30 sites drop within a second: the inbox holds one incident; it resolves when all return."""
    from controlroom.config import load_conference

    conf = _conference(tmp_path)
    codes = [s.code for s in load_conference(conf).sites if s.kind == "site"][:30]
    async with running_hub(conf, tmp_path / "data") as hub:
        op = await Client.connect(hub.ws_url, await hub.login("operator"))
        await op.cmd("conference.phase", {"phase": "live"})
        tokens = {code: await hub.login(f"site-{code.lower()}") for code in codes}
        sites = [await Client.connect(hub.ws_url, tokens[code]) for code in codes]
        for code in codes:
            await op.event("link.changed", seconds=10, site=code, to="online")
        await asyncio.gather(*(site.close() for site in sites))
        for code in codes:
            await op.event("link.changed", seconds=10, site=code, to="offline")
        state = hub.hub.durable
        incidents = [f for f in state.faults.values() if f.incident]
        assert len(incidents) == 1
        incident = incidents[0]
        assert sorted(incident.incident) == sorted(codes)
        still_open = [f.fault_id for f in state.faults.values() if f.state == "open"]
        assert still_open == [incident.fault_id], "one card in the inbox"
        sites = [await Client.connect(hub.ws_url, tokens[code]) for code in codes]
        resolved = await op.event("fault.resolved", seconds=20, fault_id=incident.fault_id)
        assert resolved["data"]["auto"] is True
        assert all(v == "back" for v in hub.hub.durable.faults[incident.fault_id].incident.values())
        for site in sites:
            await site.close()


async def test_a_crash_while_live_opens_no_fault_either(tmp_path):
    """kill -9 and start again, every site's agent connected: only the absent site is judged.

    The restarted hub knows the sites were online (its snapshot and log) but has no
    sessions; it waits for the grace before it judges, and the agents are back by then.
    """
    conf = _conference(tmp_path)
    port = free_port()
    data = tmp_path / "data"
    url = f"http://127.0.0.1:{port}"
    agents = {code: HubSession(url, f"site-{code.lower()}", "demo") for code in SITES}
    runs: list[asyncio.Task[None]] = []
    proc = await start_hub_process(data, port, config=conf)
    try:
        op = await Client.connect(f"ws://127.0.0.1:{port}/ws", await login(url, "operator"))
        await op.cmd("conference.phase", {"phase": "live"})
        runs = [asyncio.create_task(agent.run()) for agent in agents.values()]
        for code in SITES:
            await op.event("link.changed", seconds=10, site=code, to="online")
        await op.close()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout(10))
        for agent in agents.values():
            agent.stop()
        await asyncio.gather(*runs, return_exceptions=True)
        proc = await start_hub_process(data, port, config=conf)
        # The agents come back after their backoff, later than the three heartbeats
        # that would judge a site silent without the grace; HPG does not come back.
        await asyncio.sleep(1.5)
        agents = {c: HubSession(url, f"site-{c.lower()}", "demo") for c in SITES if c != "HPG"}
        runs = [asyncio.create_task(agent.run()) for agent in agents.values()]
        op = await Client.connect(f"ws://127.0.0.1:{port}/ws", await login(url, "operator"))
        # Judging after the grace finds the one that stayed away, and only it.
        await op.event("link.changed", seconds=20, site="HPG", to="offline")
        await op.close()
    finally:
        # The hub stops first (a planned stop closes with 1012, no drop), then the agents.
        proc.terminate()
        proc.wait(timeout(20))
        for agent in agents.values():
            agent.stop()
        for run in runs:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(run, timeout(5))
    db = sqlite3.connect(data / "events.db")
    rows = [(name, json.loads(data_)) for name, data_ in db.execute(
        "SELECT name, data FROM events ORDER BY seq")]  # fmt: skip
    db.close()
    offline = [d["site"] for n, d in rows if n == "link.changed" and d["to"] == "offline"]
    faults = [d["site"] for n, d in rows if n == "fault.reported"]
    assert offline == ["HPG"], offline
    assert faults == ["HPG"], faults
    names = [n for n, _ in rows]
    assert "fault.escalated" not in names
    started = next(d for n, d in rows if n == "hub.started")
    assert started["clean"] is False  # no hub.stopped before it: it was a crash
    assert names.index("hub.started") > names.index("link.changed")
