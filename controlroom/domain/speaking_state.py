"""What the speaking queue holds: every request and what became of it, the queue, the
floor, and the open requests by site and speaker. The rules are in ``speaking``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPEAK_STATES = ("requested", "approved", "on_floor", "ended", "rejected", "withdrawn")
OPEN_STATES = frozenset({"requested", "approved", "on_floor"})


@dataclass(slots=True)
class SpeakRequest:
    """One request to speak and what became of it."""

    request_id: str
    site: str
    speaker: str
    title: str
    topic: str
    kind: str
    agenda_item: str | None = None
    state: str = "requested"
    requested_at: int = 0
    requested_by: str = ""
    approved_at: int | None = None
    rejected_at: int | None = None
    reason: str | None = None
    withdrawn_at: int | None = None
    granted_at: int | None = None
    limit_s: int | None = None
    ends_at: int | None = None
    ended_at: int | None = None
    duration_s: int | None = None
    warned: bool = False
    overrun: bool = False

    def to_view(self) -> dict[str, Any]:
        """The snapshot's map for this request."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def public_view(self) -> dict[str, Any]:
        """What every site may see of a request on the floor."""
        keys = (
            "request_id",
            "site",
            "speaker",
            "title",
            "kind",
            "state",
            "granted_at",
            "limit_s",
            "ends_at",
        )
        return {k: getattr(self, k) for k in keys}


@dataclass(slots=True)
class SpeakingState:
    """The queue (approved ids in order), who is on the floor, and every request."""

    queue: list[str] = field(default_factory=list)
    on_floor: list[str] = field(default_factory=list)
    requests: dict[str, SpeakRequest] = field(default_factory=dict)
    #: The open requests by site and speaker (:func:`open_key`): one each, checked at
    #: every new request without a walk over every request of the day.
    open_by_speaker: dict[str, str] = field(default_factory=dict)


def open_key(site: str, speaker: str) -> str:
    """The key of a site's speaker among the open requests (spacing and case aside)."""
    return f"{site}\n{_norm(speaker)}"


def open_index(requests: dict[str, SpeakRequest]) -> dict[str, str]:
    """:attr:`SpeakingState.open_by_speaker` rebuilt from the requests (older snapshots)."""
    return {
        open_key(r.site, r.speaker): rid for rid, r in requests.items() if r.state in OPEN_STATES
    }


def _norm(speaker: str) -> str:
    return " ".join(speaker.split()).casefold()
