"""Resume after reconnect: every missed event exactly once, in order, then live ones."""

import asyncio

from tests.support.client import Client


async def test_resume_replays_exactly_the_missed_events(hub):
    """A console that drops and resumes gets the events it missed, no gap and no duplicate."""
    op_token = await hub.login("operator")
    site = await Client.connect(hub.ws_url, await hub.login("site-hni"))
    watcher = await Client.connect(hub.ws_url, op_token, codec="msgpack")
    for i in range(5):
        await site.cmd("site.status", {"audio": "ok", "video": "ok", "note": f"trước {i}"})
    await watcher.wait_for(lambda f: f.get("seq") == 5 and f["type"] == "event")
    seen = watcher.last_seq
    await watcher.close()

    for i in range(30):
        await site.cmd(
            "fault.report", {"category": "audio", "severity": "minor", "description": f"lỗi {i}"}
        )
    resumed = await Client.connect(hub.ws_url, op_token, codec="msgpack", resume_after=seen)
    assert resumed.snapshot is None
    assert resumed.synced["seq"] == 35
    await site.cmd("site.status", {"audio": "fail", "video": "ok", "note": "sau"})
    await resumed.event("site.status", note="sau")
    seqs = [e["seq"] for e in resumed.events]
    assert seqs == list(range(6, 37))


async def test_resume_under_concurrent_load_has_no_gap_or_duplicate(hub):
    """Events committed while a session resumes arrive once each, in seq order."""
    op_token = await hub.login("operator")
    sites = [
        await Client.connect(hub.ws_url, await hub.login(f"site-{c}"))
        for c in ("hni", "hcm", "dng", "hue")
    ]

    async def load(client, n):
        for i in range(n):
            await client.cmd("site.status", {"audio": "ok", "video": "ok", "note": str(i)})

    for s in sites:
        await s.cmd("site.checkin", {"technician": "KTV", "phone": "0900"})
    task = asyncio.gather(*(load(s, 25) for s in sites))
    resumers = []
    for _ in range(5):
        await asyncio.sleep(0)
        resumers.append(await Client.connect(hub.ws_url, op_token, resume_after=2))
    await task
    final = hub.hub.durable_seq
    for r in resumers:
        await r.wait_for(lambda f: f["type"] == "event" and f["seq"] == final, seconds=10)
        assert [e["seq"] for e in r.events] == list(range(3, final + 1))


async def test_resume_from_the_future_or_garbage_gets_a_snapshot(hub):
    """resume_after beyond the log, or negative, is answered with a snapshot, not an error."""
    token = await hub.login("chair")
    ahead = await Client.connect(hub.ws_url, token, resume_after=10_000)
    assert ahead.snapshot is not None and ahead.synced["seq"] == 0
    bad = await Client.connect(hub.ws_url, token, resume_after=-5)
    assert bad.snapshot is not None


async def test_site_resume_skips_what_it_may_not_see(hub):
    """A resuming site gets only its own and public events from the gap."""
    token = await hub.login("site-hcm")
    hni = await Client.connect(hub.ws_url, await hub.login("site-hni"))
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    await hni.cmd("fault.report", {"category": "audio", "severity": "minor", "description": "x"})
    await op.cmd(
        "fault.report",
        {"site": "HCM", "category": "video", "severity": "minor", "description": "y"},
    )
    await op.cmd("conference.phase", {"phase": "live"})
    hcm = await Client.connect(hub.ws_url, token, resume_after=0)
    assert [(e["name"], e["seq"]) for e in hcm.events] == [
        ("fault.reported", 2),
        ("conference.phase", 3),
    ]
