"""Test calls and the day-before campaign: which calls run, their verdicts, the progress.

The media runner of the service performs the calls; this module decides what is
recorded, so every call and every verdict is a durable event with a reproducible id.

Rules:

- ``testcall.start {site}`` (operator) → ``testcall.started {call, site, campaign:
  null, attempt: 1}``; call ids are ``T0001``, ``T0002`` ... from ``counters``. A
  site with a call running is a :class:`Conflict`; an unknown site :class:`NotFound`.
- ``testcall.campaign {sites?, concurrency?}`` (operator) or ``test_at``
  (:class:`AutoCampaign`, SYSTEM, once per conference and only while the phase is
  ``planned`` or ``rehearsal``) → ``campaign.started {campaign, sites,
  concurrency, trigger}``; ids ``K001`` ...; every ``site``-kind site when
  ``sites`` is not given; concurrency 8 by default. One campaign at a time.
- :class:`CallSite` (SYSTEM) starts a call of the running campaign
  (``testcall.started`` with ``campaign`` and ``attempt``).
- :class:`FinishTestCall` (SYSTEM) records ``testcall.result {call, site, verdict,
  metrics, reasons, campaign, attempt, retry}`` for the site's running call (else
  :class:`Conflict`). In a running campaign a ``fail`` on the first attempt is
  retried once (``retry: true``; the runner calls again after a delay); any other
  result is final for that site. Each result of a campaign call is followed by
  ``campaign.progress {campaign, state, total, done, pass, warn, fail, retries,
  site, verdict, final}``; the last final result makes ``state`` ``done``.
- ``testcall.cancel {call?}`` (operator): that running call, or (no ``call``) every
  running call and the running campaign, end with a ``fail`` "cancelled" result
  (never retried) and ``campaign.progress`` ``state: cancelled`` whose ``finals``
  map gives the last verdict of every site it ended; nothing running
  is a :class:`Conflict`, an unknown call :class:`NotFound`.
- :class:`InterruptTestCalls` (SYSTEM, at start-up) does the same with the reason
  "interrupted" and ``state: interrupted``; with nothing running it emits nothing.
- ``state.testcalls[site]`` is the site's latest call (``running`` or ``done``);
  ``state.campaign`` the latest campaign. No clock reads, no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .commands import (
    CancelTestCall,
    Command,
    StartCampaign,
    StartTestCall,
)
from .errors import Conflict, NotFound
from .model import Actor, Event, NewEvent
from .sites import require_site, require_sites
from .system_commands import (
    AutoCampaign,
    CallSite,
    FinishTestCall,
    InterruptTestCalls,
)

if TYPE_CHECKING:
    from .state import ConferenceState

DEFAULT_CONCURRENCY = 8
MAX_ATTEMPTS = 2
VERDICTS = ("pass", "warn", "fail")

CANCELLED = {
    "code": "cancelled",
    "level": "fail",
    "vi": "Cuộc gọi thử đã bị huỷ",
    "en": "The test call was cancelled",
}
INTERRUPTED = {
    "code": "interrupted",
    "level": "fail",
    "vi": "Cuộc gọi thử bị gián đoạn vì hub khởi động lại",
    "en": "The test call was interrupted by a restart of the hub",
}


def _number(ident: Any) -> int:
    text = str(ident or "")[1:]
    return int(text) if text.isdigit() else 0


def running_calls(state: ConferenceState) -> list[dict[str, Any]]:
    """Every call in state ``running``, in site order."""
    return [tc for tc in state.testcalls.values() if tc.get("state") == "running"]


def running_campaign(state: ConferenceState) -> dict[str, Any] | None:
    """The campaign in state ``running``, or None."""
    campaign = state.campaign
    return campaign if campaign is not None and campaign.get("state") == "running" else None


def _started(state: ConferenceState, site: str, campaign: str | None, attempt: int) -> NewEvent:
    running = state.testcalls.get(site)
    if running is not None and running.get("state") == "running":
        raise Conflict(
            f"A test call with site {site} is running already ({running['call']}).",
            text="testcall_running",
            site=site,
            call=running["call"],
        )
    call = f"T{state.counters.get('testcall', 0) + 1:04d}"
    data = {"call": call, "site": site, "campaign": campaign, "attempt": attempt}
    return NewEvent("testcall.started", data)


def _decide_start(
    state: ConferenceState, cmd: StartTestCall, actor: Actor, now: int
) -> list[NewEvent]:
    require_site(state, cmd.site)
    return [_started(state, cmd.site, None, 1)]


def _campaign_started(
    state: ConferenceState, sites: list[str] | None, concurrency: int | None, trigger: str
) -> list[NewEvent]:
    current = running_campaign(state)
    if current is not None:
        raise Conflict(
            f"Campaign {current['campaign']} is running; cancel it first.",
            text="campaign_running",
            campaign=current["campaign"],
        )
    require_sites(state, sites or [])
    chosen = (
        list(dict.fromkeys(sites))
        if sites
        else [code for code, s in state.sites.items() if s.kind == "site"]
    )
    if not chosen:
        raise Conflict("There is no site to call.", text="no_site_to_call")
    data = {
        "campaign": f"K{state.counters.get('campaign', 0) + 1:03d}",
        "sites": chosen,
        "concurrency": concurrency or DEFAULT_CONCURRENCY,
        "trigger": trigger,
    }
    return [NewEvent("campaign.started", data)]


def _decide_campaign(
    state: ConferenceState, cmd: StartCampaign, actor: Actor, now: int
) -> list[NewEvent]:
    return _campaign_started(state, cmd.sites, cmd.concurrency, "operator")


def _decide_auto(
    state: ConferenceState, cmd: AutoCampaign, actor: Actor, now: int
) -> list[NewEvent]:
    if state.counters.get("auto_campaign"):
        raise Conflict(
            "The test_at campaign of this conference has run already.", text="test_at_done"
        )
    if state.conference.phase not in ("planned", "rehearsal"):
        raise Conflict(
            f"No test_at campaign while the conference is {state.conference.phase}.",
            text="test_at_phase",
            phase=state.conference.phase,
        )
    return _campaign_started(state, None, cmd.concurrency, "test_at")


def _decide_call(state: ConferenceState, cmd: CallSite, actor: Actor, now: int) -> list[NewEvent]:
    campaign = running_campaign(state)
    if campaign is None or campaign["campaign"] != cmd.campaign:
        raise Conflict(
            f"Campaign {cmd.campaign} is not running.",
            text="campaign_idle",
            campaign=cmd.campaign,
        )
    if cmd.site not in campaign["sites"]:
        raise Conflict(
            f"Site {cmd.site} is not in campaign {cmd.campaign}.",
            text="not_in_campaign",
            site=cmd.site,
            campaign=cmd.campaign,
        )
    return [_started(state, cmd.site, cmd.campaign, cmd.attempt)]


def _progress(
    state: ConferenceState,
    campaign: dict[str, Any],
    finals: dict[str, str],
    retried: list[str],
    site: str | None,
    verdict: str | None,
    final: bool,
    end: str | None = None,
) -> NewEvent:
    results = {**campaign["results"], **finals}
    counts = {v: sum(1 for r in results.values() if r == v) for v in VERDICTS}
    total = len(campaign["sites"])
    done = len(results)
    status = end or ("done" if done >= total else "running")
    data = {
        "campaign": campaign["campaign"],
        "state": status,
        "total": total,
        "done": done,
        **counts,
        "retries": len(campaign["retried"]) + len(retried),
        "site": site,
        "verdict": verdict,
        "final": final,
    }
    return NewEvent("campaign.progress", data)


def _result(
    tc: dict[str, Any], verdict: str, metrics: dict[str, Any], reasons: list[Any], retry: bool
) -> NewEvent:
    data = {
        "call": tc["call"],
        "site": tc["site"],
        "verdict": verdict,
        "metrics": metrics,
        "reasons": reasons,
        "campaign": tc.get("campaign"),
        "attempt": tc.get("attempt", 1),
        "retry": retry,
    }
    return NewEvent("testcall.result", data)


def _decide_finish(
    state: ConferenceState, cmd: FinishTestCall, actor: Actor, now: int
) -> list[NewEvent]:
    tc = next((t for t in running_calls(state) if t["call"] == cmd.call), None)
    if tc is None:
        raise Conflict(f"Test call {cmd.call} is not running.", text="call_idle", call=cmd.call)
    campaign = running_campaign(state)
    mine = campaign is not None and tc.get("campaign") == campaign["campaign"]
    retry = mine and cmd.verdict == "fail" and tc.get("attempt", 1) < MAX_ATTEMPTS
    events = [_result(tc, cmd.verdict, dict(cmd.metrics), list(cmd.reasons), retry)]
    if mine and campaign is not None:
        site = tc["site"]
        finals: dict[str, str] = {} if retry else {site: str(cmd.verdict)}
        events.append(
            _progress(
                state, campaign, finals, [site] if retry else [], site, cmd.verdict, not retry
            )
        )
    return events


def _end_all(state: ConferenceState, reason: dict[str, str], end: str) -> list[NewEvent]:
    campaign = running_campaign(state)
    events = [_result(tc, "fail", {}, [dict(reason)], False) for tc in running_calls(state)]
    if campaign is not None:
        cid = campaign["campaign"]
        # Sites waiting for their retry keep their first verdict; running ones fail.
        finals = {
            tc["site"]: tc.get("verdict") or "fail"
            for tc in state.testcalls.values()
            if tc.get("campaign") == cid and tc["site"] not in campaign["results"]
        }
        progress = _progress(state, campaign, finals, [], None, None, True, end)
        progress.data["finals"] = finals
        events.append(progress)
    return events


def _decide_cancel(
    state: ConferenceState, cmd: CancelTestCall, actor: Actor, now: int
) -> list[NewEvent]:
    if cmd.call is None:
        events = _end_all(state, CANCELLED, "cancelled")
        if not events:
            raise Conflict("No test call or campaign is running.", text="calls_idle")
        return events
    tc = next((t for t in running_calls(state) if t["call"] == cmd.call), None)
    if tc is None:
        raise NotFound(
            f"No running test call {cmd.call!r}.",
            field="args.call",
            text="call_idle",
            call=cmd.call,
        )
    events = [_result(tc, "fail", {}, [dict(CANCELLED)], False)]
    campaign = running_campaign(state)
    if campaign is not None and tc.get("campaign") == campaign["campaign"]:
        site = tc["site"]
        events.append(_progress(state, campaign, {site: "fail"}, [], site, "fail", True))
    return events


def _decide_interrupt(
    state: ConferenceState, cmd: InterruptTestCalls, actor: Actor, now: int
) -> list[NewEvent]:
    return _end_all(state, INTERRUPTED, "interrupted")


# --- apply -----------------------------------------------------------------------------------


def _apply_started(state: ConferenceState, event: Event) -> None:
    code = event.data.get("site")
    if code not in state.sites:
        return
    state.counters["testcall"] = max(
        state.counters.get("testcall", 0), _number(event.data.get("call"))
    )
    state.testcalls[code] = {
        "call": event.data.get("call"),
        "site": code,
        "state": "running",
        "started_at": event.at,
        "finished_at": None,
        "verdict": None,
        "metrics": {},
        "reasons": [],
        "campaign": event.data.get("campaign"),
        "attempt": event.data.get("attempt", 1),
        "retry": False,
    }


def _apply_result(state: ConferenceState, event: Event) -> None:
    code = event.data.get("site")
    if code not in state.sites:
        return
    previous = state.testcalls.get(code)
    same_call = previous is not None and previous.get("call") == event.data.get("call")
    state.testcalls[code] = {
        "call": event.data.get("call"),
        "site": code,
        "state": "done",
        "started_at": previous["started_at"] if same_call and previous else None,
        "finished_at": event.at,
        "verdict": event.data.get("verdict"),
        "metrics": copy.deepcopy(event.data.get("metrics") or {}),
        "reasons": copy.deepcopy(event.data.get("reasons") or []),
        "campaign": event.data.get("campaign"),
        "attempt": event.data.get("attempt", 1),
        "retry": bool(event.data.get("retry", False)),
    }


def _apply_campaign_started(state: ConferenceState, event: Event) -> None:
    d = event.data
    state.counters["campaign"] = max(state.counters.get("campaign", 0), _number(d.get("campaign")))
    if d.get("trigger") == "test_at":
        state.counters["auto_campaign"] = 1
    state.campaign = {
        "campaign": d.get("campaign"),
        "state": "running",
        "trigger": d.get("trigger"),
        "sites": list(d.get("sites") or []),
        "concurrency": d.get("concurrency", DEFAULT_CONCURRENCY),
        "started_at": event.at,
        "finished_at": None,
        "by": event.actor.account,
        "results": {},
        "retried": [],
    }


def _apply_progress(state: ConferenceState, event: Event) -> None:
    campaign = state.campaign
    d = event.data
    if campaign is None or campaign.get("campaign") != d.get("campaign"):
        return
    site, verdict = d.get("site"), d.get("verdict")
    if site is not None and verdict is not None:
        if d.get("final"):
            campaign["results"][site] = verdict
        else:
            campaign["retried"].append(site)
    campaign["results"].update(d.get("finals") or {})
    campaign["state"] = d.get("state", campaign["state"])
    if campaign["state"] != "running":
        campaign["finished_at"] = event.at


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    StartTestCall: _decide_start,
    StartCampaign: _decide_campaign,
    CancelTestCall: _decide_cancel,
    AutoCampaign: _decide_auto,
    CallSite: _decide_call,
    FinishTestCall: _decide_finish,
    InterruptTestCalls: _decide_interrupt,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "testcall.started": _apply_started,
    "testcall.result": _apply_result,
    "campaign.started": _apply_campaign_started,
    "campaign.progress": _apply_progress,
}
