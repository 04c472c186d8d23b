"""Conclusions (kết luận) and their follow-up, which outlive the conference.

Regulation 001 (Điều 9): the secretariat drafts the conclusions, then follows up and
urges their implementation. A conclusion names the sites responsible for it and a
deadline; each responsible site reports its progress until it reports the work
done and the central team accepts it.

- ``conclusion.add {text, sites, deadline, item?}`` (admin, operator, assistant):
  ``conclusion.added {conclusion_id, text, sites, deadline, item}``; ``deadline`` is
  Unix ms, ``item`` the run-script item it came from (default: the current one).
- ``conclusion.report {conclusion_id, site?, text, percent, photo?, done}`` (a site
  for itself; the central team for a site): ``conclusion.reported {conclusion_id,
  site, text, percent, photo?, done}``. ``done`` asks the centre to accept the part.
- ``conclusion.accept {conclusion_id, site}`` (admin, operator, assistant): the part
  reported done is accepted (``conclusion.accepted``); the part is closed.
- ``conclusion.return {conclusion_id, site, note}``: a part reported done goes back
  to the site with the centre's note (``conclusion.returned``).
- At the deadline each part neither reported done nor accepted falls overdue, once:
  ``conclusion.overdue {conclusion_id, site}`` (the reminder, to that site and the
  centre). A part returned after its deadline falls overdue again at once.

None of these needs the conference to be under way: the follow-up goes on after
it has ended. A part is ``open`` (nothing reported), ``in_progress``, ``done``
(reported done, waiting for the centre), or ``accepted``. A conclusion is seen by
the central team, the assistant and its responsible sites; a site sees only its
own part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .command_base import Command
from .errors import Conflict, InvalidArgs, NotFound
from .model import Actor, Event, NewEvent
from .paper_commands import AcceptPart, AddConclusion, ReportProgress, ReturnPart
from .sites import require_site

if TYPE_CHECKING:
    from .state import ConferenceState

PART_STATES = ("open", "in_progress", "done", "accepted")
#: Progress reports kept per part in the state (the log keeps every one).
REPORTS_KEEP = 100


@dataclass(slots=True)
class Conclusion:
    """One conclusion and the part of each responsible site."""

    conclusion_id: str
    text: str
    sites: list[str]
    deadline: int
    item: str | None = None
    added_at: int = 0
    account: str = ""
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_view(self, site: str | None = None) -> dict[str, Any]:
        """The snapshot's map; for a site, its own part only."""
        parts = {s: _part_view(p) for s, p in self.parts.items() if site is None or s == site}
        return {
            "conclusion_id": self.conclusion_id,
            "text": self.text,
            "sites": list(self.sites),
            "deadline": self.deadline,
            "item": self.item,
            "added_at": self.added_at,
            "account": self.account,
            "parts": parts,
        }


def _part_view(part: dict[str, Any]) -> dict[str, Any]:
    return {**part, "reports": [dict(r) for r in part["reports"]]}


def new_part() -> dict[str, Any]:
    """A part nobody has reported on yet."""
    return {
        "state": "open",
        "percent": 0,
        "overdue": False,
        "reports": [],
        "accepted_at": None,
        "note": "",
    }


def _conclusion(state: ConferenceState, conclusion_id: str) -> Conclusion:
    found = state.conclusions.get(conclusion_id)
    if found is None:
        raise NotFound(
            f"There is no conclusion {conclusion_id!r}.",
            field="args.conclusion_id",
            text="no_conclusion",
            conclusion_id=conclusion_id,
        )
    return found


def _part(c: Conclusion, site: str) -> dict[str, Any]:
    part = c.parts.get(site)
    if part is None:
        raise Conflict(
            f"Site {site} is not responsible for {c.conclusion_id}.",
            field="args.site",
            text="not_responsible",
            site=site,
            conclusion_id=c.conclusion_id,
        )
    return part


def _decide_add(
    state: ConferenceState, cmd: AddConclusion, actor: Actor, now: int
) -> list[NewEvent]:
    sites = list(dict.fromkeys(cmd.sites))  # each once, in the order given
    for code in sites:
        require_site(state, code)
    if cmd.deadline <= now:
        raise InvalidArgs(
            "The deadline must be in the future.", field="args.deadline", text="deadline_past"
        )
    item = cmd.item if cmd.item is not None else state.agenda.current
    if item is not None and not any(i.item_id == item for i in state.agenda.items):
        raise NotFound(
            f"There is no run-script item {item!r}.",
            field="args.item",
            text="no_agenda_item",
            item_id=item,
        )
    number = state.counters.get("conclusion", 0) + 1
    return [
        NewEvent(
            "conclusion.added",
            {
                "conclusion_id": f"K{number:03d}",
                "text": cmd.text,
                "sites": sites,
                "deadline": cmd.deadline,
                "item": item,
            },
        )
    ]


