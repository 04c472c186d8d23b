"""The bridge's own view of each site, posted to the ingest route by a bridge account."""

from __future__ import annotations

import httpx

from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub

GOOD = {"loss_pct": 0.2, "jitter_ms": 8, "rtt_ms": 35, "bitrate_kbps": 1800}


async def _post(hub, token: str, body: dict) -> httpx.Response:
    async with httpx.AsyncClient(base_url=hub.url) as http:
        return await http.post(
            "/api/conferences/demo/bridge/samples",
            headers={"Authorization": f"Bearer {token}"},
            json=body,
        )


async def test_the_site_link_follows_the_bridge_once_it_reports(tmp_path):
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=0.5) as hub:
        op = await Client.connect(hub.ws_url, await hub.login("operator"))
        await op.cmd("conference.phase", {"phase": "live"})
        bridge = await hub.login("bridge")
        sample = {"site": "HUE", "in_call": True, "rx": GOOD, "tx": GOOD}
        r = await _post(hub, bridge, {"samples": [sample, {**sample, "site": "NOPE"}]})
        assert r.status_code == 200, r.text
        assert r.json() == {"accepted": 1, "unknown_sites": ["NOPE"]}
        ev = await op.event("link.changed", seconds=5, site="HUE", to="online")
        assert ev["data"]["source"] == "bridge" and ev["data"]["rtt_ms"] == 35

        # Loss on the way from the site to the bridge: the worse direction is judged.
        lossy = {**sample, "rx": {**GOOD, "loss_pct": 8.0}}
        for _ in range(3):
            assert (await _post(hub, bridge, {"samples": [lossy]})).status_code == 200
        ev = await op.event("link.changed", seconds=5, site="HUE", to="degraded")
        assert ev["data"]["source"] == "bridge"
        assert ev["data"]["cause"]["problems"][0]["code"] == "loss_high"

        # The participant leaves the call: offline at once, with its fault.
        r = await _post(hub, bridge, {"samples": [{"site": "HUE", "in_call": False}]})
        assert r.status_code == 200
        ev = await op.event("link.changed", seconds=5, site="HUE", to="offline")
        assert ev["data"]["cause"] == {"code": "left_call"}
        await op.event("fault.reported", seconds=5, site="HUE")
        snapshot = await _get_snapshot(hub)
        link = snapshot["state"]["sites"]["HUE"]["link"]
        assert link["source"] == "bridge" and link["sources"]["bridge"]["in_call"] is False
        assert link["presence"] == "offline"  # no technician has connected
        await op.close()


async def _get_snapshot(hub) -> dict:
    token = await hub.login("operator")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        r = await http.get(
            "/api/conferences/demo/snapshot", headers={"Authorization": f"Bearer {token}"}
        )
    assert r.status_code == 200
    return dict(r.json())


async def test_bad_samples_are_refused_whole_with_the_field(tmp_path):
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30) as hub:
        bridge = await hub.login("bridge")
        ok = {"site": "HUE", "in_call": True}
        for body, field in (
            ({}, "samples"),
            ({"samples": [ok, {"site": "HUE"}]}, "samples.1.in_call"),
            ({"samples": [{**ok, "rx": {"loss_pct": 101}}]}, "samples.0.rx.loss_pct"),
            ({"samples": [{**ok, "rx": {"loss_pct": True}}]}, "samples.0.rx.loss_pct"),
            ({"samples": [{**ok, "tx": {"mos": 4}}]}, "samples.0.tx.mos"),
            ({"samples": [{**ok, "extra": 1}]}, "samples.0.extra"),
        ):
            r = await _post(hub, bridge, body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["field"] == field
        # Nothing of a refused body was taken: HUE has no bridge source.
        assert hub.runtime.links["demo"].sites["HUE"].bridge is None


async def test_a_bridge_account_is_no_console_and_a_console_no_bridge(tmp_path):
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30) as hub:
        bridge = await hub.login("bridge")
        async with httpx.AsyncClient(base_url=hub.url) as http:
            auth = {"Authorization": f"Bearer {bridge}"}
            r = await http.get("/api/conferences/demo/snapshot", headers=auth)
            assert r.status_code == 403
            body = {"id": "x", "name": "conference.phase", "args": {"phase": "live"}}
            r = await http.post("/api/conferences/demo/commands", headers=auth, json=body)
            assert r.status_code == 403
        client = await Client.connect(hub.ws_url, bridge)
        assert await client.wait_closed() == 4003
        operator = await hub.login("operator")
        r = await _post(hub, operator, {"samples": []})
        assert r.status_code == 403
