"""The chain's canonical bytes, written in pieces, are the canonical JSON of the whole body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.domain.model import Actor, Event
from controlroom.store.chain import GENESIS, canonical_bytes, chain_record, link_hash

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
events = st.builds(
    Event,
    st.integers(min_value=1, max_value=2**53),
    st.integers(min_value=0, max_value=2**53),
    st.text(min_size=1, max_size=30),
    st.builds(
        Actor,
        st.text(max_size=12),
        st.sampled_from(["operator", "site", "system"]),
        st.none() | st.text(max_size=6),
    ),  # fmt: skip
    st.dictionaries(st.text(max_size=10), values, max_size=6),
)


def _whole(conference: str, event: Event) -> bytes:
    body: dict[str, Any] = {
        "conference": conference,
        "seq": event.seq,
        "at": event.at,
        "name": event.name,
        "actor": event.actor.to_wire(),
        "data": event.data,
    }
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode()


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12), events)
def test_the_bytes_in_pieces_are_the_whole_body_canonical(conference: str, event: Event) -> None:
    try:
        whole = _whole(conference, event)
    except ValueError:  # a lone surrogate: the pieces refuse it too
        with pytest.raises(ValueError):
            canonical_bytes(conference, event)
        return
    assert canonical_bytes(conference, event) == whole
    record = chain_record(GENESIS, conference, event)
    assert record.hash == link_hash(GENESIS, conference, event)
    assert record.data_json is not None and json.loads(record.data_json) == event.data


def test_nan_is_refused() -> None:
    event = Event(1, 0, "x", Actor("a", "operator", None), {"v": float("nan")})
    with pytest.raises(ValueError):
        chain_record(GENESIS, "demo", event)
