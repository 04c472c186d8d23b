"""Fan-out keys deliver an event to exactly the sessions `visible()` allows."""

import itertools

from controlroom.domain import Actor, visible
from controlroom.service.audience import event_keys, viewer_keys

NAMES = [
    "conference.phase",
    "site.checked_in",
    "site.status",
    "link.changed",
    "link.flapping",
    "fault.reported",
    "fault.acknowledged",
    "fault.assigned",
    "fault.noted",
    "fault.resolved",
    "fault.confirmed",
    "fault.reopened",
    "fault.escalated",
    "speak.requested",
    "speak.approved",
    "speak.rejected",
    "speak.moved",
    "speak.withdrawn",
    "speak.granted",
    "speak.extended",
    "speak.warning",
    "speak.overrun",
    "speak.ended",
    "agenda.started",
    "agenda.overrun",
    "agenda.finished",
    "testcall.started",
    "testcall.result",
    "campaign.progress",
    "msg.sent",
    "msg.read",
    "cue.sent",
    "cue.answered",
]
VIEWERS = [Actor("a", r, None) for r in ("admin", "operator", "chair", "assistant")] + [
    Actor("s1", "site", "HNI"),
    Actor("s2", "site", "HCM"),
]


def test_keys_agree_with_visible_for_every_event_and_viewer():
    """For every event name, site and role, key matching equals visible()."""
    for name, site, viewer in itertools.product(NAMES, ["HNI", "HCM", None], VIEWERS):
        data = {"site": site} if site else {}
        by_keys = bool(set(viewer_keys(viewer)) & set(event_keys(name, data)))
        assert by_keys == visible(name, data, viewer), (name, site, viewer)


def test_a_note_for_the_centre_only_never_reaches_the_site():
    for to_site, viewer in itertools.product([True, False, None], VIEWERS):
        data = {"site": "HNI", "fault_id": "F0001", "text": "x"}
        if to_site is not None:
            data["to_site"] = to_site
        by_keys = bool(set(viewer_keys(viewer)) & set(event_keys("fault.noted", data)))
        assert by_keys == visible("fault.noted", data, viewer), (to_site, viewer)
        if viewer.site == "HNI":
            assert by_keys is (to_site is not False)
