"""Outbox bounds and ordering; fan-out encodes once per codec and respects audiences."""

from dataclasses import dataclass, field

from signaling.codecs import JsonCodec, MsgpackCodec
from signaling.fanout import Fanout
from signaling.outbox import Outbox
from signaling.pings import PingTracker
from signaling.ratelimit import TokenBucket


async def test_outbox_overflows_on_frame_limit_and_refuses_more():
    """Past max_frames the outbox flags overflow and accepts nothing further."""
    box = Outbox(max_frames=3, max_bytes=10_000)
    assert all(box.put(b"x") for _ in range(3))
    assert not box.put(b"y")
    assert box.overflowed
    assert not box.put(b"z")


async def test_outbox_overflows_on_byte_limit():
    """Past max_bytes the outbox flags overflow."""
    box = Outbox(max_frames=100, max_bytes=10)
    assert box.put(b"12345")
    assert not box.put(b"123456")
    assert box.overflowed


async def test_hold_keeps_catch_up_before_live_frames():
    """Frames put during hold() come after the catch-up frames, in their own order."""
    box = Outbox()
    box.hold()
    box.put("live-1")
    box.put("catch-up-1", live=False)
    box.put("live-2")
    box.put("catch-up-2", live=False)
    box.release()
    assert await box.take() == ["catch-up-1", "catch-up-2", "live-1", "live-2"]
    assert box.queued_bytes == 0


@dataclass(eq=False)
class Sub:
    codec: object
    outbox: Outbox = field(default_factory=Outbox)


async def test_fanout_encodes_once_per_codec_and_shares_bytes():
    """100 JSON and 100 msgpack receivers cost two encodings, and share the same object."""
    json_codec, mp_codec = JsonCodec("j"), MsgpackCodec("m")
    fan = Fanout()
    subs = [Sub(json_codec) for _ in range(100)] + [Sub(mp_codec) for _ in range(100)]
    for s in subs:
        fan.subscribe(s, ["all"])
    assert fan.publish({"type": "event", "seq": 1}, ["all"]) == 200
    assert fan.encodings == 2
    payloads = [(await s.outbox.take())[0] for s in subs]
    assert len({id(p) for p in payloads[:100]}) == 1
    assert len({id(p) for p in payloads[100:]}) == 1


async def test_fanout_delivers_once_to_a_subscriber_under_two_keys():
    """A session registered under two matching keys receives the message once."""
    fan = Fanout()
    s = Sub(JsonCodec("j"))
    fan.subscribe(s, ["site:A", "public"])
    assert fan.publish({"type": "event"}, ["all", "public", "site:A"]) == 1
    assert len(await s.outbox.take()) == 1


async def test_fanout_skips_other_audiences_and_reports_overflow():
    """Receivers outside the keys get nothing; a full outbox is reported once per publish."""
    overflowed = []
    fan = Fanout(on_overflow=overflowed.append)
    inside, outside = Sub(JsonCodec("j"), Outbox(max_frames=1)), Sub(JsonCodec("j"))
    fan.subscribe(inside, ["a"])
    fan.subscribe(outside, ["b"])
    fan.publish({"type": "e"}, ["a"])
    fan.publish({"type": "e"}, ["a"])
    assert overflowed == [inside]
    assert len(outside.outbox) == 0
    fan.unsubscribe(inside)
    assert fan.publish({"type": "e"}, ["a"]) == 0


def test_token_bucket_allows_burst_then_rate():
    """A burst of `burst` passes, the next is refused, and tokens come back with time."""
    bucket = TokenBucket(rate=10, burst=5, now=0.0)
    assert all(bucket.allow(0.0) for _ in range(5))
    assert not bucket.allow(0.0)
    assert bucket.allow(0.1)
    assert not bucket.allow(0.1)


def test_ping_tracker_measures_rtt_and_ignores_unknown_pongs():
    """A pong gives its ping's RTT once; unknown or repeated numbers give None."""
    pings = PingTracker(0.0)
    n = pings.ping(1000.0)
    assert pings.pong(n, 1042.0) == 42.0
    assert pings.pong(n, 1050.0) is None
    assert pings.pong("x", 1050.0) is None
    assert pings.pong(999, 1050.0) is None