def _decide_report(
    state: ConferenceState, cmd: ReportProgress, actor: Actor, now: int
) -> list[NewEvent]:
    assert cmd.site is not None
    c = _conclusion(state, cmd.conclusion_id)
    part = _part(c, cmd.site)
    if part["state"] == "accepted":
        raise Conflict(
            f"The part of {cmd.site} in {c.conclusion_id} is accepted already.",
            text="part_accepted",
            site=cmd.site,
            conclusion_id=c.conclusion_id,
        )
    data: dict[str, Any] = {
        "conclusion_id": c.conclusion_id,
        "site": cmd.site,
        "text": cmd.text,
        "percent": 100 if cmd.done else cmd.percent,
        "done": cmd.done,
    }
    if cmd.photo is not None:
        data["photo"] = cmd.photo
    return [NewEvent("conclusion.reported", data)]


def _decide_accept(
    state: ConferenceState, cmd: AcceptPart, actor: Actor, now: int
) -> list[NewEvent]:
    c = _conclusion(state, cmd.conclusion_id)
    part = _part(c, cmd.site)
    if part["state"] == "accepted":
        return []
    if part["state"] != "done":
        raise Conflict(
            f"{cmd.site} has not reported {c.conclusion_id} done.",
            text="part_not_done",
            site=cmd.site,
            conclusion_id=c.conclusion_id,
        )
    return [NewEvent("conclusion.accepted", {"conclusion_id": c.conclusion_id, "site": cmd.site})]


def _decide_return(
    state: ConferenceState, cmd: ReturnPart, actor: Actor, now: int
) -> list[NewEvent]:
    c = _conclusion(state, cmd.conclusion_id)
    part = _part(c, cmd.site)
    if part["state"] != "done":
        raise Conflict(
            f"{cmd.site} has not reported {c.conclusion_id} done.",
            text="part_not_done",
            site=cmd.site,
            conclusion_id=c.conclusion_id,
        )
    data = {"conclusion_id": c.conclusion_id, "site": cmd.site, "note": cmd.note}
    return [NewEvent("conclusion.returned", data)]


def _late(state: ConferenceState) -> list[tuple[int, str, str]]:
    """(deadline, conclusion, site) of every part still owed and not yet overdue."""
    return [
        (c.deadline, c.conclusion_id, site)
        for c in state.conclusions.values()
        for site, part in c.parts.items()
        if part["state"] in ("open", "in_progress") and not part["overdue"]
    ]


def deadlines(state: ConferenceState) -> list[int]:
    """Times at which a part falls overdue."""
    return [at for at, _, _ in _late(state)]


def due(state: ConferenceState, now: int) -> list[NewEvent]:
    """The ``conclusion.overdue`` events due at ``now``."""
    return [
        NewEvent("conclusion.overdue", {"conclusion_id": cid, "site": site})
        for at, cid, site in sorted(_late(state))
        if at <= now
    ]


def _apply_added(state: ConferenceState, event: Event) -> None:
    d = event.data
    cid = str(d["conclusion_id"])
    sites = [str(s) for s in d.get("sites") or []]
    state.conclusions[cid] = Conclusion(
        conclusion_id=cid,
        text=str(d.get("text", "")),
        sites=sites,
        deadline=int(d.get("deadline") or 0),
        item=d.get("item"),
        added_at=event.at,
        account=event.actor.account,
        parts={s: new_part() for s in sites},
    )
    digits = cid[1:]
    if digits.isdigit():
        state.counters["conclusion"] = max(state.counters.get("conclusion", 0), int(digits))


def _part_of(state: ConferenceState, event: Event) -> dict[str, Any] | None:
    c = state.conclusions.get(str(event.data.get("conclusion_id", "")))
    return None if c is None else c.parts.get(str(event.data.get("site", "")))


def _apply_reported(state: ConferenceState, event: Event) -> None:
    part = _part_of(state, event)
    if part is None:
        return
    d = event.data
    report = {
        "at": event.at,
        "account": event.actor.account,
        "text": d.get("text", ""),
        "percent": d.get("percent", 0),
        "done": bool(d.get("done")),
        "photo": d.get("photo"),
    }
    part["reports"].append(report)
    del part["reports"][:-REPORTS_KEEP]
    part["percent"] = report["percent"]
    part["state"] = "done" if report["done"] else "in_progress"
    part["note"] = ""


def _apply_accepted(state: ConferenceState, event: Event) -> None:
    part = _part_of(state, event)
    if part is not None:
        part["state"] = "accepted"
        part["accepted_at"] = event.at


def _apply_returned(state: ConferenceState, event: Event) -> None:
    part = _part_of(state, event)
    if part is not None:
        part["state"] = "in_progress"
        part["note"] = str(event.data.get("note", ""))
        part["overdue"] = False  # owed again: overdue again at once if past the deadline


def _apply_overdue(state: ConferenceState, event: Event) -> None:
    part = _part_of(state, event)
    if part is not None:
        part["overdue"] = True


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    AddConclusion: _decide_add,
    ReportProgress: _decide_report,
    AcceptPart: _decide_accept,
    ReturnPart: _decide_return,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "conclusion.added": _apply_added,
    "conclusion.reported": _apply_reported,
    "conclusion.accepted": _apply_accepted,
    "conclusion.returned": _apply_returned,
    "conclusion.overdue": _apply_overdue,
}
