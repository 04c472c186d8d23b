"""The bridge's own view of each site, from a real Janus (VideoRoom) and aiortc peers.

Each peer joins the room as a publisher under its site's display name, as a room's
codec would; the hub reads Janus's Admin API every heartbeat (``[bridge]`` in
conference.toml) and the site's link follows the bridge.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.janus import ADMIN_SECRET, Janus, JanusPeer, Unavailable, start_janus
from tests.support.server import RunningHub, running_hub

pytestmark = [pytest.mark.timeout(90)]
ROOM = 1234
SITES = ("HUE", "DNG")


@pytest.fixture
async def janus(tmp_path: Path) -> AsyncIterator[Janus]:
    try:
        running = await start_janus(tmp_path)
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def hub(janus: Janus, tmp_path: Path) -> AsyncIterator[RunningHub]:
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    with (conf / "conference.toml").open("a", encoding="utf-8") as f:
        f.write(
            f'\n[bridge]\nkind = "janus"\nadmin_url = "{janus.admin_url}"\n'
            f'admin_secret = "{ADMIN_SECRET}"\nroom = {ROOM}\n'
        )
    async with running_hub(conf, tmp_path / "data", heartbeat_s=0.5) as running:
        yield running


def _in_call(op: Client, codes, media: bool = False) -> bool:
    """Whether the bridge has every site of ``codes`` in the call and online (with media)."""
    for code in codes:
        link = op.link_of(code)
        bridge = (link.get("sources") or {}).get("bridge") or {}
        if bridge.get("in_call") is not True or link.get("state") != "online":
            return False
        if media and (bridge.get("rx") or {}).get("bitrate_kbps", 0) <= 0:
            return False
    return True


async def test_sites_in_the_room_follow_the_bridge_and_leaving_is_offline(
    janus: Janus, hub: RunningHub
) -> None:
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    await op.cmd("conference.phase", {"phase": "live"})
    hue, dng = JanusPeer(janus, ROOM, "HUE"), JanusPeer(janus, ROOM, "Đà Nẵng")
    await hue.create_room()
    try:
        await hue.join()
        await dng.join()

        await op.wait_for(lambda f: _in_call(op, SITES, media=True), seconds=30)
        entry = op.link_of("HUE")
        assert entry["source"] == "bridge"
        rx = entry["sources"]["bridge"]["rx"]
        assert rx["bitrate_kbps"] > 0 and rx["loss_pct"] == 0
        assert op.link_of("TW").get("source") == "console"  # never in the room: not reported

        mark = len(op.frames)
        await hue.leave()
        ev = await op.event("link.changed", seconds=10, start=mark, site="HUE")
        assert ev["data"]["to"] == "offline" and ev["data"]["source"] == "bridge"
        assert ev["data"]["cause"] == {"code": "left_call"}
        assert op.link_of("DNG").get("state") == "online"
    finally:
        await dng.leave()
        await op.close()


async def test_loss_between_a_peer_and_the_bridge_is_the_sites_loss(
    janus: Janus, hub: RunningHub
) -> None:
    """10 % of a peer's packets lost on the way to Janus: its site degraded, for loss."""
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    hue = JanusPeer(janus, ROOM, "HUE")
    await hue.create_room()
    try:
        await hue.join()
        await op.wait_for(lambda f: _in_call(op, ["HUE"]), seconds=30)
        mark = len(op.frames)
        hue.impair(10)
        ev = await op.event("link.changed", seconds=30, start=mark, site="HUE")
        assert ev["data"]["to"] == "degraded" and ev["data"]["source"] == "bridge"
        problems = {p["code"]: p for p in ev["data"]["cause"]["problems"]}
        assert "loss_high" in problems, ev["data"]["cause"]
        assert 4 <= problems["loss_high"]["loss_pct"] <= 40
    finally:
        await hue.leave()
        await op.close()
