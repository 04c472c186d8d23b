"""Fan-out keys deliver an event to exactly the sessions `visible()` allows, and every
event the hub can write has an entry in the one registry (domain/audiences.py)."""

from __future__ import annotations

import itertools
import re

from controlroom.domain import Actor, visible
from controlroom.domain.audiences import FAMILIES, NAMES
from controlroom.domain.machine import _APPLIERS
from controlroom.service.audience import event_keys, viewer_keys
from tests.conftest import ROOT

VIEWERS = [Actor("a", r, None) for r in ("admin", "operator", "chair", "assistant", "bridge")] + [
    Actor("s1", "site", "HNI"),
    Actor("s2", "site", "HCM"),
]
WRITTEN = re.compile(r'NewEvent\(\s*"([a-z_]+\.[a-z_]+)"')


def _event_names() -> set[str]:
    """Every event name the code can write or apply."""
    names = set(_APPLIERS)
    for path in (ROOT / "controlroom").rglob("*.py"):
        names.update(WRITTEN.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_event_the_hub_writes_has_a_rule():
    names = _event_names()
    assert len(names) > 30  # the scan is real
    missing = sorted(n for n in names if n not in NAMES and n.split(".")[0] not in FAMILIES)
    assert missing == []


def test_keys_agree_with_visible_for_every_event_and_viewer():
    """For every event name, site and role, key matching equals visible()."""
    datas = [
        {"site": "HNI"},
        {"site": "HCM"},
        {},
        {"sites": ["HNI"]},
        {"site": "HNI", "to_site": False},
    ]
    for name, data, viewer in itertools.product(sorted(_event_names()), datas, VIEWERS):
        if viewer.role == "bridge":
            continue  # no session: a bridge only posts samples
        by_keys = bool(set(viewer_keys(viewer)) & set(event_keys(name, data)))
        assert by_keys == visible(name, data, viewer), (name, data, viewer)


def test_who_sees_what():
    site, other = Actor("s1", "site", "HNI"), Actor("s2", "site", "HCM")
    assistant, bridge = Actor("t", "assistant", None), Actor("b", "bridge", None)
    mine = {"site": "HNI"}
    assert visible("fault.reported", mine, site) and not visible("fault.reported", mine, other)
    assert not visible("fault.reported", mine, assistant)
    assert visible("speak.granted", mine, other) and not visible("speak.approved", mine, other)
    assert visible("agenda.started", {}, bridge) and not visible("speak.granted", mine, bridge)
    assert not visible("campaign.progress", mine, site)
    assert not visible("msg.sent", mine, assistant) and visible("cue.sent", mine, assistant)
    assert visible("announce.sent", {"sites": ["HNI"]}, site)
    assert not visible("announce.sent", {"sites": ["HNI"]}, other)
    assert not visible("hub.started", {}, site) and not visible("no.such", mine, site)


def test_a_note_for_the_centre_only_never_reaches_the_site():
    for to_site, viewer in itertools.product([True, False, None], VIEWERS[:-3] + VIEWERS[-2:]):
        data = {"site": "HNI", "fault_id": "F0001", "text": "x"}
        if to_site is not None:
            data["to_site"] = to_site
        by_keys = bool(set(viewer_keys(viewer)) & set(event_keys("fault.noted", data)))
        assert by_keys == visible("fault.noted", data, viewer), (to_site, viewer)
        if viewer.site == "HNI":
            assert by_keys is (to_site is not False)
