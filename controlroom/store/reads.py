"""Who viewed what, and when: the read log of each conference (regulation 001, Điều 3).

Rules:

- One JSON line per read in ``<data>/reads/<conference>.jsonl``: ``seq``, ``at``
  (Unix ms), ``account``, ``role``, ``site``, ``what`` (``snapshot``, ``events``,
  ``report``, ``readiness``, ``photo``, ``link``), ``detail`` (the format, the photo,
  the site), ``prev`` and ``hash``: the SHA-256 of ``prev`` and the line's canonical
  JSON without ``hash``, a chain like the event log's, so a line altered, removed
  or cut off at the end after a later one is found by :func:`verify_reads`.
- Kept apart from the event log: reading never changes what the conference's log
  holds (nor its sequence numbers), and no console is told of another's reading.
- Appended and flushed to the operating system at once; not fsynced (a read is not
  a decision: losing the last second of reads in a power cut is acceptable, slowing
  every console's connection is not). Each instance writes the file of its own data
  directory.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

GENESIS = "0" * 64
WHATS = ("snapshot", "events", "report", "readiness", "photo", "link")


def _hash(prev: str, line: dict[str, Any]) -> str:
    body = json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ReadsVerdict:
    """The check of one read log: ``ok``, how many lines, the first broken one."""

    ok: bool
    count: int
    broken_seq: int | None = None
    reason: str = ""


class ReadLog:
    """The read log of one conference: append-only, hash-chained JSON lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.seq, self.prev = 0, GENESIS
        if path.exists():  # continue the chain after a restart
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.seq, self.prev = int(row["seq"]), str(row["hash"])
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line: verify_reads names it
        self._file: IO[str] | None = None

    def record(
        self, at: int, account: str, role: str, site: str | None, what: str, detail: str = ""
    ) -> None:
        """Append one read."""
        line: dict[str, Any] = {
            "seq": self.seq + 1,
            "at": at,
            "account": account,
            "role": role,
            "site": site,
            "what": what,
            "detail": detail,
            "prev": self.prev,
        }
        line["hash"] = _hash(self.prev, line)
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()
        self.seq, self.prev = line["seq"], line["hash"]

    def close(self) -> None:
        """Close the file (a later record opens it again)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class ReadLogs:
    """The read logs of a data directory, one per conference, opened when first used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.logs: dict[str, ReadLog] = {}

    def record(
        self,
        conference: str,
        at: int,
        account: str,
        role: str,
        site: str | None,
        what: str,
        detail: str = "",
    ) -> None:
        """Append one read to the conference's log."""
        log = self.logs.get(conference)
        if log is None:
            log = self.logs[conference] = ReadLog(self.directory / f"{conference}.jsonl")
        log.record(at, account, role, site, what, detail)

    def close(self) -> None:
        """Close every file."""
        for log in self.logs.values():
            log.close()


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The lines of a read log (a line that is not JSON is skipped)."""
    out = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(text)
        except ValueError:
            continue
        if isinstance(row, dict):
            out.append(row)
    return out


def verify_reads(path: Path) -> ReadsVerdict:
    """Check the chain of a read log: every line in order, linked, unaltered."""
    prev, count = GENESIS, 0
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(text)
            given = row.pop("hash")
        except (ValueError, KeyError, AttributeError):
            return ReadsVerdict(False, count, number, "the line cannot be read")
        if row.get("seq") != number:
            return ReadsVerdict(False, count, number, "a line is missing before it")
        if row.get("prev") != prev:
            return ReadsVerdict(False, count, number, "it does not follow the line before")
        if _hash(prev, row) != given:
            return ReadsVerdict(False, count, number, "its content was altered")
        prev, count = given, count + 1
    return ReadsVerdict(True, count)
