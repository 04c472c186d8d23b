"""A thread per site: the site's technician and the central operators write to each other.

- ``msg.send {site?, text, photo?}`` (site, operator): ``msg.sent {message_id, site,
  side, text, photo?}``; ``side`` is ``"site"`` when the site's own account wrote it,
  ``"centre"`` otherwise. A message holds text, a photo, or both, never neither.
- ``msg.read {site?, up_to}`` (site, operator): ``msg.read {site, side, up_to}``, the
  reader's side has read the thread up to that message (a mark never goes back, and
  reading what is read already adds nothing).

Like a fault, a thread is seen by its own site and the central team only (not the
assistant, not another site): the events carry ``data.site`` and no other rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .command_base import Command
from .conference import require_not_ended
from .errors import InvalidArgs, NotFound
from .model import Actor, Event, NewEvent
from .sites import require_site
from .talk_commands import ReadMessages, SendMessage

if TYPE_CHECKING:
    from .state import ConferenceState

#: Messages kept per thread in the state (the log keeps every one).
THREAD_KEEP = 500


@dataclass(slots=True)
class Thread:
    """One site's messages, oldest first, and how far each side has read."""

    site: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    read_site: str = ""
    read_centre: str = ""

    def to_view(self) -> dict[str, Any]:
        """The snapshot's map of this thread, with each side's unread count."""
        return {
            "site": self.site,
            "messages": [dict(m) for m in self.messages],
            "read": {"site": self.read_site, "centre": self.read_centre},
            "unread": {"site": self.unread("site"), "centre": self.unread("centre")},
        }

    def unread(self, side: str) -> int:
        """Messages of the other side after this side's read mark."""
        mark = self.read_site if side == "site" else self.read_centre
        after = number(mark)
        return sum(
            1 for m in self.messages if m["side"] != side and number(m["message_id"]) > after
        )


def number(message_id: str) -> int:
    """The number of a message id ("M00042" -> 42; 0 for none), the order of the thread."""
    digits = message_id[1:]
    return int(digits) if digits.isdigit() else 0


def _later(a: str, b: str) -> str:
    return a if number(a) >= number(b) else b


def side_of(actor: Actor) -> str:
    """``"site"`` for a site's own account, ``"centre"`` for the central team."""
    return "site" if actor.role == "site" else "centre"


def _decide_send(
    state: ConferenceState, cmd: SendMessage, actor: Actor, now: int
) -> list[NewEvent]:
    require_not_ended(state, "messages")
    assert cmd.site is not None
    require_site(state, cmd.site)
    if not cmd.text and cmd.photo is None:
        raise InvalidArgs(
            "A message needs text, a photo, or both.", field="args.text", text="empty_message"
        )
    number = state.counters.get("message", 0) + 1
    data: dict[str, Any] = {
        "message_id": f"M{number:05d}",
        "site": cmd.site,
        "side": side_of(actor),
        "text": cmd.text,
    }
    if cmd.photo is not None:
        data["photo"] = cmd.photo
    return [NewEvent("msg.sent", data)]


def _decide_read(
    state: ConferenceState, cmd: ReadMessages, actor: Actor, now: int
) -> list[NewEvent]:
    assert cmd.site is not None
    require_site(state, cmd.site)
    thread = state.threads.get(cmd.site)
    if thread is None or not any(m["message_id"] == cmd.up_to for m in thread.messages):
        raise NotFound(
            f"There is no message {cmd.up_to!r} in this thread.",
            field="args.up_to",
            text="no_message",
            message_id=cmd.up_to,
        )
    side = side_of(actor)
    mark = thread.read_site if side == "site" else thread.read_centre
    if number(cmd.up_to) <= number(mark):
        return []  # read already
    return [NewEvent("msg.read", {"site": cmd.site, "side": side, "up_to": cmd.up_to})]


def _apply_sent(state: ConferenceState, event: Event) -> None:
    d = event.data
    site = str(d.get("site", ""))
    thread = state.threads.setdefault(site, Thread(site))
    message = {
        "message_id": d["message_id"],
        "side": d.get("side", "centre"),
        "text": d.get("text", ""),
        "photo": d.get("photo"),
        "at": event.at,
        "account": event.actor.account,
    }
    thread.messages.append(message)
    if len(thread.messages) > THREAD_KEEP:
        del thread.messages[: len(thread.messages) - THREAD_KEEP]
    # The writer has read everything up to their own message.
    if message["side"] == "site":
        thread.read_site = _later(thread.read_site, message["message_id"])
    else:
        thread.read_centre = _later(thread.read_centre, message["message_id"])
    state.counters["message"] = max(state.counters.get("message", 0), number(d["message_id"]))


def _apply_read(state: ConferenceState, event: Event) -> None:
    d = event.data
    thread = state.threads.get(str(d.get("site", "")))
    if thread is None:
        return
    up_to = str(d.get("up_to", ""))
    if d.get("side") == "site":
        thread.read_site = _later(thread.read_site, up_to)
    else:
        thread.read_centre = _later(thread.read_centre, up_to)


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    SendMessage: _decide_send,
    ReadMessages: _decide_read,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "msg.sent": _apply_sent,
    "msg.read": _apply_read,
}
