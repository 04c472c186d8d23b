"""The one ping timer: every session once per heartbeat, none after it left, idle when empty."""

import asyncio
from collections import Counter

from signaling.pings import PingWheel
from tests.support.timing import timeout


async def _until(predicate, seconds=5.0):
    async with asyncio.timeout(timeout(seconds)):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_each_member_is_pinged_once_per_heartbeat_and_not_after_it_left():
    pinged: Counter[str] = Counter()
    wheel = PingWheel(0.2, lambda member: pinged.update([member]), slots=10)
    for name in ("a", "b", "c"):
        wheel.add(name)
    assert len(wheel) == 3
    await _until(lambda: pinged["a"] >= 3)
    # Same slot, same heartbeat: the three are pinged in step, never one twice as often.
    assert abs(pinged["a"] - pinged["b"]) <= 1 and abs(pinged["a"] - pinged["c"]) <= 1
    wheel.remove("c")
    wheel.remove("never-added")  # harmless
    left_at = pinged["c"]
    await _until(lambda: pinged["a"] >= 6)  # three more heartbeats for the others
    assert pinged["c"] == left_at
    wheel.remove("a")
    wheel.remove("b")
    # With nobody left the timer stops at its next tick (no timer outlives the sessions).
    await _until(lambda: wheel._handle is None)
    wheel.add("d")
    await _until(lambda: pinged["d"] >= 1)
    wheel.stop()


async def test_a_late_joiner_waits_about_a_heartbeat_and_one_failure_stops_nobody():
    loop = asyncio.get_running_loop()
    times: dict[str, list[float]] = {"early": [], "late": [], "bad": []}

    def ping(member: str) -> None:
        times[member].append(loop.time())
        if member == "bad":
            raise RuntimeError("a broken session")

    wheel = PingWheel(0.4, ping, slots=8)
    wheel.add("early")
    wheel.add("bad")
    await _until(lambda: len(times["early"]) >= 1)
    joined = loop.time()
    wheel.add("late")
    await _until(lambda: len(times["late"]) >= 2)
    # The first ping of a member that joined mid-heartbeat comes about one heartbeat on.
    assert times["late"][0] - joined >= 0.4 - 0.4 / 8 - 0.01
    assert len(times["bad"]) >= 2  # it kept being pinged, and so did the others
    wheel.stop()
