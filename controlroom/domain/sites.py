"""Bridge sites: check-in (the roll call), self-reported status, link state, test calls.

Rules:

- ``site.checkin`` marks the site present; checking in again updates technician,
  phone and (when given) delegates, and keeps the first ``checked_in_at``.
- ``site.status`` records the site's own view of audio and video.
- the link state is ``links.py``'s (``link.changed``, ``link.flapping``).
- test calls and campaigns are ``testcalls.py``'s.
- An unknown site code is :class:`NotFound`. Events about unknown sites are ignored by
  ``apply``. This module never reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .commands import CheckIn, Command, ReportStatus
from .errors import NotFound
from .model import Actor, Event, NewEvent, SiteInfo

if TYPE_CHECKING:
    from .state import ConferenceState


def _initial_link() -> dict[str, Any]:
    return {
        "state": "unknown",
        "rtt_ms": None,
        "jitter_ms": None,
        "loss_pct": None,
        "since": None,
        "flapping": False,
        "source": "console",
    }


def _initial_status() -> dict[str, Any]:
    return {"audio": "unknown", "video": "unknown", "note": "", "at": None}


@dataclass(slots=True)
class SiteState:
    """One bridge site as the hub knows it now."""

    code: str
    name: str
    kind: str = "site"
    region: str = ""
    technician: str = ""
    phone: str = ""
    endpoint: str = ""
    #: The technician's console as last recorded (``link.presence``), for sites whose
    #: link follows the bridge or the endpoint.
    presence: str = "offline"
    link: dict[str, Any] = field(default_factory=_initial_link)
    checked_in: bool = False
    checked_in_at: int | None = None
    delegates: int | None = None
    status: dict[str, Any] = field(default_factory=_initial_status)

    @classmethod
    def from_info(cls, info: SiteInfo) -> SiteState:
        """A site not yet checked in, from its configuration."""
        site = cls(info.code, info.name, info.kind, info.region, info.technician, info.phone)
        site.endpoint = info.endpoint
        if info.endpoint:
            site.link["source"] = "endpoint"
        return site

    def to_view(self) -> dict[str, Any]:
        """The snapshot's map for this site."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "region": self.region,
            "technician": self.technician,
            "phone": self.phone,
            "endpoint": self.endpoint,
            "link": {**self.link, "presence": self.presence},
            "checked_in": self.checked_in,
            "checked_in_at": self.checked_in_at,
            "delegates": self.delegates,
            "status": dict(self.status),
        }


def require_site(state: ConferenceState, code: str, field: str = "args.site") -> SiteState:
    """The site of that code, or :class:`NotFound` naming ``field``."""
    site = state.sites.get(code)
    if site is None:
        raise NotFound(
            f"There is no site with code {code!r}.", field=field, text="no_site", site=code
        )
    return site


def require_sites(state: ConferenceState, codes: list[str]) -> None:
    """Every code names a site, or :class:`NotFound` at ``args.sites.N``."""
    for i, code in enumerate(codes):
        require_site(state, code, f"args.sites.{i}")


def _site_of(cmd: CheckIn | ReportStatus) -> str:
    assert cmd.site is not None  # parse_command fills it in or refuses
    return cmd.site


def _decide_checkin(state: ConferenceState, cmd: CheckIn, actor: Actor, now: int) -> list[NewEvent]:
    site = require_site(state, _site_of(cmd))
    data = {
        "site": site.code,
        "technician": cmd.technician,
        "phone": cmd.phone,
        "delegates": cmd.delegates,
    }
    return [NewEvent("site.checked_in", data)]


def _decide_status(
    state: ConferenceState, cmd: ReportStatus, actor: Actor, now: int
) -> list[NewEvent]:
    site = require_site(state, _site_of(cmd))
    data = {"site": site.code, "audio": cmd.audio, "video": cmd.video, "note": cmd.note}
    return [NewEvent("site.status", data)]


def _apply_checked_in(state: ConferenceState, event: Event) -> None:
    site = state.sites.get(event.data.get("site", ""))
    if site is None:
        return
    site.technician = event.data.get("technician", site.technician)
    site.phone = event.data.get("phone", site.phone)
    if event.data.get("delegates") is not None:
        site.delegates = event.data["delegates"]
    if not site.checked_in:
        site.checked_in = True
        site.checked_in_at = event.at


def _apply_status(state: ConferenceState, event: Event) -> None:
    site = state.sites.get(event.data.get("site", ""))
    if site is None:
        return
    site.status = {
        "audio": event.data.get("audio", "unknown"),
        "video": event.data.get("video", "unknown"),
        "note": event.data.get("note", ""),
        "at": event.at,
    }


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    CheckIn: _decide_checkin,
    ReportStatus: _decide_status,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "site.checked_in": _apply_checked_in,
    "site.status": _apply_status,
}
