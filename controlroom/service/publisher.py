"""The one way out to a conference's sessions: who is subscribed, and what goes to whom.

The committer publishes each durable event to its audience (``audience.py``); the
link monitor publishes live figures to the central team and to each site its own;
the queue listener tells a site its places. Nothing else touches the fan-out.
"""

from __future__ import annotations

import contextlib
from typing import Any

from controlroom.domain.model import Actor
from controlroom.service.audience import ALL, ASSISTANT, publications, viewer_keys
from controlroom.wire import links_frame, queue_frame
from signaling.fanout import Fanout, Subscriber


class Publisher:
    """The fan-out of one conference, addressed by audience rather than by key."""

    def __init__(self) -> None:
        # A session that cannot keep up is evicted (it resumes from its last seq).
        self._fanout = Fanout(on_overflow=lambda sub: sub.evict())

    def subscribe(self, conn: Subscriber, viewer: Actor) -> None:
        """Deliver to ``conn`` from now on what ``viewer`` may see."""
        self._fanout.subscribe(conn, viewer_keys(viewer))

    def unsubscribe(self, conn: Subscriber) -> None:
        """Stop delivering to ``conn``."""
        self._fanout.unsubscribe(conn)

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Within it, what each session gets goes out in one write at the end (a commit)."""
        return self._fanout.batch()

    def event(self, frame: dict[str, Any]) -> None:
        """A durable event's frame, to everyone who may see it (each site its own copy)."""
        for each, keys in publications(frame):
            self._fanout.publish(each, keys)

    def links_to_staff(self, at: int, sites: dict[str, dict[str, Any]]) -> None:
        """Live link health of every site named, to the central team and the assistant."""
        self._fanout.publish(links_frame(at, sites), [ALL, ASSISTANT])

    def links_to_site(self, at: int, code: str, entry: dict[str, Any]) -> None:
        """A site's own live link health, to that site's sessions."""
        self._fanout.publish(links_frame(at, {code: entry}), [f"site:{code}"])

    def queue_to_site(self, code: str, positions: dict[str, int], length: int) -> None:
        """A site's requests' places in the whole queue, to that site's sessions."""
        self._fanout.publish(queue_frame(positions, length), [f"site:{code}"])
