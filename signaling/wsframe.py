"""A server's WebSocket data frame, built without websockets' ``Frame`` objects.

A server's frames are not masked (RFC 6455 §5.1), so with no extension negotiated
a message's frame is the same bytes for every receiver: a header of 2 to 10 bytes
and the payload. websockets builds a ``Frame`` object per message and receiver and
serializes it through a buffer; at tens of consoles per event that was a tenth of
the hub's time. This is the header alone, which the caller joins with the payload.
"""

from __future__ import annotations

import struct

#: FIN set, and the opcode (RFC 6455 §5.2).
FIN_TEXT = 0x81
FIN_BINARY = 0x82

_LENGTH_16 = struct.Struct("!BBH")
_LENGTH_64 = struct.Struct("!BBQ")


def frame_header(first: int, length: int) -> bytes:
    """The header of an unmasked frame: ``first`` byte (FIN and opcode), payload length."""
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return _LENGTH_16.pack(first, 126, length)
    return _LENGTH_64.pack(first, 127, length)
