"""The event-log interface every adapter implements (SQLite now, Redis Streams next).

Error tree::

    StoreError                 the log could not do what was asked
    ├── StoreUnavailable       the backing store is down or failing: retry later
    │   └── Fenced             another instance took this conference's lease: stop deciding
    └── SeqConflict            another writer appended first: re-read and decide again

An append is all-or-nothing: the events and the command answers (idempotency)
are committed together, and only when the last stored seq
equals ``expected_seq``. When ``append`` returns, the data is durable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgpack

from controlroom.store.chain import Record


def load_json(text: str | bytes) -> Any:
    """Stored JSON as values; a NaN or Infinity an older version let in reads as null.

    Nothing writes them any more (the chain refuses them), but a log written before
    must still load without poisoning the state every console is sent.
    """
    return json.loads(text, parse_constant=lambda _constant: None)


class StoreError(Exception):
    """Base of the store's errors."""


class StoreUnavailable(StoreError):
    """The backing store cannot be reached or written."""


class Fenced(StoreUnavailable):
    """The writer's fencing token is no longer the current one: it is not the decider."""


class SeqConflict(StoreError):
    """The log moved on since the caller read it."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's stored answer, keyed by account and command id."""

    account: str
    command_id: str
    answer: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A full state as of ``seq``; ``fingerprint`` identifies the configuration it was built on.

    ``body`` is the state already encoded (:func:`encode_state`) when the writer
    encoded it itself, and ``state`` is then left empty: the hub encodes its live
    state in one pass, without the copy that ``state`` would need to be written
    later. A loaded snapshot has ``state``.
    """

    seq: int
    fingerprint: str
    state: dict[str, Any]
    body: bytes = field(default=b"", compare=False, repr=False)

    def encoded(self) -> bytes:
        """The state as stored: ``body``, or ``state`` encoded now."""
        return self.body or encode_state(self.state)


def _refuse(value: Any) -> Any:
    raise TypeError(f"a snapshot holds JSON-like values only, not {type(value).__name__}")


def encode_state(state: dict[str, Any]) -> bytes:
    """A snapshot's state as stored: MessagePack, three times faster than JSON to write.

    The state holds only what JSON could (the chain refuses anything else), so a
    snapshot reads back exactly as the events would rebuild it.
    """
    return msgpack.packb(state, use_bin_type=True, default=_refuse)  # type: ignore[no-any-return]


def decode_state(raw: str | bytes) -> dict[str, Any]:
    """A stored snapshot's state: MessagePack, or the JSON that versions before wrote.

    No NaN can be in a MessagePack one: the durable state is built only of events
    the chain accepted, and it refuses them.
    """
    if isinstance(raw, str) or raw[:1] == b"{":
        return load_json(raw)  # type: ignore[no-any-return]
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)  # type: ignore[no-any-return]


class EventLog(Protocol):
    """Durable, append-only, hash-chained log of one or more conferences.

    ``shared`` says whether other hub instances append to the same log (Redis
    Streams): then the log is also a :class:`SharedLog`, and the hub tails it.
    """

    shared: bool

    async def open(self) -> None:
        """Connect and create what is missing."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...

    async def head(self, conference: str) -> tuple[int, str]:
        """The last seq and its hash (``0, GENESIS`` for an empty log)."""
        ...

    async def append(
        self,
        conference: str,
        expected_seq: int,
        records: list[Record],
        answers: list[Answer],
    ) -> None:
        """Commit atomically; raise SeqConflict or StoreUnavailable."""
        ...

    async def save_snapshot(self, conference: str, snapshot: Snapshot) -> None:
        """Store a state snapshot, replacing the previous one."""
        ...

    async def read(self, conference: str, after: int, limit: int | None = None) -> list[Record]:
        """Records with ``seq > after`` in order (at most ``limit``)."""
        ...

    async def answer(self, conference: str, account: str, command_id: str) -> dict[str, Any] | None:
        """The stored answer to a command, if it was answered before."""
        ...

    async def load_snapshot(self, conference: str) -> Snapshot | None:
        """The latest stored snapshot, if any."""
        ...

    async def healthy(self) -> bool:
        """Whether the log can take appends now."""
        ...


class SharedLog(EventLog, Protocol):
    """A log several hub instances append to: what they need beyond an ``EventLog``."""

    async def tail(self, conference: str, after: int, block_ms: int) -> list[Record]:
        """Records with ``seq > after``, waiting up to ``block_ms`` for the first."""
        ...

    async def shared_secret(self) -> bytes:
        """The token-signing secret every instance uses (created once)."""
        ...
