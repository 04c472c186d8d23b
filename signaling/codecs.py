"""Frame codecs: MessagePack (binary frames) and JSON (text frames).

Each codec names the WebSocket subprotocol it answers to. Decoding untrusted bytes
never raises anything but ``SignalError``: whatever the parser throws (including
``RecursionError`` on deep nesting) is ``bad_frame``, and a decoded frame holding a
value no peer may send (``signaling.values``) is ``bad_frame`` in the envelope or
``invalid_args`` with its field. Encoding refuses NaN, ±Infinity and lone surrogates
with :class:`UnencodableFrame`, so no peer is ever sent a frame it cannot parse.
MessagePack decoding runs with explicit ``max_*_len`` limits, so a small frame cannot
allocate a huge object.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

import msgpack

from signaling.errors import SignalError
from signaling.values import unsafe_path, valid_text

_NON_FINITE_FLOAT64 = re.compile(rb"\xcb[\x7f\xff][\xf0-\xff]")


class Codec(Protocol):
    """Turns frames (maps) into WebSocket payloads and back."""

    subprotocol: str
    binary: bool

    def encode(self, frame: dict[str, Any]) -> bytes | str:
        """Serialise one frame."""
        ...

    def decode(self, payload: bytes | str) -> dict[str, Any]:
        """Parse one payload into a frame map with a string ``type``."""
        ...


#: Fields of the frame envelope: a bad value there is ``bad_frame``, elsewhere ``invalid_args``.
ENVELOPE = ("type", "id", "name")


def _check_frame(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise SignalError("bad_frame", "a frame must be a map with a string field 'type'")
    path = unsafe_path(obj)
    if path is not None:
        top = path.split(".", 1)[0]
        envelope = not path or top in ENVELOPE
        command_id = None if top == "id" else obj.get("id")
        raise SignalError(
            "bad_frame" if envelope else "invalid_args",
            "a number that is not finite or out of range, text that is not valid Unicode,"
            " or nesting too deep",
            field=path or None,
            id=command_id,
        )
    return obj


class UnencodableFrame(ValueError):
    """A frame holds what the wire must never carry (NaN, ±Infinity, a lone surrogate)."""


class JsonCodec:
    """JSON in text frames (UTF-8, no ASCII escaping so Vietnamese stays readable)."""

    binary = False

    def __init__(self, subprotocol: str) -> None:
        self.subprotocol = subprotocol
        self._encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def encode(self, frame: dict[str, Any]) -> str:
        """Serialise one frame as compact JSON text; UnencodableFrame for NaN or bad text."""
        try:
            text = self._encoder.encode(frame)
        except ValueError as exc:
            raise UnencodableFrame(f"not JSON-safe: {exc}") from None
        if not valid_text(text):
            raise UnencodableFrame("text that is not valid Unicode")
        return text

    def decode(self, payload: bytes | str) -> dict[str, Any]:
        """Parse a JSON payload; any failure is ``bad_frame``."""
        try:
            obj = json.loads(payload)
        except Exception as exc:  # noqa: BLE001 - any parser failure is the client's
            raise SignalError("bad_frame", f"not valid JSON: {type(exc).__name__}") from None
        return _check_frame(obj)


class MsgpackCodec:
    """MessagePack in binary frames, decoded with explicit size limits."""

    binary = True

    def __init__(self, subprotocol: str, max_len: int = 65536) -> None:
        self.subprotocol = subprotocol
        self._max_len = max_len

    def encode(self, frame: dict[str, Any]) -> bytes:
        """Serialise one frame as MessagePack; UnencodableFrame for NaN or bad text."""
        try:
            payload: bytes = msgpack.packb(frame, use_bin_type=True)
        except (UnicodeEncodeError, ValueError, TypeError, OverflowError) as exc:
            raise UnencodableFrame(f"not MessagePack-safe: {exc}") from None
        # A float64 NaN or Infinity has all exponent bits set: 0xcb 0x7f|0xff 0xf?. Those
        # bytes can occur inside other data too, so only a hit pays for the full check.
        if _NON_FINITE_FLOAT64.search(payload) and unsafe_path(frame) is not None:
            raise UnencodableFrame("a number that is not finite")
        return payload

    def decode(self, payload: bytes | str) -> dict[str, Any]:
        """Parse a MessagePack payload; any failure is ``bad_frame``."""
        if isinstance(payload, str):
            raise SignalError("bad_frame", "MessagePack frames must be binary")
        limit = self._max_len
        try:
            obj = msgpack.unpackb(
                payload,
                raw=False,
                strict_map_key=True,
                max_str_len=limit,
                max_bin_len=limit,
                max_array_len=limit // 2,
                max_map_len=limit // 4,
                max_ext_len=0,
            )
        except Exception as exc:  # noqa: BLE001 - any parser failure is the client's
            raise SignalError("bad_frame", f"not valid MessagePack: {type(exc).__name__}") from None
        return _check_frame(obj)


def negotiate(offered: list[str], codecs: list[Codec], default: Codec) -> Codec:
    """Pick the first subprotocol the client offers that we speak; else ``default``."""
    by_name = {codec.subprotocol: codec for codec in codecs}
    for name in offered:
        codec = by_name.get(name.strip())
        if codec is not None:
            return codec
    return default
