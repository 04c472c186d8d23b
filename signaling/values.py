"""Values no peer may send: what the edge checks in every decoded frame, once.

A frame is refused (never passed on) when anything in it is a float that is NaN
or infinite, an integer beyond ±2**53 (what a JavaScript peer can hold exactly),
a string that is not valid Unicode (a lone surrogate, which JSON's ``\\udc80``
escape can produce), or nesting deeper than :data:`MAX_DEPTH`. The check is
iterative (no recursion limit to hit) and stops at the first bad value.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 32
SAFE_INT = 2**53


def valid_text(text: str) -> bool:
    """True when ``text`` encodes as UTF-8 (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _flat_safe(value: dict[str, Any]) -> bool:
    """True for a map of safe scalars only (a pong, most acks): no walk needed."""
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            if not (item.isascii() or valid_text(item)):
                return False
        elif kind is int:
            if not -SAFE_INT <= item <= SAFE_INT:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif item is not None and kind is not bool:
            return False  # a container (or anything else): the full walk decides
        if type(key) is str and not key.isascii() and not valid_text(key):
            return False
    return True


def _safe(value: Any, depth: int) -> bool:
    """True when nothing in ``value`` is unsafe: the walk of every frame, with no paths
    built (a command's every key joined into a path was 2 % of the hub under load)."""
    kind = type(value)
    if kind is str:
        return value.isascii() or valid_text(value)
    if kind is int:
        return -SAFE_INT <= value <= SAFE_INT
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        if depth >= MAX_DEPTH:
            return False
        for key, sub in value.items():
            if isinstance(key, str) and not (key.isascii() or valid_text(key)):
                return False
            if not _safe(sub, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            return False
        for sub in value:
            if not _safe(sub, depth + 1):
                return False
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def unsafe_path(value: Any) -> str | None:
    """The dotted path of the first value no peer may send in ``value``, or None.

    The path of the frame itself is ``""``; of ``{"args": {"x": nan}}`` it is ``args.x``.
    Nesting is bounded by :data:`MAX_DEPTH`, so the first, recursive check is too; the
    paths are built only for a frame it found unsafe.
    """
    if type(value) is dict and _flat_safe(value) or _safe(value, 0):
        return None
    return first_unsafe_path(value)


def first_unsafe_path(value: Any) -> str | None:
    """The walk that names the path (``unsafe_path`` calls it when one is unsafe)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        kind = type(item)
        if kind is str:
            if not valid_text(item):
                return path
        elif kind is float:
            if not math.isfinite(item):
                return path
        elif kind is int:
            if not -SAFE_INT <= item <= SAFE_INT:
                return path
        elif kind is dict:
            if depth >= MAX_DEPTH:
                return path
            for key, sub in item.items():
                if isinstance(key, str) and not valid_text(key):
                    return _join(path, "?")
                stack.append((sub, _join(path, key), depth + 1))
        elif kind is list or kind is tuple:
            if depth >= MAX_DEPTH:
                return path
            for index, sub in enumerate(item):
                stack.append((sub, _join(path, index), depth + 1))
        elif isinstance(item, float) and not math.isfinite(item):
            return path
    return None


def finite_number(value: Any, low: float, high: float) -> float | None:
    """``value`` as a float when it is a real number (not a bool) in [low, high], else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not low <= value <= high:
        return None
    return float(value)
