"""What the edge's value check costs per frame (issue "Hardening").

Every decoded frame is walked once for NaN/Infinity, integers beyond 2^53, lone
surrogates and deep nesting (``signaling.values.unsafe_path``), and every encoded
frame is checked not to carry them. This measures, in one run on this machine, the
decode and encode of typical frames with the codecs as shipped against a baseline
of the bare parser (``json.loads``/``msgpack.unpackb``, ``json.dumps``/
``msgpack.packb``) and prints the ratios.

Usage: ``python -m bench.edge_values [--n 20000]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signaling.codecs import JsonCodec, MsgpackCodec  # noqa: E402

FRAMES: dict[str, dict[str, Any]] = {
    "pong": {"type": "pong", "n": 12345},
    "stats": {"type": "stats", "at": 1_796_000_000_000,
              "stats": {"rtt_ms": 41.5, "jitter_ms": 3.2, "loss_pct": 0.0, "audio": "ok",
                        "video": "ok", "bitrate_kbps": 1800.0}},
    "cmd": {"type": "cmd", "id": "c0f1e2d3-0000-4000-8000-000000000001", "name": "fault.report",
            "args": {"category": "audio", "severity": "major",
                     "description": "Micro bàn chủ tọa bị rè, đã thay pin nhưng vẫn rè"}},
}  # fmt: skip
LINKS = {
    "type": "links",
    "at": 1_796_000_000_000,
    "sites": {
        f"S{i:04d}": {"state": "online", "rtt_ms": 40.0 + i % 7, "jitter_ms": 2.5,
                      "loss_pct": 0.0, "flapping": False, "sessions": 1}
        for i in range(1000)
    },
}  # fmt: skip


def best(fn: Callable[[], Any], n: int, rounds: int = 5) -> float:
    """The best of ``rounds`` timings of ``n`` calls, in microseconds per call."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n * 1e6)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="calls per timing")
    args = parser.parse_args()
    json_codec, pack_codec = JsonCodec("j"), MsgpackCodec("m")
    rows = []
    for name, frame in FRAMES.items():
        text, packed = json.dumps(frame), msgpack.packb(frame, use_bin_type=True)
        rows.append((f"decode {name} json", best(lambda t=text: json.loads(t), args.n),
                     best(lambda t=text: json_codec.decode(t), args.n)))  # fmt: skip
        rows.append((f"decode {name} msgpack",
                     best(lambda p=packed: msgpack.unpackb(p, raw=False), args.n),
                     best(lambda p=packed: pack_codec.decode(p), args.n)))  # fmt: skip
    few = max(20, args.n // 500)
    rows.append(("encode links(1000) json",
                 best(lambda: json.dumps(LINKS, ensure_ascii=False, separators=(",", ":")), few),
                 best(lambda: json_codec.encode(LINKS), few)))  # fmt: skip
    rows.append(("encode links(1000) msgpack",
                 best(lambda: msgpack.packb(LINKS, use_bin_type=True), few),
                 best(lambda: pack_codec.encode(LINKS), few)))  # fmt: skip
    print(f"{'frame':28} {'bare parser µs':>15} {'codec µs':>10} {'ratio':>7}")
    for label, bare, codec in rows:
        print(f"{label:28} {bare:15.2f} {codec:10.2f} {codec / bare:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
