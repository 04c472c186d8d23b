"""Which sites' entries go out in a ``links`` flush: changes at once, figures paced.

A site's entry changes with every pong (its RTT moves by a tenth of a millisecond),
so at thousands of sites "every site that changed" is every site, every heartbeat:
at 5,000 sites about 2,500 entries a second, built, encoded and written to each
staff console in one block of the event loop. What a reader must see at once is a
change of what the entry *shows* (state, flapping, sessions, presence): that goes
out in the next flush whatever the pace. Figures alone go out at most every
``every_ms`` per site and at most ``budget`` entries a flush, in about the order they
were last sent, so that they never all fall due in the same second. With ``gap_ms``, no
site is sent twice within it (a change waits out the gap after figures went).
"""

from __future__ import annotations

from collections.abc import Hashable


class LinkFeed:
    """The sites waiting to be sent to one audience, and what each was last sent."""

    __slots__ = ("every_ms", "budget", "gap_ms", "_changed", "_figures", "_sent")

    def __init__(self, every_ms: int, budget: int, gap_ms: int = 0) -> None:
        self.every_ms = every_ms
        #: How many entries of figures alone one ``due`` may give.
        self.budget = budget
        #: No site is sent twice within this (a change waits for it, too).
        self.gap_ms = gap_ms
        #: Sites whose shown key differs from what was last sent: they go in the next flush.
        self._changed: dict[str, Hashable] = {}
        #: Sites whose figures alone moved, in the order they were marked: a site is
        #: marked again soon after it was sent (its next pong), so this is about the
        #: order they were last sent, and a scan may stop at the first not yet due.
        self._figures: dict[str, None] = {}
        #: Per site: the shown key last sent and when.
        self._sent: dict[str, tuple[Hashable, int]] = {}

    def mark(self, code: str, key: Hashable) -> None:
        """The site's entry changed and now shows ``key``: send it when due.

        The key is taken when the entry changes, not at every flush: at thousands of
        sites, working out the key of every waiting site each second was most of the
        flush.
        """
        sent = self._sent.get(code)
        changed = self._changed
        if sent is not None and sent[0] == key and code not in changed:
            if code not in self._figures:
                self._figures[code] = None  # a site already in line keeps its place
            return
        # A change (or one undone before it went: what shows now is still sent).
        self._figures.pop(code, None)
        changed[code] = key

    def __len__(self) -> int:
        return len(self._changed) + len(self._figures)

    def due(self, now: int) -> list[str]:
        """The sites to send now, taken off the line; the others wait."""
        sent = self._sent
        changed = self._changed
        if self.gap_ms <= 0:
            out = list(changed)
            for code, key in changed.items():
                sent[code] = (key, now)
            changed.clear()
        else:
            out = []
            for code, key in list(changed.items()):
                last = sent.get(code)
                if last is None or now - last[1] >= self.gap_ms:
                    del changed[code]
                    sent[code] = (key, now)
                    out.append(code)
        budget = self.budget
        figures = self._figures
        if budget <= 0 or not figures:
            return out
        taken: list[str] = []
        for code in figures:
            if now - sent[code][1] < self.every_ms:
                break  # its figures went out lately, and those behind it about as lately
            taken.append(code)
            if len(taken) >= budget:
                break
        for code in taken:
            del figures[code]
            sent[code] = (sent[code][0], now)
        out += taken
        return out
