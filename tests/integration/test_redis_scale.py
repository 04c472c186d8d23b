"""Several hub instances on one Redis, and Redis failing under load."""

import asyncio
import signal

import httpx
import pytest

from controlroom.domain import Actor
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.logcheck import assert_acked_faults_in_log
from tests.support.processes import free_port, login, start_hub_process
from tests.support.redis_server import RedisServer
from tests.support.server import running_hub
from tests.support.timing import timeout

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")


@pytest.fixture
async def two_hubs(tmp_path):
    """Two hub processes sharing one Redis; yields their base URLs."""
    redis = RedisServer(tmp_path / "redis").start()
    ports = [free_port(), free_port()]
    procs = []
    try:
        for i, port in enumerate(ports):
            procs.append(
                await start_hub_process(
                    tmp_path / f"data{i}", port, "--redis", redis.url, "--heartbeat-s", "30"
                )
            )
        yield [f"http://127.0.0.1:{p}" for p in ports]
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=10)
        redis.stop()


async def test_two_instances_see_each_other_and_exactly_one_assistant_wins(two_hubs):
    """A fault on A reaches B; two assistants granting at once: exactly one wins."""
    a, b = two_hubs
    ws = [u.replace("http", "ws") + "/ws" for u in (a, b)]
    op_b = await Client.connect(ws[1], await login(b, "operator"), codec="msgpack")
    site_a = await Client.connect(ws[0], await login(a, "site-hni"))
    fid = (
        await site_a.cmd(
            "fault.report", {"category": "audio", "severity": "major", "description": "Mất tiếng"}
        )
    )["result"]["fault_id"]
    await op_b.event("fault.reported", fault_id=fid)
    ack = await op_b.cmd("fault.ack", {"fault_id": fid})
    assert ack["type"] == "ack", ack
    await site_a.event("fault.acknowledged", fault_id=fid)

    asst = [
        await Client.connect(w, await login(u, "assistant"))
        for w, u in zip(ws, (a, b), strict=True)
    ]
    r1 = (
        await asst[0].cmd(
            "speak.add",
            {"site": "HUE", "speaker": "Một", "title": "T", "topic": "X", "kind": "speech"},
        )
    )["result"]["request_id"]
    r2 = (
        await asst[1].cmd(
            "speak.add",
            {"site": "HCM", "speaker": "Hai", "title": "T", "topic": "Y", "kind": "speech"},
        )
    )["result"]["request_id"]
    await asst[0].event("speak.approved", request_id=r2)
    await asst[1].event("speak.approved", request_id=r1)
    answers = await asyncio.gather(
        asst[0].cmd("speak.grant", {"request_id": r1}),
        asst[1].cmd("speak.grant", {"request_id": r2}),
    )
    kinds = sorted(x["type"] for x in answers)
    assert kinds == ["ack", "error"]
    assert next(x for x in answers if x["type"] == "error")["code"] == "conflict"


async def test_every_session_sees_the_same_order_with_no_gap(two_hubs):
    """Commands on both instances at once: every console sees one order, no gap, no duplicate."""
    a, b = two_hubs
    ws = {u: u.replace("http", "ws") + "/ws" for u in (a, b)}
    consoles = [await Client.connect(ws[u], await login(u, "operator")) for u in (a, b, a, b)]
    sites = {"site-hni": a, "site-hcm": b, "site-dng": a, "site-hue": b}
    clients = [
        await Client.connect(ws[u], await login(u, name), codec="msgpack")
        for name, u in sites.items()
    ]

    async def load(client):
        for i in range(15):
            answer = await client.cmd("site.status", {"audio": "ok", "video": "ok", "note": str(i)})
            assert answer["type"] == "ack", answer

    await asyncio.gather(*(load(c) for c in clients))
    final = 60
    for console in consoles:
        await console.wait_for(lambda f: f["type"] == "event" and f["seq"] >= final, seconds=10)
    orders = [
        [(e["seq"], e["name"], e["data"].get("note"), e["data"]["site"]) for e in c.events]
        for c in consoles
    ]
    assert [o[0] for o in orders[0]] == list(range(1, final + 1))
    assert all(order == orders[0] for order in orders)


