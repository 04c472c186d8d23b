"""Summaries of a ``py-spy record --format raw`` profile (collapsed stacks)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def _frame(raw: str) -> str:
    """``func (path/to/file.py:123)`` -> ``func (file.py)`` (lines merged)."""
    raw = _LINE.sub(")", raw.strip())
    if " (" in raw:  # a thread's name ("process 12:...") has none
        func, where = raw.split(" (", 1)
        where = where.rstrip(")")
        parts = where.split("/")
        short = "/".join(parts[-2:]) if len(parts) > 1 else where
        return f"{func} ({short})"
    return raw


OWN = ("store/", "service/", "domain/", "auth/", "signaling/", "config/", "controlroom/")


def _ours(frame: str) -> bool:
    where = frame.rsplit("(", 1)[-1]
    return where.startswith(OWN) and "cli.py" not in where


def load(path: Path) -> tuple[Counter[str], Counter[str], int]:
    """(self samples by frame, inclusive samples by frame, total samples)."""
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    return own, incl, total


def summarize(path: Path, top: int = 20) -> str:
    """The top frames by self time and by inclusive time, as text."""
    if not path.exists():
        return f"(no profile at {path})"
    own, incl, total = load(path)
    if not total:
        return "(empty profile)"
    lines = [f"{total} samples (100 Hz, every thread on CPU or in a system call)", "", "self:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive (the hub's own code):"]
    ours = [(f, n) for f, n in incl.most_common() if _ours(f)]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in ours[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(summarize(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20))
