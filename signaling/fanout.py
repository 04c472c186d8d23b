"""Fan-out: deliver one message to many sessions, encoding it once per codec.

Subscribers register under audience keys (opaque strings chosen by the
application, e.g. a role or a group). ``publish`` takes the keys a message is
for, finds every subscriber under any of them (each at most once), encodes the
message once per codec actually needed, and puts the same payload object in every
receiver's outbox. Within ``batch()``, what goes straight to a socket is written
once per receiver at the end of the batch. A receiver whose outbox overflows is
reported through ``on_overflow`` and is not retried.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from signaling.codecs import Codec, UnencodableFrame
from signaling.outbox import Outbox, Payload

log = logging.getLogger("signaling")


class Subscriber(Protocol):
    """What the fan-out needs of a session."""

    codec: Codec
    outbox: Outbox


class Fanout:
    """Audience-keyed registry of subscribers with encode-once delivery."""

    def __init__(self, on_overflow: Callable[[Any], None] | None = None) -> None:
        self._by_key: dict[str, set[Any]] = {}
        self._keys_of: dict[Any, tuple[str, ...]] = {}
        self._on_overflow = on_overflow
        self.delivered = 0
        self.encodings = 0
        #: The outboxes corked by the batch in progress (None: no batch).
        self._corked: list[Outbox] | None = None

    def __len__(self) -> int:
        return len(self._keys_of)

    def subscribe(self, subscriber: Subscriber, keys: Iterable[str]) -> None:
        """Register ``subscriber`` under ``keys`` (replacing any earlier keys)."""
        self.unsubscribe(subscriber)
        keys = tuple(keys)
        self._keys_of[subscriber] = keys
        for key in keys:
            self._by_key.setdefault(key, set()).add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Forget ``subscriber``; harmless if it was never registered."""
        for key in self._keys_of.pop(subscriber, ()):
            group = self._by_key.get(key)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self._by_key[key]

    def receivers(self, keys: Iterable[str]) -> set[Any]:
        """Every subscriber registered under any of ``keys``."""
        found: set[Any] = set()
        for key in keys:
            group = self._by_key.get(key)
            if group:
                found |= group
        return found

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Messages published within go to each receiver's socket in one write, at the end.

        For a run of messages published without an await between them (a commit's
        events): at hundreds of events a second to tens of consoles, one system call
        per message and console was the largest cost of the fan-out.
        """
        if self._corked is not None:  # already in one: the outer batch writes
            yield
            return
        corked: list[Outbox] = []
        self._corked = corked
        try:
            yield
        finally:
            self._corked = None
            for outbox in corked:
                outbox.uncork()

    def publish(self, message: dict[str, Any], keys: Iterable[str]) -> int:
        """Queue ``message`` for every subscriber under ``keys``; return how many got it."""
        return self.deliver(message, self.receivers(keys))

    def deliver(self, message: dict[str, Any], receivers: Iterable[Subscriber]) -> int:
        """Queue ``message`` for the given subscribers, encoding once per codec."""
        encoded: dict[int, Payload] = {}
        count = 0
        corked = self._corked
        for sub in receivers:
            codec = sub.codec
            payload = encoded.get(id(codec))
            if payload is None:
                try:
                    payload = codec.encode(message)
                except UnencodableFrame:
                    log.exception(
                        "a %s message cannot be encoded; not delivered", message.get("type")
                    )
                    return count
                encoded[id(codec)] = payload
                self.encodings += 1
            outbox = sub.outbox
            if corked is not None and outbox.corked is None and outbox.write_many is not None:
                outbox.cork()
                corked.append(outbox)
            if outbox.put(payload):
                count += 1
            elif outbox.overflowed and self._on_overflow is not None:
                self._on_overflow(sub)
        self.delivered += count
        return count
