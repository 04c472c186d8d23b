"""Mass drops: many sites lost at once are one incident, not a fault per site.

When the central uplink or the bridge fails, dozens of sites go offline within a
second. Pexip and Cisco TMS show that as one alarm; so does the hub. Rules (pure,
decided on the state before the change):

- A site going ``offline`` while the conference is live (and the site not
  flapping) **joins** the open incident if one is open and the last site joined it
  within ``incident_window_s``: ``fault.incident_updated {down: [site]}``.
- Otherwise, if with it at least ``max(incident_min_sites, incident_share x the
  sites connected)`` went offline within ``incident_window_s``, it **opens** an
  incident: one critical ``network`` fault of the central site whose
  ``incident`` lists the sites, and the faults the hub had opened for those sites a
  moment before (nobody having taken them) are resolved into it.
- Otherwise ``None``: the caller opens the site's own fault as before.
- A site of the incident coming back is ticked off (``back: [site]``); when every
  site is back, the hub resolves the incident (``auto``, with the outage's length).
"""

from __future__ import annotations

import math
from typing import Any

from . import faults
from .faults import Fault
from .model import SYSTEM, NewEvent, Thresholds
from .state import ConferenceState

CONNECTED = ("online", "degraded")


def open_incident(state: ConferenceState) -> Fault | None:
    """The newest incident not yet resolved, if any."""
    found = None
    for fault in state.faults.values():
        if fault.incident is not None and fault.state in faults.OPEN_STATES:
            found = fault
    return found


def _central(state: ConferenceState) -> str:
    return next((c for c, s in state.sites.items() if s.kind == "central"), next(iter(state.sites)))


def _names(state: ConferenceState, codes: list[str]) -> str:
    return ", ".join(state.sites[c].name if c in state.sites else c for c in codes)


def on_offline(state: ConferenceState, site: str, now: int, t: Thresholds) -> list[NewEvent] | None:
    """The incident events for ``site`` going offline, or None when it is no mass drop."""
    window_ms = t.incident_window_s * 1000
    incident = open_incident(state)
    if incident is not None and incident.incident is not None:
        if site in incident.incident and incident.incident[site] == "down":
            return []
        if now - incident.incident_joined_at <= window_ms:
            text = f"Thêm điểm cầu mất kết nối: {_names(state, [site])}."
            data = {"fault_id": incident.fault_id, "site": incident.site, "down": [site]}
            joined = {"code": "incident_down", "sites": [site]}
            return [NewEvent("fault.incident_updated", {**data, "text": text, "text_code": joined})]
    recent = [
        code
        for code, s in state.sites.items()
        if code != site
        and s.link.get("state") == "offline"
        and now - int(s.link.get("since") or 0) <= window_ms
    ]
    connected = sum(1 for s in state.sites.values() if s.link.get("state") in CONNECTED)
    baseline = connected + len(recent)  # this site is among the connected ones
    needed = max(t.incident_min_sites, math.ceil(t.incident_share * baseline))
    lost = [*recent, site]
    if len(lost) < needed:
        return None
    description = (
        f"Mất kết nối đồng loạt {len(lost)} điểm cầu trong {t.incident_window_s:g} giây"
        f" (sự cố đường truyền chung): {_names(state, lost)}."
    )
    report = faults.reported_event(state, _central(state), "network", "critical", description)
    report.data["incident"] = lost
    described: dict[str, Any] = {"code": "incident", "sites": lost, "window_s": t.incident_window_s}
    report.data["description_code"] = described
    events = [report]
    for lost_site in recent:
        own = faults.open_fault_of(state, lost_site, "network")
        if own is not None and _hub_holds(own):
            text = f"Gộp vào sự cố mất kết nối đồng loạt {report.data['fault_id']}."
            events.append(
                NewEvent(
                    "fault.resolved",
                    {
                        "fault_id": own.fault_id,
                        "site": lost_site,
                        "resolution": text,
                        "auto": True,
                        "merged_into": report.data["fault_id"],
                    },
                )  # fmt: skip
            )
    return events


def on_online(state: ConferenceState, site: str, now: int) -> list[NewEvent]:
    """Tick ``site`` off the open incident; resolve it when every site is back."""
    incident = open_incident(state)
    if incident is None or incident.incident is None or incident.incident.get(site) != "down":
        return []
    text = f"Điểm cầu đã kết nối lại: {_names(state, [site])}."
    events = [
        NewEvent(
            "fault.incident_updated",
            {
                "fault_id": incident.fault_id,
                "site": incident.site,
                "back": [site],
                "text": text,
                "text_code": {"code": "incident_back", "sites": [site]},
            },
        )
    ]
    still_down = [c for c, s in incident.incident.items() if s == "down" and c != site]
    if not still_down and incident.assignee is None:
        outage_s = max(0, (now - incident.reported_at) // 1000)
        events.append(
            NewEvent(
                "fault.resolved",
                {
                    "fault_id": incident.fault_id,
                    "site": incident.site,
                    "resolution": f"Tất cả {len(incident.incident)} điểm cầu đã kết nối lại"
                    f" sau {outage_s // 60} phút {outage_s % 60} giây; hệ thống tự đóng sự cố.",
                    "resolution_code": {
                        "code": "incident_resolved",
                        "count": len(incident.incident),
                        "outage_s": outage_s,
                    },
                    "auto": True,
                    "outage_s": outage_s,
                },
            )
        )
    return events


def _hub_holds(fault: Fault) -> bool:
    """Opened by the hub and taken by nobody: the hub may close it."""
    return fault.reported_by == SYSTEM.account and fault.state == "open" and fault.assignee is None
