"""Each site's place in the speaking queue, live, without showing it the queue.

A site sees its own requests only, so it cannot count who is ahead of it; after
every durable ``speak.*`` event this listener sends each site whose requests moved
a ``queue`` frame [ext] with their positions in the whole queue::

    {"type": "queue", "positions": {"R0007": 3}, "length": 9}

A site whose last request left the queue gets ``positions: {}`` once. The
snapshot gives the same positions (``speaking.requests.{ID}.position``), so a
console that connects later starts right. Not durable: derived from the log.
"""

from __future__ import annotations

from controlroom.domain import Event
from controlroom.service.hub import ConferenceHub


class QueuePositions:
    """A hub listener that tells sites where their requests stand."""

    def __init__(self, hub: ConferenceHub) -> None:
        self.hub = hub
        self.sent: dict[str, dict[str, int]] = {}
        hub.listeners.append(self.on_event)

    def on_event(self, event: Event) -> None:
        """After a ``speak.*`` event: a frame to each site whose positions changed."""
        if not event.name.startswith("speak."):
            return
        speaking = self.hub.durable.speaking
        now: dict[str, dict[str, int]] = {}
        for index, rid in enumerate(speaking.queue, 1):
            request = speaking.requests.get(rid)
            if request is not None:
                now.setdefault(request.site, {})[rid] = index
        for site in set(now) | set(self.sent):
            positions = now.get(site, {})
            if positions == self.sent.get(site, {}) and site in self.sent:
                continue
            self.hub.publisher.queue_to_site(site, positions, len(speaking.queue))
            if positions:
                self.sent[site] = positions
            else:
                self.sent.pop(site, None)
