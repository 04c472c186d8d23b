"""The edge's own frame header gives the bytes websockets' serializer gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode

from signaling.wsframe import FIN_BINARY, FIN_TEXT, frame_header

LENGTHS = st.one_of(
    st.integers(0, 300),
    st.sampled_from([125, 126, 127, 65535, 65536, 65537]),
    st.integers(65530, 140_000),
)


@given(length=LENGTHS, text=st.booleans())
def test_header_and_payload_are_websockets_unmasked_frame(length: int, text: bool) -> None:
    payload = b"a" * length
    first, opcode = (FIN_TEXT, Opcode.TEXT) if text else (FIN_BINARY, Opcode.BINARY)
    expected = Frame(opcode, payload).serialize(mask=False, extensions=[])
    assert frame_header(first, length) + payload == expected
