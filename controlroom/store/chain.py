"""The audit chain: every event's hash covers the previous hash and its own canonical bytes.

``hash = sha256(prev_hash_hex || canonical_bytes)``, with the first event chained to
``GENESIS``. Canonical bytes are the event's fields (conference, seq, at, name,
actor, data) as JSON with sorted keys, no spaces, UTF-8. Changing any stored field
of any event, or removing or reordering events, breaks the chain at that event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from controlroom.domain.model import Event

GENESIS = "0" * 64


#: json.dumps with these arguments builds this encoder anew on every call (its Python
#: ``__init__``), six times per event appended: the same encoder, built once.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """JSON as the chain hashes it: sorted keys, no spaces, UTF-8 text, no NaN."""
    return _CANONICAL.encode(value)


def _scalar(value: Any) -> str:
    """canonical_json of one field: an int's digits and a str's quoted text directly."""
    kind = type(value)
    if kind is int:
        return str(value)  # what the encoder writes for an int (int.__repr__)
    if kind is str:
        return _quoted(value)
    return canonical_json(value)


#: The encoder's own quoting of a string when ensure_ascii is off (C when available).
_quoted = json.encoder.encode_basestring


def _canonical(conference: str, event: Event, data_json: str) -> bytes:
    # The body's keys in sorted order, each value as canonical_json writes it: the same
    # text as canonical_json of the whole body (tests/store/test_chain.py holds it), with
    # the data's JSON, the largest part, written once for the hash and the log.
    text = (
        f'{{"actor":{canonical_json(event.actor.to_wire())},"at":{_scalar(event.at)},'
        f'"conference":{_scalar(conference)},"data":{data_json},'
        f'"name":{_scalar(event.name)},"seq":{_scalar(event.seq)}}}'
    )
    return text.encode()  # UnicodeEncodeError (a ValueError) on a lone surrogate


def canonical_bytes(conference: str, event: Event) -> bytes:
    """The bytes the hash is computed over; ValueError for NaN, ±Infinity or bad text."""
    return _canonical(conference, event, canonical_json(event.data))


def link_hash(prev_hash: str, conference: str, event: Event) -> str:
    """The hash of ``event`` chained after ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + canonical_bytes(conference, event)).hexdigest()


def chain_record(prev_hash: str, conference: str, event: Event) -> Record:
    """``event`` chained after ``prev_hash``, keeping the data's canonical JSON for the log."""
    data_json = canonical_json(event.data)
    body = _canonical(conference, event, data_json)
    return Record(
        event, prev_hash, hashlib.sha256(prev_hash.encode() + body).hexdigest(), data_json
    )


@dataclass(frozen=True, slots=True)
class Record:
    """An event as the log keeps it: with its place in the chain."""

    event: Event
    prev_hash: str
    hash: str
    #: The data's canonical JSON when already written (by :func:`chain_record`).
    data_json: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking a chain."""

    ok: bool
    count: int
    first_seq: int | None
    last_seq: int | None
    broken_seq: int | None = None
    reason: str = ""
    # What broke, as a code the report renders in its reader's language: unreadable,
    # gap (a seq missing), unlinked (prev_hash wrong), altered (content changed).
    reason_code: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (for the report and the CLI)."""
        return {
            "ok": self.ok,
            "count": self.count,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
            "reason_code": self.reason_code,
        }


class UnreadableEvent(Exception):
    """A stored row that is not an event (broken text or JSON); names its seq."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"event {seq} cannot be read: {reason}")
        self.seq = seq
        self.reason = reason


def verify(conference: str, records: Iterable[Record]) -> Verification:
    """Check seq continuity and every link; name the first broken one.

    ``records`` may raise :class:`UnreadableEvent` for a row it cannot read: that row
    is the broken one.
    """
    prev = GENESIS
    expected_seq = 1
    count = 0
    first: int | None = None
    last: int | None = None
    iterator = iter(records)
    while True:
        try:
            rec = next(iterator)
        except StopIteration:
            break
        except UnreadableEvent as exc:
            return Verification(False, count, first, last, exc.seq, str(exc), "unreadable")
        seq = rec.event.seq
        first = seq if first is None else first
        if seq != expected_seq:
            return Verification(
                False,
                count,
                first,
                last,
                seq,
                f"seq {seq} where {expected_seq} was expected",
                "gap",
            )
        if rec.prev_hash != prev:
            return Verification(
                False,
                count,
                first,
                last,
                seq,
                f"event {seq} does not point at the hash of event {seq - 1}",
                "unlinked",
            )
        if link_hash(prev, conference, rec.event) != rec.hash:
            return Verification(
                False,
                count,
                first,
                last,
                seq,
                f"event {seq} was altered: its hash does not match its content",
                "altered",
            )
        prev = rec.hash
        last = seq
        expected_seq += 1
        count += 1
    return Verification(True, count, first, last)
