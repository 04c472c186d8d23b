"""Frame codecs: MessagePack (binary frames) and JSON (text frames).

Each codec names the WebSocket subprotocol it answers to. Decoding untrusted bytes
never raises anything but ``SignalError("bad_frame")``: whatever the parser throws
(including ``RecursionError`` on deep nesting) is caught here. MessagePack decoding
runs with explicit ``max_*_len`` limits so a small frame cannot allocate a huge object.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import msgpack

from signaling.errors import SignalError


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


def _check_frame(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise SignalError("bad_frame", "a frame must be a map with a string field 'type'")
    return obj


class JsonCodec:
    """JSON in text frames (UTF-8, no ASCII escaping so Vietnamese stays readable)."""

    binary = False

    def __init__(self, subprotocol: str) -> None:
        self.subprotocol = subprotocol
        self._encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def encode(self, frame: dict[str, Any]) -> str:
        """Serialise one frame as compact JSON text."""
        return self._encoder.encode(frame)

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
        """Serialise one frame as MessagePack."""
        return msgpack.packb(frame, use_bin_type=True)

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
