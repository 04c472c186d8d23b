"""One decider per conference: edges relay, a killed decider is replaced, a paused one fenced.

Two real hub processes on one real redis-server. The first to start holds the
conference's lease; the second is an edge that relays every command to it.
"""

import asyncio
import itertools
import re
import signal
import time

import httpx
import pytest

from controlroom.store.redis_streams import RedisEventLog
from tests.support.client import Client
from tests.support.logcheck import assert_acked_faults_in_log
from tests.support.processes import free_port, login, start_hub_process
from tests.support.redis_server import RedisServer
from tests.support.timing import timeout

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")

_ids = itertools.count(1)


async def _metric(base: str, name: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{base}/metrics")).text
    found = re.search(rf'^{name}{{conference="demo"}} (\S+)$', text, re.M)
    assert found is not None, f"{name} not in /metrics"
    return float(found.group(1))


async def _until_decider(base: str, seconds: float = 10) -> None:
    async with asyncio.timeout(timeout(seconds)):
        while await _metric(base, "controlroom_decider") != 1:
            await asyncio.sleep(0.1)


class Load:
    """Operators reporting faults as fast as a session may; a command is sent again until acked."""

    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients
        self.acked: dict[str, int] = {}
        self.ack_times: list[float] = []
        self.retried = 0
        self.stop = asyncio.Event()
        self.tasks = [asyncio.create_task(self._run(c, k)) for k, c in enumerate(clients)]

    async def _run(self, client: Client, k: int) -> None:
        while not self.stop.is_set():
            cid = f"w{k}-{next(_ids)}"
            args = {"site": "HNI", "category": "audio", "severity": "minor", "description": cid}
            while True:
                # A command sent just before the decider is paused waits the pause out:
                # until B holds the lease (3 s and more) and has acked 50 of its own.
                answer = await client.cmd("fault.report", args, id=cid, seconds=20)
                if answer["type"] == "ack":
                    self.acked[cid] = answer["seq"]
                    self.ack_times.append(time.monotonic())
                    break
                assert answer["code"] == "internal", answer  # nothing recorded: send it again
                self.retried += 1
                await asyncio.sleep(0.05)
            # Under the session's command rate (20/s) however fast the answers come.
            await asyncio.sleep(0.055)

    async def until(self, count: int, seconds: float = 20) -> None:
        async with asyncio.timeout(timeout(seconds)):
            while len(self.acked) < count:
                await asyncio.sleep(0.01)

    async def finish(self) -> None:
        self.stop.set()
        async with asyncio.timeout(timeout(30)):
            await asyncio.gather(*self.tasks)


async def _check_log(redis: RedisServer, acked: dict[str, int]) -> None:
    """Every acknowledged fault is in the log once, at its seq; the chain has no gap."""
    log = RedisEventLog(redis.url)
    await log.open()
    try:
        records = await log.read("demo", 0)
    finally:
        await log.close()
    assert_acked_faults_in_log(records, acked)


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


class _Pair(list):
    """The two (process, base URL) pairs, and the Redis they share."""

    def __init__(self, started, redis):
        super().__init__(started)
        self.redis = redis


@pytest.fixture
async def pair(tmp_path, redis):
    """A (started first: the decider) and B (an edge): their processes and base URLs."""
    started = []
    try:
        for name in ("a", "b"):
            port = free_port()
            proc = await start_hub_process(
                tmp_path / name, port, "--redis", redis.url, "--heartbeat-s", "30"
            )
            started.append((proc, f"http://127.0.0.1:{port}"))
        yield _Pair(started, redis)
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGTERM)
        for proc, _ in started:
            proc.wait(timeout=15)


async def _operators(base: str, n: int) -> list[Client]:
    token = await login(base, "operator")
    ws = base.replace("http", "ws") + "/ws"
    return [await Client.connect(ws, token, codec="msgpack") for _ in range(n)]


async def test_an_edge_relays_to_the_decider_without_a_conflict(pair):
    """B relays every command to A; both decide nothing twice and the log has no conflict."""
    (_, a), (_, b) = pair
    await _until_decider(a)
    assert await _metric(b, "controlroom_decider") == 0
    watcher = (await _operators(a, 1))[0]
    load = Load(await _operators(a, 2) + await _operators(b, 2))
    await load.until(300)
    await load.finish()
    # The events of B's acks were on B before the ack, and reach A's sessions too.
    last = max(load.acked.values())
    await watcher.wait_for(lambda f: f.get("seq", 0) >= last, seconds=10)
    assert await _metric(a, "controlroom_log_conflicts") == 0
    assert await _metric(b, "controlroom_log_conflicts") == 0
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{b}/metrics")).text
    relayed = re.search(r'controlroom_relayed_commands{conference="demo",way="out"} (\S+)', text)
    from_b = [cid for cid in load.acked if cid.startswith(("w2-", "w3-"))]
    assert relayed is not None and float(relayed.group(1)) >= len(from_b) > 100
    await _check_log(pair.redis, load.acked)


async def test_killing_the_decider_under_load_loses_nothing_and_an_edge_takes_over(pair):
    """kill -9 of the decider: B decides within 5 s; every ack is in the log, none twice."""
    (a_proc, a), (_, b) = pair
    await _until_decider(a)
    load = Load(await _operators(b, 4))
    await load.until(200)
    killed_at = time.monotonic()
    a_proc.kill()
    a_proc.wait(timeout=10)
    before = len(load.acked)
    await load.until(before + 200, seconds=30)
    await load.finish()
    after_kill = [t for t in load.ack_times if t > killed_at]
    # The acks right after the kill are of commands A had already decided; the gap is
    # the longest silence after the kill, while B waited for A's lease to expire.
    gaps = [y - x for x, y in itertools.pairwise([killed_at, *after_kill])]
    assert max(gaps) < 5.0, f"no answer for {max(gaps):.1f} s after the kill"
    assert await _metric(b, "controlroom_decider") == 1
    assert await _metric(b, "controlroom_log_conflicts") == 0
    await _check_log(pair.redis, load.acked)


async def test_a_paused_decider_is_fenced_off_and_its_sessions_relay(pair):
    """SIGSTOP the decider until B has its lease; on SIGCONT it never writes, it relays."""
    (a_proc, a), (_, b) = pair
    await _until_decider(a)
    load = Load(await _operators(a, 2) + await _operators(b, 2))
    await load.until(100)
    a_proc.send_signal(signal.SIGSTOP)
    try:
        await _until_decider(b)
        before = len(load.acked)
        await load.until(before + 50)
    finally:
        a_proc.send_signal(signal.SIGCONT)
    # A's clients wait on commands A decided before it was paused: A's appends carry
    # the old fencing token and are refused; they are relayed to B and acked there.
    await load.until(len(load.acked) + 100, seconds=30)
    await load.finish()
    assert await _metric(a, "controlroom_decider") == 0
    assert await _metric(b, "controlroom_decider") == 1
    await _check_log(pair.redis, load.acked)
