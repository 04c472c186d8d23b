"""Relayed commands and answers pipelined under load: in order, each answered, errors told."""

import asyncio

import pytest
import redis.asyncio as aioredis

from controlroom.store.base import StoreUnavailable
from controlroom.store.redis_decider import RedisDecider
from tests.support.redis_server import RedisServer


@pytest.fixture
def server(tmp_path):
    if not RedisServer.available():
        pytest.skip("redis-server is not installed (scripts/test installs it)")
    running = RedisServer(tmp_path / "redis").start()
    yield running
    running.stop()


async def test_a_burst_of_relays_is_a_few_round_trips_in_order(server):
    """Three hundred commands relayed at once all land, in the order they were relayed,
    in far fewer round trips than commands."""
    decider = RedisDecider(server.url)
    await decider.open()
    await asyncio.gather(*(decider.relay("c", {"n": i}) for i in range(300)))
    found = await decider.relayed("c", "0-0", block_ms=100)
    assert [m["n"] for _, m in found] == list(range(300))
    trips = decider._relays
    assert trips.calls == 300 and trips.round_trips <= 10
    await decider.relay("c", {"n": 300})  # alone: written at once, one round trip
    assert trips.round_trips <= 11
    await decider.close()


async def test_answers_published_in_a_burst_all_arrive(server):
    decider = RedisDecider(server.url)
    await decider.open()
    listener = aioredis.from_url(server.url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("cr:replies:edge")
    await asyncio.gather(*(decider.reply("cr:replies:edge", {"r": i}) for i in range(50)))
    got = []
    async with asyncio.timeout(10):
        while len(got) < 50:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                got.append(message["data"])
    assert len(got) == 50 and decider._replies.round_trips < 50
    await pubsub.aclose()
    await listener.aclose()
    await decider.close()


async def test_every_waiting_relay_learns_that_redis_is_down(server):
    decider = RedisDecider(server.url)
    await decider.open()
    await decider.relay("c", {"n": 0})
    server.stop()
    results = await asyncio.gather(
        *(decider.relay("c", {"n": i}) for i in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    await decider.close()