async def test_redis_killed_under_load_loses_nothing_acknowledged(tmp_path):
    """SIGKILL of Redis mid-load: no acked command lost or doubled; the hub recovers alone."""
    redis = RedisServer(tmp_path / "redis").start()
    try:
        async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, redis_url=redis.url) as h:
            hub = h.hub
            acked: dict[str, int] = {}
            failed = 0
            stop = asyncio.Event()

            async def hammer(k):
                nonlocal failed
                op = Actor(f"op{k}", "operator", None)
                i = 0
                while not stop.is_set():
                    i += 1
                    cid = f"{k}-{i}"
                    answer = await hub.execute(
                        op,
                        cid,
                        "fault.report",
                        {
                            "site": "HNI",
                            "category": "audio",
                            "severity": "minor",
                            "description": cid,
                        },
                    )
                    if answer["type"] == "ack":
                        acked[cid] = answer["seq"]
                    else:
                        assert answer["code"] == "internal"
                        failed += 1
                        await asyncio.sleep(0.02)

            workers = [asyncio.create_task(hammer(k)) for k in range(8)]
            async with asyncio.timeout(timeout(20)):
                while len(acked) < 200:
                    await asyncio.sleep(0.01)
            redis.kill(signal.SIGKILL)
            async with httpx.AsyncClient(base_url=h.url) as http, asyncio.timeout(timeout(20)):
                while (await http.get("/healthz")).status_code != 503:
                    await asyncio.sleep(0.05)
                before = len(acked)
                redis.start()
                while (await http.get("/healthz")).status_code != 200:
                    await asyncio.sleep(0.05)
                while len(acked) < before + 100:
                    await asyncio.sleep(0.02)
            stop.set()
            await asyncio.gather(*workers)
            assert failed > 0, "the outage was noticed"
            records = await hub.store.read(hub.id, 0)
            assert_acked_faults_in_log(records, acked)
    finally:
        redis.stop()


async def test_links_cross_instances_and_only_the_holder_judges_a_site(tmp_path):
    """Operators on B see A's site in links frames; B never marks it offline while A holds it."""
    redis = RedisServer(tmp_path / "redis").start()
    try:
        opts = {"heartbeat_s": 0.3, "redis_url": redis.url}
        async with (
            running_hub(DEMO, tmp_path / "a", **opts) as a,
            running_hub(DEMO, tmp_path / "b", **opts) as b,
        ):
            op_b = await Client.connect(b.ws_url, await b.login("operator"))
            site = await Client.connect(a.ws_url, await a.login("site-qni"))
            await op_b.event("link.changed", site="QNI", to="online")
            frame = await op_b.wait_for(
                lambda f: (
                    f["type"] == "links"
                    and f["sites"].get("QNI", {}).get("sessions") == 1
                    and f["sites"]["QNI"]["rtt_ms"] is not None
                )
            )
            assert frame["sites"]["QNI"]["state"] == "online"
            # Well past B's silence limit (3 heartbeats), a later event of the site's
            # proves B wrote nothing about it meanwhile: still exactly one link event.
            # (Not a ``links`` frame: B sends one only when A's figures for the site move,
            # and on loopback they may not move for seconds.)
            await asyncio.sleep(1.5)
            answer = await site.cmd(
                "speak.request",
                {"speaker": "Trần B", "title": "Chủ tịch", "topic": "Mạng", "kind": "speech"},
            )
            assert answer["type"] == "ack", answer
            await op_b.event("speak.requested", request_id=answer["result"]["request_id"])
            changes = [
                e for e in op_b.events if e["name"] == "link.changed" and e["data"]["site"] == "QNI"
            ]
            assert [c["data"]["to"] for c in changes] == ["online"], [c["data"] for c in changes]
            await site.close()
            closed = await op_b.event("link.changed", site="QNI", to="offline")
            assert closed["data"]["reason"] == "connection closed"
    finally:
        redis.stop()


