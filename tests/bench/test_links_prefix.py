"""The bench's consoles count ``links`` frames by their first bytes: those must be the hub's."""

from bench.generator import LINKS_PREFIX
from controlroom.app import SUBPROTOCOL_MSGPACK
from controlroom.wire import links_frame, queue_frame, synced_frame
from signaling.codecs import MsgpackCodec


def test_the_links_prefix_is_how_the_hub_encodes_a_links_frame_and_nothing_else() -> None:
    codec = MsgpackCodec(SUBPROTOCOL_MSGPACK)
    entry = {"state": "online", "rtt_ms": 1.5}
    assert codec.encode(links_frame(1, {"HUE": entry})).startswith(LINKS_PREFIX)
    assert codec.encode(links_frame(1, {})).startswith(LINKS_PREFIX)
    for other in (queue_frame({"r1": 1}, 1), synced_frame(3)):
        assert not codec.encode(other).startswith(LINKS_PREFIX)
