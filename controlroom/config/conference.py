"""``conference.toml``: identity, schedule and the rules (speaking, faults, link health)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controlroom.domain.model import ConferenceInfo, Settings, Thresholds

from .errors import ConfigError
from .text import read_text

CONFERENCE_ID = re.compile(r"[a-z0-9-]+")
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")

_TOP_KEYS = {
    "id", "title", "start", "test_at", "timezone", "speaking", "faults", "link", "web", "bridge",
    "agenda", "classification", "report", "retention_days",
}  # fmt: skip
# The classification as the organiser writes it: the code, or the Vietnamese word.
_CLASSIFICATION = {
    "normal": "normal", "thường": "normal",
    "confidential": "confidential", "mật": "confidential",
    "secret": "secret", "tối mật": "secret",
}  # fmt: skip
_TABLE_KEYS = {
    "speaking": {"default_s", "max_on_floor"},
    "faults": {"escalate_after_s"},
    "agenda": {"cue_lead_min"},
    "link": {"heartbeat_s", *Thresholds.__dataclass_fields__},
    "web": {"allowed_origins"},
    "bridge": {"kind", "admin_url", "admin_secret", "room"},
    "report": {
        "agency", "parent_agency", "number", "place", "signer", "signer_title", "recipients",
        "assessment", "recommendations",
    },
}  # fmt: skip
BRIDGE_KINDS = ("janus",)
_FLOAT_KEYS = {
    "heartbeat_s",
    "rtt_ms",
    "jitter_ms",
    "loss_pct",
    "restart_grace_s",
    "incident_window_s",
    "incident_share",
}


@dataclass(frozen=True)
class BridgeSettings:
    """``[bridge]``: the conference bridge the hub reads its participants from."""

    kind: str  # "janus"
    admin_url: str
    admin_secret: str = ""
    room: int | None = None


@dataclass(frozen=True)
class DocumentSettings:
    """``[report]`` of conference.toml: what the summary document leaders sign says
    about who writes it (the agency and its parent, the document's number, the place),
    who signs, who receives it, and the organiser's assessment and recommendations."""

    agency: str = ""
    parent_agency: str = ""
    number: str = ""
    place: str = ""
    signer: str = ""
    signer_title: str = ""
    recipients: tuple[str, ...] = ()
    assessment: str = ""
    recommendations: str = ""


@dataclass(frozen=True, slots=True)
class ConferenceFile:
    """What ``conference.toml`` holds, checked and converted."""

    conference: ConferenceInfo
    settings: Settings
    allowed_origins: tuple[str, ...]
    day: date
    tz: ZoneInfo
    bridge: BridgeSettings | None = None
    document: DocumentSettings = DocumentSettings()
    #: Days after the last event that ``controlroom purge`` may remove the log (None: never).
    retention_days: int | None = None


def _key_error(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(path, message, column=key, label="key")


def _number(path: Path, key: str, value: Any, *, integer: bool) -> int | float:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok:
        kind = "an integer" if integer else "a number"
        raise _key_error(path, key, f"{value!r} is not {kind}")
    if not value > 0:
        raise _key_error(path, key, f"{value!r} must be greater than 0")
    return value


def _local_time(path: Path, key: str, value: Any, tz: ZoneInfo) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _key_error(
                path, key, f"{value!r} is not a date and time (expected 2026-12-01T08:00)"
            ) from None
    if not isinstance(value, datetime):
        raise _key_error(path, key, f"{value!r} is not a date and time (expected 2026-12-01T08:00)")
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def parse_conference(path: Path, data: dict[str, Any]) -> ConferenceFile:
    """Check the parsed TOML of ``conference.toml`` and build the domain values."""
    for key, value in data.items():
        if key not in _TOP_KEYS:
            raise _key_error(path, key, f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
        if key in _TABLE_KEYS:
            if not isinstance(value, dict):
                raise _key_error(path, key, "must be a table, e.g. [" + key + "]")
            for sub in value:
                if sub not in _TABLE_KEYS[key]:
                    known = ", ".join(sorted(_TABLE_KEYS[key]))
                    raise _key_error(path, f"{key}.{sub}", f"unknown key (known: {known})")

    ident = data.get("id")
    if not isinstance(ident, str) or not CONFERENCE_ID.fullmatch(ident):
        raise _key_error(path, "id", f"{ident!r} is not an id (lower-case letters, digits, '-')")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _key_error(path, "title", "the title is missing or empty")
    tz_name = data.get("timezone", DEFAULT_TIMEZONE)
    try:
        if not isinstance(tz_name, str):
            raise ValueError
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _key_error(path, "timezone", f"{tz_name!r} is not a time zone name") from None
    if "start" not in data:
        raise _key_error(
            path, "start", 'the start time is missing (e.g. start = "2026-12-01T08:00")'
        )
    start = _local_time(path, "start", data["start"], tz)
    test_at = _local_time(path, "test_at", data["test_at"], tz) if "test_at" in data else None
    if test_at is not None and test_at >= start:
        raise _key_error(path, "test_at", "the connectivity test must be before the start")

    speaking = data.get("speaking", {})
    faults = data.get("faults", {})
    link = data.get("link", {})
    agenda = data.get("agenda", {})
    defaults = Thresholds()
    thresholds_values: dict[str, Any] = {}
    for name in Thresholds.__dataclass_fields__:
        if name in link:
            thresholds_values[name] = _number(
                path, f"link.{name}", link[name], integer=name not in _FLOAT_KEYS
            )
        else:
            thresholds_values[name] = getattr(defaults, name)
    base = Settings()
    settings = Settings(
        speaking_default_s=int(
            _number(
                path,
                "speaking.default_s",
                speaking.get("default_s", base.speaking_default_s),
                integer=True,
            )
        ),
        escalate_after_s=int(
            _number(
                path,
                "faults.escalate_after_s",
                faults.get("escalate_after_s", base.escalate_after_s),
                integer=True,
            )
        ),
        max_on_floor=int(
            _number(
                path,
                "speaking.max_on_floor",
                speaking.get("max_on_floor", base.max_on_floor),
                integer=True,
            )
        ),
        heartbeat_s=float(
            _number(
                path, "link.heartbeat_s", link.get("heartbeat_s", base.heartbeat_s), integer=False
            )
        ),
        cue_lead_min=int(
            _number(
                path,
                "agenda.cue_lead_min",
                agenda.get("cue_lead_min", base.cue_lead_min),
                integer=True,
            )
        ),
        thresholds=Thresholds(**thresholds_values),
    )

    origins = data.get("web", {}).get("allowed_origins", [])
    if not isinstance(origins, list):
        raise _key_error(path, "web.allowed_origins", "must be a list of origins")
    for origin in origins:
        if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
            raise _key_error(
                path,
                "web.allowed_origins",
                f'{origin!r} is not an origin (expected e.g. "https://hop.example.vn")',
            )
    written = data.get("classification", "normal")
    classification = _CLASSIFICATION.get(" ".join(str(written).lower().split()))
    if not isinstance(written, str) or classification is None:
        raise _key_error(
            path, "classification", f'{written!r} is not one of "thường", "mật", "tối mật"'
        )
    conference = ConferenceInfo(
        id=ident,
        title=" ".join(title.split()),
        starts_at=_ms(start),
        test_at=_ms(test_at) if test_at is not None else None,
        timezone=tz_name,
        classification=classification,
    )
    return ConferenceFile(
        conference,
        settings,
        tuple(o.rstrip("/") for o in origins),
        start.astimezone(tz).date(),
        tz,
        _bridge(path, data.get("bridge")),
        _document(path, data.get("report") or {}),
        _retention(path, data.get("retention_days")),
    )


def _retention(path: Path, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 36_500:
        raise _key_error(path, "retention_days", "must be a whole number of days (1 to 36500)")
    return value


def _document(path: Path, table: dict[str, Any]) -> DocumentSettings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "recipients":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _key_error(
                    path, "report.recipients", 'must be a list of names, e.g. ["Lãnh đạo Bộ"]'
                )
            values[key] = tuple(v.strip() for v in value if v.strip())
        elif not isinstance(value, str):
            raise _key_error(path, f"report.{key}", "must be text")
        else:
            values[key] = value.strip()
    return DocumentSettings(**values)


def _bridge(path: Path, table: Any) -> BridgeSettings | None:
    if table is None:
        return None
    kind = table.get("kind")
    if kind not in BRIDGE_KINDS:
        raise _key_error(
            path, "bridge.kind", f"{kind!r} is not a bridge kind ({', '.join(BRIDGE_KINDS)})"
        )
    url = table.get("admin_url")
    if not isinstance(url, str) or not re.fullmatch(r"https?://\S+", url):
        raise _key_error(
            path, "bridge.admin_url", 'must be an URL (e.g. "http://127.0.0.1:7088/admin")'
        )
    secret = table.get("admin_secret", "")
    if not isinstance(secret, str):
        raise _key_error(path, "bridge.admin_secret", "must be a string")
    room = table.get("room")
    if room is not None and (isinstance(room, bool) or not isinstance(room, int) or room < 0):
        raise _key_error(path, "bridge.room", "must be a room number")
    return BridgeSettings(kind, url, secret, room)


def load_conference_file(path: str | Path) -> ConferenceFile:
    """Read and check ``conference.toml``; ConfigError names the key (or line) to fix."""
    path = Path(path)
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at [^)]*\)", "", str(exc))
        if match:
            raise ConfigError(
                path,
                f"not valid TOML: {message}",
                line=int(match[1]),
                column=match[2],
                label="character",
            ) from None
        raise ConfigError(path, f"not valid TOML: {message}") from None
    return parse_conference(path, data)
