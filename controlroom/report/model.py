"""The report as a pure value, computed from the configuration and the event log alone.

Rules:

- Input: the conference's :class:`ConferenceConfig`, its stored events in seq order,
  and the chain :class:`Verification` of those events. No live estimate, no clock:
  the same log always gives the same report (``generated_at`` is the only field that
  is not derived from the log, and it is only set when the caller passes it).
- The *window* of the conference runs from the first ``conference.phase`` to
  ``live`` (else the first event) to the first ``conference.phase`` to ``ended``
  (else the last event). Attendance is measured inside the window; faults,
  speeches, the run-script, test calls and the conclusions' follow-up count whenever
  they happened.
- The output is a JSON-able ``dict`` (the JSON format is exactly this); the HTML and
  CSV renderers only format it.
- A log whose chain does not verify is still reported (it is what the log holds), with
  ``audit.ok`` false, and every renderer says so first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from controlroom.config import ConferenceConfig
from controlroom.domain.model import Event
from controlroom.report.attendance import Attendance
from controlroom.report.faults import Faults
from controlroom.report.followup import FollowUp
from controlroom.report.minutes import Minutes
from controlroom.report.runscript import RunScript
from controlroom.report.speaking import Speaking
from controlroom.report.stats import seconds
from controlroom.report.testcalls import TestCalls
from controlroom.store.chain import Verification

REPORT_VERSION = 1


def build_report(
    config: ConferenceConfig,
    events: Iterable[Event],
    verification: Verification,
    *,
    head_hash: str | None = None,
    generated_at: int | None = None,
    checkpoints: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole report of one conference, from its log (and its checkpoints' check)."""
    attendance = Attendance(config.sites)
    faults = Faults({site.code: site.name for site in config.sites})
    speaking = Speaking()
    runscript = RunScript(config.agenda)
    testcalls = TestCalls(config.sites)
    followup = FollowUp({site.code: site.name for site in config.sites})
    minutes = Minutes()
    by_prefix = {
        "link": attendance.feed,
        "site": attendance.feed,
        "fault": faults.feed,
        "speak": speaking.feed,
        "agenda": runscript.feed,
        "testcall": testcalls.feed,
        "conclusion": followup.feed,
        "minutes": minutes.feed,
    }
    names: Counter[str] = Counter()
    first_at = last_at = None
    live_at = ended_at = None
    phases: list[dict[str, Any]] = []
    for event in events:
        names[event.name] += 1
        if first_at is None:
            first_at = event.at
        last_at = event.at
        prefix = event.name.split(".", 1)[0]
        feed = by_prefix.get(prefix)
        if feed is not None:
            feed(event)
        elif event.name == "conference.phase":
            phase = event.data.get("phase")
            phases.append({"phase": phase, "at": event.at})
            if phase == "live" and live_at is None:
                live_at = event.at
            elif phase == "ended" and ended_at is None:
                ended_at = event.at
    info = config.conference
    start = live_at if live_at is not None else (first_at or info.starts_at)
    end = ended_at if ended_at is not None else (last_at or start)
    end = max(end, start)
    last = last_at if last_at is not None else end
    attended = attendance.result(start, end)
    spoken = speaking.result(last)
    run = runscript.result(last)
    return {
        "version": REPORT_VERSION,
        "conference": {
            "id": info.id,
            "title": info.title,
            "classification": info.classification,
            "starts_at": info.starts_at,
            "test_at": info.test_at,
            "timezone": info.timezone,
            "sites": len(config.sites),
            "agenda_items": len(config.agenda),
        },
        "window": {
            "start": start,
            "end": end,
            "duration_s": seconds(end - start),
            "live_at": live_at,
            "ended_at": ended_at,
            "first_event_at": first_at,
            "last_event_at": last_at,
            "phases": phases,
        },
        "attendance": attended,
        "faults": faults.result(),
        "speaking": spoken,
        "runscript": run,
        "minutes": minutes.result(run["items"], spoken["list"], attended["sites"]),
        "testcalls": testcalls.result(),
        "followup": followup.result(),
        "audit": {**verification.to_dict(), "head_hash": head_hash, "checkpoints": checkpoints},
        "events": {"count": sum(names.values()), "by_name": dict(sorted(names.items()))},
        "generated_at": generated_at,
    }