async def test_timers_fire_once_across_instances(tmp_path):
    """Two instances share one clock's decisions: one speak.warning, one overrun, one escalation."""
    from controlroom.config import load_conference
    from controlroom.service.hub import ConferenceHub
    from controlroom.store.redis_streams import RedisEventLog

    class Clock:
        now = 1_800_000_000_000

        def __call__(self) -> int:
            return self.now

    redis = RedisServer(tmp_path / "redis").start()
    clock = Clock()
    stores = [RedisEventLog(redis.url), RedisEventLog(redis.url)]
    hubs = []
    try:
        for store in stores:
            await store.open()
            hub = ConferenceHub(load_conference(DEMO), store, clock)
            await hub.start()
            hubs.append(hub)
        a, b = hubs
        asst, op = Actor("assistant", "assistant", None), Actor("operator", "operator", None)
        added = await a.execute(
            asst,
            "add",
            "speak.add",
            {"site": "HUE", "speaker": "Một", "title": "T", "topic": "X", "kind": "speech"},
        )
        await a.execute(
            asst,
            "grant",
            "speak.grant",
            {"request_id": added["result"]["request_id"], "limit_s": 120},
        )
        await a.execute(
            op,
            "crit",
            "fault.report",
            {"site": "HNI", "category": "power", "severity": "critical", "description": "Mất điện"},
        )
        async with asyncio.timeout(timeout()):
            while b.durable_seq < a.durable_seq:
                await asyncio.sleep(0.01)
        clock.now += 120_000  # past the warning, the overrun and the escalation delay
        for hub in hubs:
            hub.poke()

        async def names():
            return [r.event.name for r in await stores[0].read("demo", 0)]

        async with asyncio.timeout(timeout()):
            while not {"speak.overrun", "fault.escalated", "speak.warning"} <= set(await names()):
                await asyncio.sleep(0.02)
        for hub in hubs:  # give both another round at the same time
            hub.poke()
        await asyncio.sleep(0.3)
        logged = await names()
        assert logged.count("speak.warning") == 1
        assert logged.count("speak.overrun") == 1
        assert logged.count("fault.escalated") == 1
    finally:
        for hub in hubs:
            await hub.stop()
        for store in stores:
            await store.close()
        redis.stop()


async def test_a_command_after_a_remote_event_is_decided_on_a_state_that_has_it(tmp_path):
    """B busy with refused commands while A reports: B's next decision still sees A's fault.

    Regression: the tail applied A's events to B's durable state only, while B had a
    refusal in flight; B's speculative state then stayed without them and refused
    ``fault.ack`` of a fault its operators had already been shown.
    """
    from controlroom.config import load_conference
    from controlroom.service.hub import ConferenceHub
    from controlroom.store.redis_streams import RedisEventLog

    redis = RedisServer(tmp_path / "redis").start()
    stores = [RedisEventLog(redis.url), RedisEventLog(redis.url)]
    hubs: list[ConferenceHub] = []
    stop = asyncio.Event()
    try:
        for store in stores:
            await store.open()
            # Refusals are stored without limit here: the race needs them all decided.
            hub = ConferenceHub(
                load_conference(DEMO),
                store,
                lambda: 1_800_000_000_000,
                refusal_rate=1e9,
                refusal_burst=1e9,
            )
            await hub.start()
            hubs.append(hub)
        a, b = hubs
        op = Actor("operator", "operator", None)
        seen: dict[str, asyncio.Event] = {}
        b.listeners.append(
            lambda e: seen.setdefault(e.data.get("fault_id", ""), asyncio.Event()).set()
        )

        async def refusals() -> None:
            i = 0
            while not stop.is_set():
                i += 1
                answer = await b.execute(op, f"no-{i}", "fault.ack", {"fault_id": "F9999"})
                assert answer.get("code") == "not_found", answer

        busy = [asyncio.create_task(refusals()) for _ in range(4)]
        for i in range(40):
            fid = (await a.execute(op, f"r{i}", "fault.report", report(i)))["result"]["fault_id"]
            async with asyncio.timeout(timeout()):
                await seen.setdefault(fid, asyncio.Event()).wait()
            ack = await b.execute(op, f"a{i}", "fault.ack", {"fault_id": fid})
            assert ack["type"] == "ack", (i, ack)
        stop.set()
        await asyncio.gather(*busy)
    finally:
        stop.set()
        for hub in hubs:
            await hub.stop()
        for store in stores:
            await store.close()
        redis.stop()


def report(i: int) -> dict[str, str]:
    return {"site": "HNI", "category": "audio", "severity": "minor", "description": f"lỗi {i}"}
