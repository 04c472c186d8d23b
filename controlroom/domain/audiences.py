"""Who may see each event: one registry, from which every filter is derived.

PROTOCOL.md's "Who sees what" as data. Each event family (the name's prefix) or
single name has one :class:`Rule`; :func:`audience` turns a rule and an event's
data into an :class:`Audience` (the assistant or not, every site or not, which
sites). ``visibility.visible`` (catch-up, HTTP) and ``service.audience`` (the
live fan-out keys) both read it, so they cannot disagree, and a new event needs
one entry here. A name with no entry is for the central team only: a forgotten
entry hides an event, it never leaks one.

The central team (``admin``, ``operator``, ``chair``, and the hub itself) sees
every event; an ``Audience`` says who else does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    """Who besides the central team sees an event family.

    - ``assistant``: the chair's assistant;
    - ``every_site``: every site (the public floor, the run-script);
    - ``anyone``: a session of any other role too (the run-script, the phase);
    - ``own_site``: the site named by ``data.site``;
    - ``listed_sites``: the sites named by ``data.sites`` (each hears of itself only).
    """

    assistant: bool = False
    every_site: bool = False
    anyone: bool = False
    own_site: bool = False
    listed_sites: bool = False


@dataclass(frozen=True, slots=True)
class Audience:
    """Who besides the central team sees one event: ``sites`` when not every site."""

    assistant: bool
    every_site: bool
    anyone: bool
    sites: tuple[str, ...]


CENTRAL_ONLY = Rule()
#: Families by prefix; a name listed in ``NAMES`` overrides its family.
FAMILIES: dict[str, Rule] = {
    "conference": Rule(assistant=True, every_site=True, anyone=True),
    "agenda": Rule(assistant=True, every_site=True, anyone=True),
    "site": Rule(assistant=True, own_site=True),
    "link": Rule(assistant=True, own_site=True),
    "speak": Rule(assistant=True, own_site=True),
    "cue": Rule(assistant=True, own_site=True),
    "fault": Rule(own_site=True),
    "testcall": Rule(own_site=True),
    "msg": Rule(own_site=True),
    "announce": Rule(assistant=True, own_site=True),
    "conclusion": Rule(assistant=True, own_site=True),
    "minutes": Rule(assistant=True),
    "campaign": CENTRAL_ONLY,
    "hub": CENTRAL_ONLY,
}
NAMES: dict[str, Rule] = {
    # The public floor: every site sees who speaks, for how long, and when they stop.
    "speak.granted": Rule(assistant=True, every_site=True),
    "speak.extended": Rule(assistant=True, every_site=True),
    "speak.ended": Rule(assistant=True, every_site=True),
    "announce.sent": Rule(assistant=True, listed_sites=True),
    "conclusion.added": Rule(assistant=True, listed_sites=True),
}


def rule_of(name: str) -> Rule:
    """The rule of an event name (central only when it has none)."""
    found = NAMES.get(name)
    if found is not None:
        return found
    return FAMILIES.get(name.split(".", 1)[0], CENTRAL_ONLY)


def is_internal_note(name: str, data: dict[str, Any]) -> bool:
    """Whether an event is an operator's note for the centre only (not the fault's site).

    ``fault.note`` defaults to ``to_site`` true (PROTOCOL.md: a site sees every event
    about itself), and a note from before notes had a visibility (no ``to_site``)
    stays visible to the site, as it was when written.
    """
    return name == "fault.noted" and data.get("to_site") is False


def audience(name: str, data: dict[str, Any]) -> Audience:
    """Who besides the central team sees the event ``name`` with ``data``."""
    rule = rule_of(name)
    sites: tuple[str, ...] = ()
    if rule.listed_sites:
        listed = data.get("sites")
        if isinstance(listed, list):
            sites = tuple(s for s in listed if isinstance(s, str))
    elif rule.own_site and not is_internal_note(name, data):
        site = data.get("site")
        if isinstance(site, str):
            sites = (site,)
    return Audience(rule.assistant, rule.every_site, rule.anyone, sites)
