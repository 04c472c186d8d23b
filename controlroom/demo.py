"""The demo conference, always on today: ``controlroom demo`` dates a copy of it.

The shipped demo (``config/demo``) is a template. The first time the demo runs on a
data directory it copies the template into ``DATA/conference/`` with ``start`` set
to 08:00 today in the conference's time zone and ``test_at`` to 16:30 the day
before (the regulations' afternoon connectivity test), so the demo opens live and
coherent at any hour. Later runs on the same data directory keep that copy, so the
conference stays on the day its log was written; ``--reset`` starts afresh.
"""

from __future__ import annotations

import csv
import shutil
import socket
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import tomlkit

from controlroom.config.loader import CONFERENCE_FILE
from controlroom.config.sites import SITE_COLUMNS

DEMO_START = time(8, 0)
DEMO_TEST = time(16, 30)
#: The demo's copy of the conference inside its data directory.
DEMO_CONFERENCE_DIR = "conference"
#: What ``--reset`` removes from a demo data directory (and nothing else).
DEMO_DATA = ("events.db", "events.db-wal", "events.db-shm", "token.secret", DEMO_CONFERENCE_DIR)


def demo_schedule(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start (08:00 on ``now``'s local day) and test time (16:30 the day before) in ``tz``."""
    if now.tzinfo is None:
        raise ValueError("now must carry its time zone")
    today = now.astimezone(tz).date()
    start = datetime.combine(today, DEMO_START, tz)
    test_at = datetime.combine(today - timedelta(days=1), DEMO_TEST, tz)
    return start, test_at


def dated_conference_toml(text: str, now: datetime) -> str:
    """The demo's ``conference.toml`` with ``start`` and ``test_at`` moved to ``now``'s day.

    Comments and every other key are kept as written.
    """
    doc = tomlkit.parse(text)
    tz = ZoneInfo(str(doc.get("timezone", "Asia/Ho_Chi_Minh")))
    start, test_at = demo_schedule(now, tz)
    doc["start"] = start.strftime("%Y-%m-%dT%H:%M")
    doc["test_at"] = test_at.strftime("%Y-%m-%dT%H:%M")
    return tomlkit.dumps(doc)


def prepare_demo(template: Path, data_dir: Path, now: datetime) -> Path:
    """The demo's conference directory in ``data_dir``, created from ``template`` if missing.

    The copy is written beside its final place and renamed, so an interrupted first
    run never leaves half a conference behind.
    """
    target = data_dir / DEMO_CONFERENCE_DIR
    if (target / CONFERENCE_FILE).is_file():
        return target
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".conference-", dir=data_dir))
    try:
        shutil.copytree(template, staging, dirs_exist_ok=True)
        for leftover in staging.glob("*.py*"):  # never copy code or caches, only the files
            leftover.unlink()
        toml = staging / CONFERENCE_FILE
        toml.write_text(dated_conference_toml(toml.read_text(encoding="utf-8"), now), "utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def reset_demo(data_dir: Path) -> list[str]:
    """Remove the demo's log, secret and dated conference from ``data_dir``; the names removed."""
    removed = []
    for name in DEMO_DATA:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(name)
    return removed


ENDPOINT_HEADER = "Thiết bị đầu cuối"


def assign_endpoints(conference: Path, codes: list[str]) -> dict[str, int]:
    """Give each simulated site an endpoint on loopback: ``tcp:127.0.0.1:PORT`` in sites.csv.

    The simulated sites answer on those ports (and stop answering while they are
    "down"), so the demo shows the hub's endpoint probes at work. Ports are picked
    free at each start and written into the demo's own copy of ``sites.csv``; the
    other sites get no endpoint. Returns the port of each site.
    """
    path = conference / "sites.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if ENDPOINT_HEADER not in header:
        header.append(ENDPOINT_HEADER)
    column = header.index(ENDPOINT_HEADER)
    code_column = next(i for i, name in enumerate(header) if name in SITE_COLUMNS["code"])
    ports = {code: _free_port() for code in codes}
    for row in body:
        row += [""] * (len(header) - len(row))
        code = row[code_column].strip().upper()
        row[column] = f"tcp:127.0.0.1:{ports[code]}" if code in ports else ""
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *body])
    return ports


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