async def test_direct_write_only_when_nothing_is_before_the_frame():
    """With write_now, a frame goes straight out unless something queued or being
    written is before it; a refused frame is queued; held live frames stay parked."""
    written: list[str] = []
    accept = True

    def write_now(payload: bytes | str) -> bool:
        if accept:
            written.append(str(payload))
        return accept

    box = Outbox()
    box.write_now = write_now
    assert box.put("a")
    assert written == ["a"] and len(box) == 0 and box.direct_count == 1

    accept = False  # the socket is backed up: the frame waits for the writer
    assert box.put("b")
    accept = True
    assert box.put("c")  # "b" is before it: queued, not written
    assert written == ["a"]
    assert await box.take() == ["b", "c"]
    assert box.put("d")  # the writer holds "b", "c" and has not come back for more
    assert written == ["a"]
    box.close()
    assert await box.take() == ["d"]

    box = Outbox()
    box.write_now = write_now
    box.hold()
    assert box.put("live")
    assert box.put("catch-up", live=False)
    assert written == ["a", "catch-up"]
    box.release()
    assert await box.take() == ["live"]


class _Wire:
    """A socket that takes single frames or several at once, or refuses while backed up."""

    def __init__(self) -> None:
        self.writes: list[list[bytes | str]] = []
        self.accept = True

    def one(self, payload: bytes | str) -> bool:
        return self.many([payload])

    def many(self, payloads: list[bytes | str]) -> bool:
        if self.accept:
            self.writes.append(list(payloads))
        return self.accept


def _wired() -> tuple[Outbox, _Wire]:
    box, wire = Outbox(), _Wire()
    box.write_now, box.write_many = wire.one, wire.many
    return box, wire


async def test_a_batch_is_one_write_per_receiver_in_order():
    """Within batch(), each receiver's frames are written together at its end, in order;
    a frame after the batch goes after them, on its own."""
    fan = Fanout()
    (a, wa), (b, wb) = _wired(), _wired()
    fan.subscribe(Sub(JsonCodec("j"), a), ["all"])
    fan.subscribe(Sub(JsonCodec("j"), b), ["all", "b"])
    with fan.batch():
        for i in range(3):
            fan.publish({"type": "event", "seq": i}, ["all"])
            with fan.batch():  # a nested batch writes at the outer end
                fan.publish({"type": "event", "seq": 10 + i}, ["b"])
        assert wa.writes == [] and wb.writes == []  # nothing out before the end
    seqs = [[JsonCodec("j").decode(p)["seq"] for p in w] for w in (*wa.writes, *wb.writes)]
    assert seqs == [[0, 1, 2], [0, 10, 1, 11, 2, 12]]
    fan.publish({"type": "event", "seq": 3}, ["all"])
    assert len(wa.writes) == 2 and len(wa.writes[1]) == 1
    assert a.direct_count == 4 and len(a) == 0


async def test_a_batch_the_socket_cannot_take_waits_for_the_writer_in_order():
    """A socket backed up at the batch's end: its frames are queued, in order, and what
    follows is queued behind them."""
    fan = Fanout()
    box, wire = _wired()
    fan.subscribe(Sub(JsonCodec("j"), box), ["all"])
    with fan.batch():
        fan.publish({"type": "event", "seq": 1}, ["all"])
        fan.publish({"type": "event", "seq": 2}, ["all"])
        wire.accept = False
    wire.accept = True
    fan.publish({"type": "event", "seq": 3}, ["all"])
    assert wire.writes == []
    taken = await box.take()
    assert [JsonCodec("j").decode(p)["seq"] for p in taken] == [1, 2, 3]
    assert box.direct_count == 0 and box.queued_bytes == 0


async def test_a_closed_session_gets_nothing_of_the_batch():
    fan = Fanout()
    box, wire = _wired()
    fan.subscribe(Sub(JsonCodec("j"), box), ["all"])
    with fan.batch():
        fan.publish({"type": "event", "seq": 1}, ["all"])
        box.close()
    assert wire.writes == [] and await box.take() == []
