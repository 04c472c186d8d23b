"""Who sees what (PROTOCOL.md): per-event filtering and per-viewer snapshots.

Which events each viewer sees is the registry of ``audiences.py``; this module
applies it to a viewer, and builds each viewer's snapshot:

- ``admin``, ``operator``, ``chair`` (and the hub itself): every event, the whole state.
- ``assistant``: ``speak.*``, ``agenda.*``, ``link.changed``, ``conference.*``,
  ``site.*``; in the snapshot no faults and no test calls (empty maps).
- ``site``: every event whose ``data.site`` is its own site; of other sites only the
  public floor (``speak.granted``, ``speak.extended``, ``speak.ended``), ``agenda.*``
  and ``conference.*``;
  never ``campaign.progress``. Its snapshot holds only its own site, faults, test
  calls and requests, plus the public part of any request on the floor; the queue is
  filtered to its own requests.
- A site's thread (``msg.*``) is seen by that site and the central team, never by the
  assistant; cues (``cue.*``) by their site, the central team and the assistant; an
  operator's note for the centre only (``fault.noted`` with ``to_site`` false) never
  by the site.
- The minutes (``minutes.*``) are seen by the central team and the assistant only.
- Conclusions (``conclusion.*``) are seen by the central team, the assistant and
  their responsible sites; a site's snapshot holds its own part of each only.
- Any other role sees only ``conference.*`` and ``agenda.*``.

The snapshot's ``speaking.on_floor`` is the earliest-granted request on the floor (or
null); ``speaking.floor`` lists all of them (more than one when ``max_on_floor`` > 1).
"""

from __future__ import annotations

import copy
from typing import Any

from .audiences import audience
from .model import Actor
from .state import ConferenceState

_EVERYTHING = frozenset({"admin", "operator", "chair", "system"})


def visible(name: str, data: dict[str, Any], viewer: Actor) -> bool:
    """Whether ``viewer`` may see the event ``name`` with ``data`` (``audiences.py``)."""
    if viewer.role in _EVERYTHING:
        return True
    who = audience(name, data)
    if viewer.role == "assistant":
        return who.assistant
    if viewer.role != "site":
        return who.anyone
    return who.every_site or (viewer.site is not None and viewer.site in who.sites)


def _speaking_view(state: ConferenceState, site: str | None, everything: bool) -> dict[str, Any]:
    sp = state.speaking
    requests: dict[str, Any] = {}
    places = {rid: index for index, rid in enumerate(sp.queue, 1)}
    for rid, r in sp.requests.items():
        if everything:
            requests[rid] = r.to_view()
        elif r.site == site:  # [ext] its place in the whole queue, which it does not see
            requests[rid] = {**r.to_view(), "position": places.get(rid)}
        elif rid in sp.on_floor:
            known = state.sites.get(r.site)
            requests[rid] = {**r.public_view(), "site_name": known.name if known else r.site}
    queue = [rid for rid in sp.queue if everything or sp.requests[rid].site == site]
    return {
        "queue": queue,
        "on_floor": sp.on_floor[0] if sp.on_floor else None,
        "floor": list(sp.on_floor),
        "requests": requests,
    }


def view(state: ConferenceState, viewer: Actor) -> dict[str, Any]:
    """The snapshot ``state`` map that ``viewer`` may see (JSON-able)."""
    role = viewer.role
    result: dict[str, Any] = {
        "conference": state.conference.to_view(),
        "agenda": state.agenda.to_view(),
    }
    if role in _EVERYTHING or role == "assistant":
        result["sites"] = {code: s.to_view() for code, s in state.sites.items()}
        result["speaking"] = _speaking_view(state, None, True)
        result["announcements"] = {k: a.to_view() for k, a in state.announcements.items()}
        result["cues"] = {k: c.to_view() for k, c in state.cues.items()}
        result["conclusions"] = {k: c.to_view() for k, c in state.conclusions.items()}
        result["minutes"] = {k: n.to_view() for k, n in state.minutes.items()}
        if role == "assistant":
            result["faults"], result["testcalls"], result["threads"] = {}, {}, {}
        else:
            result["faults"] = {fid: f.to_view() for fid, f in state.faults.items()}
            result["testcalls"] = {k: _copy(v) for k, v in state.testcalls.items()}
            result["campaign"] = _copy(state.campaign) if state.campaign else None
            result["threads"] = {code: t.to_view() for code, t in state.threads.items()}
        return result
    own = viewer.site if role == "site" else None
    result["sites"] = {c: s.to_view() for c, s in state.sites.items() if c == own}
    result["faults"] = {
        fid: f.to_view(for_site=True) for fid, f in state.faults.items() if f.site == own
    }
    result["testcalls"] = {c: _copy(v) for c, v in state.testcalls.items() if c == own}
    result["speaking"] = _speaking_view(state, own, False)
    result["announcements"] = {
        k: a.to_view(own) for k, a in state.announcements.items() if own in a.sites
    }
    result["threads"] = {c: t.to_view() for c, t in state.threads.items() if c == own}
    result["cues"] = {k: c.to_view() for k, c in state.cues.items() if c.site == own}
    result["conclusions"] = {
        k: c.to_view(own)
        for k, c in state.conclusions.items()
        if own is not None and own in c.parts
    }
    return result


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value)
