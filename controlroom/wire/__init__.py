"""The application's wire vocabulary: one builder per outbound frame it sends.

The edge's own frames (``error``, ``ping``, the close) are built in ``signaling``;
every frame the application sends a session is built here, so a frame's shape has
one home and docs/protocol.md one place to be checked against. Builders return
plain maps (the codecs encode them once per fan-out).
"""

from .frames import (
    ack_frame,
    links_frame,
    queue_frame,
    rtc_end_frame,
    rtc_offer_frame,
    snapshot_frame,
    synced_frame,
    welcome_frame,
)

__all__ = [
    "ack_frame",
    "links_frame",
    "queue_frame",
    "rtc_end_frame",
    "rtc_offer_frame",
    "snapshot_frame",
    "synced_frame",
    "welcome_frame",
]
