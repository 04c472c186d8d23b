"""Simulated sites: profiles as specified, and real sessions that check in and stay up."""

import asyncio
import contextlib
import random

from controlroom.agent.simulator import Profile, assign_profiles, simulate
from tests.support.client import Client
from tests.support.timing import timeout


def test_profiles_include_congestion_flapping_and_a_dropout():
    """Among 35 sites: three congested, one flappy, one dropping out, the rest steady."""
    codes = [f"S{i:02d}" for i in range(35)]
    kinds = [p.kind for p in assign_profiles(codes, seed=7).values()]
    assert kinds.count("congested") == 3 and kinds.count("flappy") == 1
    assert kinds.count("dropout") == 1 and kinds.count("steady") == 30


def test_congested_episode_is_over_the_threshold_and_outages_end():
    """A congestion episode has RTT over 300 ms; a dropout lasts 45 s in every 240 s."""
    rng = random.Random(1)
    congested = Profile("congested", 40, 0)
    assert congested.rtt_ms(10, rng) < 100 and congested.rtt_ms(150, rng) > 300
    dropout = Profile("dropout", 40, 0)
    offline = [t for t in range(240) if dropout.offline_for(t) > 0]
    assert offline[0] == 150 and len(offline) == 45


async def test_simulated_sites_check_in_and_come_online(tmp_path):
    """Five simulated sites log in, check in and turn online at the operator's console."""
    from tests.conftest import DEMO
    from tests.support.server import running_hub

    async with running_hub(DEMO, tmp_path / "d", heartbeat_s=0.3) as h:
        op = await Client.connect(h.ws_url, await h.login("operator"))
        sites = [
            ("site-hni", "HNI", None),
            ("site-hcm", "HCM", None),
            ("site-dng", "DNG", None),
            ("site-hue", "HUE", None),
            ("site-cto", "CTO", None),
        ]
        task = asyncio.create_task(simulate(h.url, sites, fault_per_min=0, speak_per_min=0))
        try:
            for _, code, _ in sites:
                await op.event("site.checked_in", site=code, seconds=15)
                await op.event("link.changed", site=code, to="online", seconds=15)
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout())


async def test_the_demo_shows_all_three_sources_alive(tmp_path):
    """Endpoints on loopback (written into the demo's sites.csv) and the simulated bridge:
    every simulated site's link shows the bridge, the endpoint and the console, online."""
    import shutil

    from controlroom.demo import assign_endpoints
    from tests.conftest import DEMO
    from tests.support.server import running_hub

    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    codes = ["HNI", "HCM", "DNG", "HUE"]
    ports = assign_endpoints(conf, codes)
    sites = [(f"site-{c.lower()}", c, ports[c]) for c in codes]
    async with running_hub(conf, tmp_path / "d", heartbeat_s=0.5) as h:
        assert h.runtime.links["demo"].sites["HNI"].endpoint is not None
        assert h.runtime.links["demo"].sites["TW"].endpoint is None
        op = await Client.connect(h.ws_url, await h.login("operator"))
        task = asyncio.create_task(simulate(h.url, sites, fault_per_min=0, speak_per_min=0))

        def all_three(frame):
            if frame.get("type") != "links":
                return False
            for code in codes:
                link = op_links.setdefault(code, {})
                link.update((frame.get("sites") or {}).get(code) or {})
            return all(
                set(op_links[c].get("sources") or {}) == {"bridge", "endpoint", "console"}
                and all(v["state"] == "online" for v in op_links[c]["sources"].values())
                and op_links[c]["source"] == "bridge"
                and op_links[c]["presence"] == "online"
                for c in codes
            )

        op_links: dict = {}
        try:
            await op.wait_for(all_three, seconds=30)
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout())
