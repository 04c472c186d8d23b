"""The report: time in the call and time good from the conference path, presence apart."""

from __future__ import annotations

from controlroom.domain.model import SYSTEM, Event, SiteInfo
from controlroom.report.attendance import Attendance

MIN = 60_000
SITES = (SiteInfo("HUE", "Huế", "site", endpoint="icmp:10.0.0.5"), SiteInfo("DNG", "Đà Nẵng"))


def _event(seq: int, at: int, name: str, **data) -> Event:
    return Event(seq, at, name, SYSTEM, data)


def test_presence_is_counted_apart_from_the_conference_link():
    att = Attendance(SITES)
    for event in (
        _event(1, 0, "link.changed", site="HUE", to="online", source="endpoint"),
        _event(2, 5 * MIN, "link.presence", site="HUE", presence="online"),
        _event(3, 15 * MIN, "link.presence", site="HUE", presence="away"),  # phone locked
        _event(4, 20 * MIN, "link.changed", site="HUE", to="offline", source="endpoint"),
        _event(5, 0, "link.changed", site="DNG", to="online"),  # a version-1 event
    ):
        att.feed(event)
    rows = {r["site"]: r for r in att.result(0, 30 * MIN)["sites"]}
    hue, dng = rows["HUE"], rows["DNG"]
    assert (hue["source"], hue["connected_s"], hue["presence_s"]) == ("endpoint", 1200, 600)
    # The console was the link: the technician was there while it was connected.
    assert (dng["source"], dng["connected_s"], dng["presence_s"]) == ("console", 1800, 1800)
