"""``sites.csv``: the bridge sites of a conference, one central site and the others."""

from __future__ import annotations

import re
from pathlib import Path

from controlroom.domain.model import SiteInfo
from probes.target import BadTarget, parse_target

from .errors import ConfigError
from .text import fold, read_table

SITE_CODE = re.compile(r"[A-Z0-9_-]{1,16}")
MAX_NAME = 200

#: Canonical field → accepted headers (English first, then Vietnamese).
SITE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "Mã", "Mã điểm cầu", "Ký hiệu"),
    "name": ("name", "Tên điểm cầu", "Tên", "Điểm cầu"),
    "kind": ("kind", "Loại", "Loại điểm cầu", "type"),
    "region": ("region", "Khu vực", "Vùng"),
    "technician": ("technician", "Kỹ thuật viên", "Cán bộ kỹ thuật", "Người phụ trách kỹ thuật"),
    "phone": ("phone", "Điện thoại", "Số điện thoại", "SĐT", "tel"),
    "endpoint": ("endpoint", "Thiết bị đầu cuối", "Địa chỉ thiết bị đầu cuối", "Thiết bị"),
}

_KINDS = {
    "central": "central",
    "trung tam": "central",
    "diem cau trung tam": "central",
    "site": "site",
    "diem cau": "site",
}


def parse_kind(value: str) -> str | None:
    """``central``/``site`` from English or Vietnamese (``trung tâm``/``điểm cầu``), else None."""
    return _KINDS.get(fold(value))


def load_sites(path: str | Path) -> tuple[SiteInfo, ...]:
    """Read and check ``sites.csv``; raise ConfigError naming the first wrong line and column."""
    path = Path(path)
    headers, rows = read_table(path, SITE_COLUMNS, required=("code", "name", "kind"))
    sites: list[SiteInfo] = []
    seen: dict[str, int] = {}
    central_line: int | None = None
    for row in rows:
        code = row.get("code").upper()
        if not SITE_CODE.fullmatch(code):
            raise row.error(
                path, "code", f"{row.get('code')!r} is not a site code (1-16 of A-Z 0-9 _ -)"
            )
        if code in seen:
            raise row.error(
                path, "code", f"duplicate site code {code!r} (first on line {seen[code]})"
            )
        seen[code] = row.line
        name = " ".join(row.get("name").split())
        if not name:
            raise row.error(path, "name", "the site name is empty")
        if len(name) > MAX_NAME:
            raise row.error(path, "name", f"the site name is longer than {MAX_NAME} characters")
        kind = parse_kind(row.get("kind") or "site")
        if kind is None:
            raise row.error(
                path,
                "kind",
                f"{row.get('kind')!r} is not a kind (expected central/site or trung tâm/điểm cầu)",
            )
        if kind == "central":
            if central_line is not None:
                raise row.error(
                    path, "kind", f"a second central site (the first is on line {central_line})"
                )
            central_line = row.line
        endpoint = ""
        if row.get("endpoint"):
            try:
                endpoint = str(parse_target(row.get("endpoint")))
            except BadTarget as exc:
                raise row.error(path, "endpoint", str(exc)) from None
        sites.append(
            SiteInfo(
                code=code,
                name=name,
                kind=kind,
                region=row.get("region"),
                technician=row.get("technician"),
                phone=row.get("phone"),
                endpoint=endpoint,
            )
        )
    if not sites:
        raise ConfigError(path, "no sites: at least the central site is required")
    if central_line is None:
        raise ConfigError(
            path,
            "no central site: exactly one row must have kind 'central'",
            column=headers["kind"],
        )
    return tuple(sites)
