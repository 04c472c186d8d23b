"""Announcements: the centre tells many sites at once, and sees who has read it.

- ``announce.send {text, sites?, region?}`` (operator, assistant): to every bridge
  site, to the sites of a region, or to a list; ``announce.sent`` names the sites
  it went to (resolved when it is sent, so a later change of the site list does not
  change who was told).
- ``announce.read {announcement_id}`` (site): the technician tapped "Đã xem";
  ``announce.read`` once per site (reading again adds nothing).

A site sees the announcements sent to it, with its own read mark only; the central
team sees every announcement with its read marks (who has not read it yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .commands import Command, ReadAnnouncement, SendAnnouncement
from .conference import require_not_ended
from .errors import Conflict, NotFound
from .model import Actor, Event, NewEvent
from .sites import require_sites

if TYPE_CHECKING:
    from .state import ConferenceState


@dataclass(slots=True)
class Announcement:
    """One announcement and who has read it (site -> when)."""

    announcement_id: str
    text: str
    sites: list[str]
    sent_at: int
    sent_by: str
    region: str | None = None
    read: dict[str, int] = field(default_factory=dict)

    def to_view(self, site: str | None = None) -> dict[str, Any]:
        """The snapshot's map: every read mark, or (for ``site``) its own only."""
        read = self.read if site is None else {k: v for k, v in self.read.items() if k == site}
        return {
            "announcement_id": self.announcement_id,
            "text": self.text,
            "sites": list(self.sites) if site is None else [site],
            "region": self.region,
            "sent_at": self.sent_at,
            "sent_by": self.sent_by,
            "read": dict(read),
        }


def _decide_send(
    state: ConferenceState, cmd: SendAnnouncement, actor: Actor, now: int
) -> list[NewEvent]:
    require_not_ended(state, "announcements")
    bridge_sites = [s for s in state.sites.values() if s.kind != "central"]
    if cmd.sites:
        require_sites(state, cmd.sites)
        chosen = list(dict.fromkeys(cmd.sites))
    elif cmd.region:
        chosen = [s.code for s in bridge_sites if s.region == cmd.region]
    else:
        chosen = [s.code for s in bridge_sites]
    if not chosen:
        raise Conflict("No site is in that region.", field="args.region", text="no_site_to_tell")
    number = state.counters.get("announcement", 0) + 1
    data = {
        "announcement_id": f"A{number:04d}",
        "text": cmd.text,
        "sites": chosen,
        "region": (cmd.region or None) if not cmd.sites else None,
    }
    return [NewEvent("announce.sent", data)]


def _decide_read(
    state: ConferenceState, cmd: ReadAnnouncement, actor: Actor, now: int
) -> list[NewEvent]:
    item = state.announcements.get(cmd.announcement_id)
    if item is None or cmd.site not in item.sites:
        raise NotFound(
            f"There is no announcement {cmd.announcement_id!r}.",
            field="args.announcement_id",
            text="no_announcement",
            announcement_id=cmd.announcement_id,
        )
    if cmd.site in item.read:
        return []  # read already: nothing new
    return [NewEvent("announce.read", {"announcement_id": item.announcement_id, "site": cmd.site})]


def _apply_sent(state: ConferenceState, event: Event) -> None:
    d = event.data
    state.announcements[d["announcement_id"]] = Announcement(
        d["announcement_id"],
        d.get("text", ""),
        list(d.get("sites") or []),
        event.at,
        event.actor.account,
        d.get("region"),
    )
    number = int(str(d["announcement_id"])[1:] or 0)
    state.counters["announcement"] = max(state.counters.get("announcement", 0), number)


def _apply_read(state: ConferenceState, event: Event) -> None:
    item = state.announcements.get(event.data.get("announcement_id", ""))
    if item is not None:
        item.read.setdefault(str(event.data.get("site")), event.at)


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    SendAnnouncement: _decide_send,
    ReadAnnouncement: _decide_read,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "announce.sent": _apply_sent,
    "announce.read": _apply_read,
}
