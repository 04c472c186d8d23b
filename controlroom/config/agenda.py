"""``agenda.csv``: the run-script ("kịch bản") with the columns of the regulations.

TT, Thời gian, Nội dung, Họ tên/chức vụ người thực hiện, Điểm cầu — or the English
no, time, content, presenter, site (with optional presenter_title and duration_min).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from controlroom.domain.model import AgendaItem, SiteInfo

from .errors import ConfigError
from .text import Row, fold, read_table

#: Minutes given to a last row that has neither an end time nor a duration.
LAST_ROW_MINUTES = 15

AGENDA_COLUMNS: dict[str, tuple[str, ...]] = {
    "order": ("TT", "no", "order", "STT", "#"),
    "time": ("Thời gian", "time"),
    "content": ("Nội dung", "content"),
    "presenter": (
        "Họ tên/chức vụ người thực hiện",
        "presenter",
        "Họ tên, chức vụ người thực hiện",
        "Người thực hiện",
        "Họ tên",
    ),
    "presenter_title": ("presenter_title", "Chức vụ", "title"),
    "site": ("Điểm cầu", "site"),
    "duration_min": ("duration_min", "Thời lượng", "duration", "Số phút"),
}

_TIME = re.compile(
    r"(?P<h1>\d{1,2})\s*(?:[:hH.]\s*(?P<m1>\d{2})?)"
    r"(?:\s*[-–—]\s*(?P<h2>\d{1,2})\s*(?:[:hH.]\s*(?P<m2>\d{2})?))?"
)
_ALL_SITES = {"", "tat ca", "tat ca cac diem cau", "all", "*", "-"}
_CENTRAL = {"trung tam", "diem cau trung tam", "trung uong", "diem cau trung uong", "central"}
_NAME_PREFIXES = ("diem cau ", "thanh pho ", "tp ", "tinh ")


def parse_time_range(text: str) -> tuple[time, time | None] | None:
    """``08:00``, ``8h00``, ``8h``, ``08:00 - 08:15`` → (start, end or None); None if not a time."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    try:
        start = time(int(match["h1"]), int(match["m1"] or 0))
        end = time(int(match["h2"]), int(match["m2"] or 0)) if match["h2"] else None
    except ValueError:
        return None
    return start, end


def split_presenter(cell: str) -> tuple[str, str]:
    """``"Đ/c Nguyễn Văn A, Bộ trưởng Bộ X"`` → (``"Đ/c Nguyễn Văn A"``, ``"Bộ trưởng Bộ X"``)."""
    name, _, title = cell.partition(",")
    return " ".join(name.split()), " ".join(title.split())


def _name_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()
    for prefix in _NAME_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


class SiteResolver:
    """Maps an "Điểm cầu" cell to a site code: by code, by name (diacritics-insensitive)."""

    def __init__(self, sites: Sequence[SiteInfo]) -> None:
        self.codes = {site.code for site in sites}
        self.central = next((site.code for site in sites if site.kind == "central"), None)
        self.names: dict[str, set[str]] = {}
        for site in sites:
            for key in {fold(site.name), _name_key(site.name)}:
                self.names.setdefault(key, set()).add(site.code)

    def resolve(self, cell: str) -> str | None:
        """The site code for ``cell``; None for all sites; LookupError when unknown or ambiguous."""
        text = " ".join(cell.split())
        if fold(text) in _ALL_SITES:
            return None
        if text.upper() in self.codes:
            return text.upper()
        if fold(text) in _CENTRAL and self.central is not None:
            return self.central
        codes = self.names.get(fold(text)) or self.names.get(_name_key(text)) or set()
        if len(codes) == 1:
            return next(iter(codes))
        if codes:
            raise LookupError(f"{cell!r} matches several sites ({', '.join(sorted(codes))})")
        raise LookupError(f"unknown site {cell!r} (not a code or name in sites.csv)")


@dataclass
class _Draft:
    row: Row
    start: datetime
    end: datetime | None
    minutes: int | None
    content: str
    presenter: str
    title: str
    site: str | None


def load_agenda(
    path: str | Path,
    *,
    day: date,
    tz: ZoneInfo,
    sites: Sequence[SiteInfo],
) -> tuple[AgendaItem, ...]:
    """Read and check the run-script; times are on ``day`` in ``tz`` (from conference.toml)."""
    path = Path(path)
    _, rows = read_table(path, AGENDA_COLUMNS, required=("time", "content"))
    resolver = SiteResolver(sites)
    drafts: list[_Draft] = []
    for row in rows:
        drafts.append(_draft(path, row, day, tz, resolver, drafts))
    if not drafts:
        raise ConfigError(path, "the run-script has no rows")
    items: list[AgendaItem] = []
    for index, draft in enumerate(drafts):
        minutes = _minutes(path, draft, drafts[index + 1] if index + 1 < len(drafts) else None)
        items.append(
            AgendaItem(
                item_id=f"A{index + 1:02d}",
                order=index + 1,
                planned_start=int(draft.start.timestamp() * 1000),
                duration_min=minutes,
                content=draft.content,
                presenter=draft.presenter,
                presenter_title=draft.title,
                site=draft.site,
            )
        )
    return tuple(items)


def _draft(
    path: Path,
    row: Row,
    day: date,
    tz: ZoneInfo,
    resolver: SiteResolver,
    previous: list[_Draft],
) -> _Draft:
    raw_time = row.get("time")
    parsed = parse_time_range(raw_time)
    if parsed is None:
        raise row.error(path, "time", f"{raw_time!r} is not a time (expected HH:MM or HH:MM-HH:MM)")
    start = datetime.combine(day, parsed[0], tzinfo=tz)
    end = datetime.combine(day, parsed[1], tzinfo=tz) if parsed[1] is not None else None
    if end is not None and end <= start:
        raise row.error(path, "time", f"{raw_time!r} ends before it starts")
    if previous and start < previous[-1].start:
        raise row.error(
            path,
            "time",
            f"{raw_time!r} starts before the previous row "
            f"(line {previous[-1].row.line}, {previous[-1].start:%H:%M}); "
            "rows must be in time order",
        )
    minutes: int | None = None
    raw_minutes = row.get("duration_min")
    if raw_minutes:
        if not raw_minutes.isdigit() or not 0 < int(raw_minutes) <= 24 * 60:
            raise row.error(path, "duration_min", f"{raw_minutes!r} is not a number of minutes")
        minutes = int(raw_minutes)
        if end is not None and (end - start).total_seconds() != minutes * 60:
            raise row.error(
                path, "duration_min", f"{minutes} minutes disagrees with the time {raw_time!r}"
            )
    content = " ".join(row.get("content").split())
    if not content:
        raise row.error(path, "content", "the content is empty")
    if "presenter_title" in row.cells:
        presenter, title = " ".join(row.get("presenter").split()), row.get("presenter_title")
    else:
        presenter, title = split_presenter(row.get("presenter"))
    try:
        site = resolver.resolve(row.get("site"))
    except LookupError as exc:
        raise row.error(path, "site", str(exc.args[0])) from None
    return _Draft(row, start, end, minutes, content, presenter, title, site)


def _minutes(path: Path, draft: _Draft, following: _Draft | None) -> int:
    if draft.end is not None:
        return int((draft.end - draft.start).total_seconds() // 60)
    if draft.minutes is not None:
        return draft.minutes
    if following is None:
        return LAST_ROW_MINUTES
    return int((following.start - draft.start).total_seconds() // 60)
