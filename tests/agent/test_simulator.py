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
            ("site-hni", "HNI"),
            ("site-hcm", "HCM"),
            ("site-dng", "DNG"),
            ("site-hue", "HUE"),
            ("site-cto", "CTO"),
        ]
        task = asyncio.create_task(simulate(h.url, sites, fault_per_min=0, speak_per_min=0))
        try:
            for _, code in sites:
                await op.event("site.checked_in", site=code, seconds=15)
                await op.event("link.changed", site=code, to="online", seconds=15)
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout())
