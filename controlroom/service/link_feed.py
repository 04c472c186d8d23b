"""Which sites' entries go out in a ``links`` flush: changes at once, figures paced.

A site's entry changes with every pong (its RTT moves by a tenth of a millisecond),
so at thousands of sites "every site that changed" is every site, every heartbeat:
at 5,000 sites about 2,500 entries a second, built, encoded and written to each
staff console in one block of the event loop. What a reader must see at once is a
change of what the entry *shows* (state, flapping, sessions, presence): that goes
out in the next flush whatever the pace. Figures alone go out at most every
``every_ms`` per site and at most ``budget`` entries a flush, the longest-waiting
first, so that they never all fall due in the same second.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class LinkFeed:
    """The sites waiting to be sent to one audience, and what each was last sent."""

    __slots__ = ("every_ms", "budget", "_pending", "_sent")

    def __init__(self, every_ms: int, budget: int) -> None:
        self.every_ms = every_ms
        self.budget = budget
        #: Sites whose latest entry this audience has not been sent (an ordered set).
        self._pending: dict[str, None] = {}
        #: Per site: the shown key last sent and when.
        self._sent: dict[str, tuple[Hashable, int]] = {}

    def mark(self, code: str) -> None:
        """The site's entry changed: send it when due (its place in line is kept)."""
        self._pending.setdefault(code, None)

    def __len__(self) -> int:
        return len(self._pending)

    def due(self, now: int, shown_key: Callable[[str], Any]) -> list[str]:
        """The sites to send now, taken off the line; the others wait."""
        budget = self.budget
        out: list[str] = []
        for code in list(self._pending):
            key = shown_key(code)
            sent = self._sent.get(code)
            if sent is not None and sent[0] == key:
                if budget <= 0 or now - sent[1] < self.every_ms:
                    continue  # only the figures moved, and they went out lately
                budget -= 1
            del self._pending[code]
            self._sent[code] = (key, now)
            out.append(code)
        return out
