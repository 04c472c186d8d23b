"""Link health over a real server: pongs delayed, stopped or cut; stats; links frames."""

import asyncio
import shutil

import httpx
import pytest

from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub


@pytest.fixture
async def fast(tmp_path):
    """A hub pinging every 0.2 s, so 3 samples take 0.6 s."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=0.2) as running:
        yield running


async def test_site_goes_online_then_degraded_under_delay_and_recovers(fast):
    """Prompt pongs: online. 400 ms late pongs: degraded with the reason. Prompt again: online."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"), codec="msgpack")
    site = await Client.connect(fast.ws_url, await fast.login("site-hni"))
    online = await op.event("link.changed", site="HNI", to="online")
    assert online["data"]["from"] == "unknown"
    site.pong_delay_s = 0.4
    degraded = await op.event("link.changed", site="HNI", to="degraded")
    reason = degraded["data"]["reason"]
    assert reason.startswith("RTT ") and "> 300 ms" in reason and reason.endswith("(3 samples)")
    assert degraded["data"]["rtt_ms"] > 300
    frame = await op.wait_for(
        lambda f: f["type"] == "links" and f["sites"].get("HNI", {}).get("state") == "degraded"
    )
    assert frame["sites"]["HNI"]["rtt_ms"] > 300
    site.pong_delay_s = 0.0
    back = await op.wait_for(
        lambda f: (
            f["type"] == "event"
            and f["name"] == "link.changed"
            and f["data"]["site"] == "HNI"
            and f["data"]["from"] == "degraded"
        )
    )
    assert back["data"]["to"] == "online" and "3 good samples" in back["data"]["reason"]


async def test_stopped_pongs_make_offline_and_live_opens_one_network_fault(fast):
    """No pongs for 3 heartbeats is offline; while live a critical network fault opens, and
    the hub resolves it itself when the link is back."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    await op.cmd("conference.phase", {"phase": "live"})
    site = await Client.connect(fast.ws_url, await fast.login("site-hcm"))
    await op.event("link.changed", site="HCM", to="online")
    site.answer_pings = False
    offline = await op.event("link.changed", site="HCM", to="offline")
    assert offline["data"]["reason"].startswith("no answer for")
    fault = await op.event("fault.reported", site="HCM", category="network")
    assert fault["data"]["severity"] == "critical"
    site.answer_pings = True
    await op.wait_for(
        lambda f: (
            f["type"] == "event"
            and f["name"] == "link.changed"
            and f["data"]["site"] == "HCM"
            and f["data"]["from"] == "offline"
        )
    )
    closed = await op.event("fault.resolved", fault_id=fault["data"]["fault_id"])
    assert closed["actor"]["account"] == "system" and closed["data"]["auto"] is True
    assert "trở lại" in closed["data"]["resolution"]
    # The hub closed the fault of that outage itself: a second drop is a new one.
    await site.close()
    await op.wait_for(
        lambda f: (
            f["type"] == "event"
            and f["name"] == "link.changed"
            and f["data"]["site"] == "HCM"
            and f["data"]["reason"] == "connection closed"
        )
    )
    await op.cmd("conference.phase", {"phase": "ended"})
    await op.event("conference.phase", phase="ended")
    network = [e for e in op.events if e["name"] == "fault.reported" and e["data"]["site"] == "HCM"]
    assert len(network) == 2


async def test_last_session_closing_is_offline_at_once_but_not_while_another_is_open(fast):
    """A site with a browser and an agent stays up when one closes; offline when both do."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    token = await fast.login("site-dng")
    browser = await Client.connect(fast.ws_url, token)
    agent = await Client.connect(fast.ws_url, token, codec="msgpack")
    await op.event("link.changed", site="DNG", to="online")
    await browser.close()
    frame = await op.wait_for(
        lambda f: f["type"] == "links" and f["sites"].get("DNG", {}).get("sessions") == 1
    )
    assert frame["sites"]["DNG"]["state"] == "online"
    await agent.close()
    closed = await op.event("link.changed", site="DNG", to="offline")
    assert closed["data"]["reason"] == "connection closed"


async def test_stats_riding_on_pongs_count_as_stats_frames(fast):
    """[ext] A pong with stats is one frame for two: the RTT and the site's own report."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    site = await Client.connect(fast.ws_url, await fast.login("site-hue"))
    await op.event("link.changed", site="HUE", to="online")
    start = len(site.frames)
    site.pong_stats = {"rtt_ms": "fast"}
    err = await site.wait_for(lambda f: f["type"] == "error", start=start)
    assert (err["code"], err["field"]) == ("invalid_args", "stats.rtt_ms")
    site.pong_stats = {"audio": "fail", "video": "ok", "loss_pct": 1.0}
    degraded = await op.event("link.changed", site="HUE", to="degraded")
    assert "audio failing" in degraded["data"]["reason"]
    after = len(op.frames)
    site.pong_stats = None  # the pongs alone still keep the site measured
    await op.event("link.changed", site="HUE", to="online", start=after)


async def test_site_stats_fold_into_health_and_bad_stats_are_refused(fast):
    """A site reporting its audio failing degrades; malformed stats get invalid_args."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    site = await Client.connect(fast.ws_url, await fast.login("site-hue"))
    await op.event("link.changed", site="HUE", to="online")
    start = len(site.frames)
    await site.send({"type": "stats", "at": 0, "stats": {"rtt_ms": "fast"}})
    err = await site.wait_for(lambda f: f["type"] == "error", start=start)
    assert (err["code"], err["field"]) == ("invalid_args", "stats.rtt_ms")

    async def report_failing_audio():
        # As a real site does: its codec's view, every heartbeat, until told otherwise.
        while True:
            await site.send(
                {
                    "type": "stats",
                    "at": 0,
                    "stats": {"audio": "fail", "video": "ok", "loss_pct": 1.0},
                }
            )
            await asyncio.sleep(0.1)

    reporter = asyncio.create_task(report_failing_audio())
    try:
        degraded = await op.event("link.changed", site="HUE", to="degraded")
    finally:
        reporter.cancel()
    assert "audio failing" in degraded["data"]["reason"]
    chair = await Client.connect(fast.ws_url, await fast.login("chair"))
    start = len(chair.frames)
    await chair.send({"type": "stats", "stats": {}})
    assert (await chair.wait_for(lambda f: f["type"] == "error", start=start))[
        "code"
    ] == "forbidden"


async def test_links_frames_go_to_consoles_and_each_site_sees_only_itself(fast):
    """Consoles get every site in links frames; a site gets frames with its own site only."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    assert len(op.links[0]["sites"]) == 35  # the whole picture at once, on connect
    hni = await Client.connect(fast.ws_url, await fast.login("site-hni"))
    hcm = await Client.connect(fast.ws_url, await fast.login("site-hcm"))
    await op.wait_for(
        lambda f: (
            f["type"] == "links"
            and {"HNI", "HCM"} <= set(f["sites"])
            and f["sites"]["HNI"]["rtt_ms"] is not None
        )
    )
    # rtt_ms may be 0.0 on loopback (a millisecond clock): present, not truthy.
    await hni.wait_for(
        lambda f: f["type"] == "links" and f["sites"].get("HNI", {}).get("rtt_ms") is not None
    )
    assert all(set(f["sites"]) == {"HNI"} for f in hni.links)
    assert all(set(f["sites"]) == {"HCM"} for f in hcm.links)
    stamps = [f["at"] for f in op.links[1:]]
    assert all(b - a >= 900 for a, b in zip(stamps, stamps[1:], strict=False))


async def test_link_history_route(fast):
    """GET /sites/{code}/link returns the ring of samples; a site may read only its own."""
    site_token = await fast.login("site-hni")
    site = await Client.connect(fast.ws_url, site_token)
    await site.wait_for(lambda f: f["type"] == "links" and f["sites"]["HNI"]["rtt_ms"] is not None)
    op_token = await fast.login("operator")
    async with httpx.AsyncClient(base_url=fast.url) as http:
        r = await http.get(
            "/api/conferences/demo/sites/HNI/link?since=0",
            headers={"Authorization": f"Bearer {op_token}"},
        )
        body = r.json()
        assert r.status_code == 200 and body["site"] == "HNI" and body["samples"]
        assert body["samples"][-1]["state"] in ("online", "unknown")
        other = await http.get(
            "/api/conferences/demo/sites/HCM/link",
            headers={"Authorization": f"Bearer {site_token}"},
        )
        assert other.status_code == 404


async def test_revoked_account_loses_its_open_session(tmp_path):
    """Revoking an account closes its live session with 4001 and refuses its commands."""
    conference = tmp_path / "conf"
    shutil.copytree(DEMO, conference)  # never change the shipped demo accounts
    async with running_hub(conference, tmp_path / "d", heartbeat_s=0.2) as h:
        site = await Client.connect(h.ws_url, await h.login("site-cmu"))
        h.runtime.accounts["demo"].revoke("site-cmu")
        answer = await site.cmd("site.status", {"audio": "ok", "video": "ok"})
        assert answer["code"] == "unauthenticated"
        assert await site.wait_closed() == 4001


async def test_a_busy_hub_is_not_read_as_a_slow_network(fast):
    """Pongs that waited for a blocked event loop (the hub busy, 400 ms at a time) are
    not judged: the site stays online. Without the loop-lag discount the very same
    pauses degrade it, so the test can fail."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    site = await Client.connect(fast.ws_url, await fast.login("site-hni"))
    await op.event("link.changed", site="HNI", to="online")
    monitor = fast.runtime.links["demo"]
    assert monitor.loop_lag is not None
    site.stall_on_ping_s = 0.4
    async with asyncio.timeout(10):
        while monitor.discounted < 4:  # four pongs taken across a pause, set aside
            await asyncio.sleep(0.05)
    assert monitor.sites["HNI"].health.state == "online"
    assert not any(e["name"] == "link.changed" and e["data"]["to"] == "degraded" for e in op.events)
    monitor.loop_lag = None  # the same pauses, judged as RTT
    degraded = await op.event("link.changed", site="HNI", to="degraded")
    assert degraded["data"]["rtt_ms"] > 300
    site.stall_on_ping_s = 0.0
