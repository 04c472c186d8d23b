"""The test-call runner: performs the calls the domain records, and reports their verdicts.

It reacts to committed events (``hub.listeners``): ``testcall.started`` starts a
call, ``campaign.started`` a campaign. With several hub instances on one log, the
instance holding the site's capable session places the call, the instance that
decided a campaign runs it, and a call nobody can place is failed by the instance
that decided it once the answer time is over; a ``testcall.result`` it did not record
itself (cancel, interrupt) stops that call, a campaign that is no longer running
stops its campaign task. It records only through the domain (``hub.system``).

A call: find the site's newest session that declared it can answer (``caps``
holds ``"rtc"`` in its hello; an extension); none → ``fail`` at once. Else an
aiortc offer (every candidate inside) goes out as ``rtc.offer`` over that session;
``rtc.answer`` within ``answer_timeout_s`` or ``fail`` with a timeout reason; then
the caller measures for ``duration_s`` while the site's ``rtc.stats`` are kept;
``rtc.end`` goes to the site, the peer connection is closed, and the graded
result is recorded. A campaign runs at most ``concurrency`` calls at once and
calls a site again ``retry_delay_s`` after a first ``fail`` (the domain decides
the retry). ``test_at`` starts a campaign once if the hub is running then (or
starts within ``test_at_grace_s`` after it). At start-up, calls and a campaign
left running by a previous process fail as interrupted.

It must never: record a verdict for a call that is no longer running (the domain
refuses it, and that refusal is expected), leave a peer connection open, or let a
site's frames name another site's call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from controlroom.domain import (
    AutoCampaign,
    CallSite,
    DomainError,
    Event,
    FinishTestCall,
    InterruptTestCalls,
)
from controlroom.service.hub import ConferenceHub
from controlroom.service.sessions import Sessions
from controlroom.service.testcall_settings import TestCallSettings
from controlroom.wire import rtc_end_frame, rtc_offer_frame
from controlroom.wire.inbound import BadEnvelope, parse_rtc_answer, parse_rtc_stats
from media.caller import TestCaller
from media.grading import Reason, grade
from signaling.connection import Connection
from signaling.errors import SignalError

__all__ = ["TestCallRunner", "TestCallSettings", "wire_testcalls"]

log = logging.getLogger("controlroom.testcalls")


def _checked(parse: Any, frame: dict[str, Any]) -> Any:
    """``parse(frame)``, its refusal told to the site as the edge's error."""
    try:
        return parse(frame)
    except BadEnvelope as exc:
        raise SignalError(exc.code, exc.message, exc.field) from None


CAP_RTC = "rtc"


@dataclass
class _Call:
    call: str
    site: str
    conn: Connection | None = None
    answer: asyncio.Future[str] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    recording: bool = False


def _finite(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics as they may be stored: a NaN or infinite measurement is no measurement."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in metrics.items()
    }


def _reason(code: str, vi: str, en: str) -> dict[str, str]:
    return Reason(code, "fail", vi, en).to_wire()


class SiteEnded(Exception):
    """The site ended the call before answering."""


class TestCallRunner:
    """Runs the test calls and campaigns of one conference."""

    __test__ = False

    def __init__(
        self,
        hub: ConferenceHub,
        sessions: Callable[[], Iterable[tuple[Connection, frozenset[str]]]],
        settings: TestCallSettings | None = None,
    ) -> None:
        self.hub = hub
        self.sessions = sessions
        self.settings = settings or TestCallSettings()
        self.calls: dict[str, _Call] = {}
        self._results: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._campaign: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Fail what a previous process left running, listen, and schedule ``test_at``."""
        await self.hub.system(InterruptTestCalls())
        self.hub.listeners.append(self._on_event)
        test_at = self.hub.state.conference.test_at
        if test_at and not self.hub.state.counters.get("auto_campaign"):
            delay = (test_at - self.hub.clock_ms()) / 1000
            if delay >= -self.settings.test_at_grace_s:
                self._spawn(self._auto_campaign(max(0.0, delay)))

    async def stop(self) -> None:
        """Stop every call (their peer connections close) and the campaign."""
        with contextlib.suppress(ValueError):
            self.hub.listeners.remove(self._on_event)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _auto_campaign(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.hub.system(AutoCampaign())
        except DomainError as exc:
            log.info("no test_at campaign: %s", exc)

    # -- events ----------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        data = event.data
        if event.name == "testcall.started":
            entry = _Call(str(data["call"]), str(data["site"]))
            here = self._capable(entry.site) is not None
            if not here and not self.hub.is_local(event.seq):
                return  # another instance decided it; the one with the site's session calls
            self.calls[entry.call] = entry
            self._results[entry.call] = asyncio.get_running_loop().create_future()
            if here or not self.hub.store.shared:
                entry.task = self._spawn(self._run_call(entry))
            else:
                entry.task = self._spawn(self._fail_unless_answered(entry))
        elif event.name == "testcall.result":
            future = self._results.pop(str(data.get("call")), None)
            if future is not None and not future.done():
                future.set_result(data)
            ended = self.calls.pop(str(data.get("call")), None)
            if ended is not None and not ended.recording and ended.task is not None:
                ended.task.cancel()  # cancelled or interrupted by the domain
        elif event.name == "campaign.started" and self.hub.is_local(event.seq):
            self._campaign = self._spawn(self._run_campaign(data))
        elif event.name == "campaign.progress" and data.get("state") not in ("running", "done"):
            if self._campaign is not None:
                self._campaign.cancel()

    # -- frames from sites -------------------------------------------------------------------
    def _entry_for(self, conn: Connection, frame: dict[str, Any]) -> _Call:
        entry = self.calls.get(str(frame.get("call")))
        # Only the session the call was placed on may answer, report or end it: not the
        # chair, not another site, not another tab of the same site.
        if entry is None or entry.conn is None or entry.conn is not conn:
            raise SignalError("not_found", f"no running test call {frame.get('call')!r}", "call")
        return entry

    def on_answer(self, conn: Connection, frame: dict[str, Any]) -> None:
        """``rtc.answer {call, sdp}`` from the called site."""
        entry = self._entry_for(conn, frame)
        sdp = _checked(parse_rtc_answer, frame)
        if entry.answer is not None and not entry.answer.done():
            entry.answer.set_result(sdp)

    def on_stats(self, conn: Connection, frame: dict[str, Any]) -> None:
        """``rtc.stats {call, stats}``: the latest of what the site measured of our media."""
        entry = self._entry_for(conn, frame)
        entry.stats = _checked(parse_rtc_stats, frame)

    def on_end(self, conn: Connection, frame: dict[str, Any]) -> None:
        """``rtc.end {call, reason}`` from the site: before an answer, the call fails."""
        entry = self._entry_for(conn, frame)
        reason = str(frame.get("reason") or "")[:200]
        if entry.answer is not None and not entry.answer.done():
            entry.answer.set_exception(SiteEnded(reason))

    # -- one call ----------------------------------------------------------------------------
    def _capable(self, site: str) -> Connection | None:
        found = None
        for conn, caps in self.sessions():
            p = conn.principal
            if p is None or p.conference != self.hub.id or CAP_RTC not in caps:
                continue
            if p.actor.role == "site" and p.actor.site == site and conn.close_code is None:
                found = conn  # the newest one wins
        return found

    async def _fail_unless_answered(self, entry: _Call) -> None:
        """Several instances: wait for the one holding the site's session; none → fail."""
        future = self._results.get(entry.call)
        if future is not None:
            try:
                await asyncio.wait_for(asyncio.shield(future), self.settings.answer_timeout_s + 10)
                return
            except TimeoutError:
                pass
        await self._run_call(entry)

    async def _run_call(self, entry: _Call) -> None:
        metrics: dict[str, Any] = {}
        reasons: list[dict[str, Any]] = []
        verdict = "fail"
        conn = self._capable(entry.site)
        caller: TestCaller | None = None
        try:
            if conn is None:
                reasons.append(
                    _reason(
                        "no_session",
                        "Điểm cầu không có phiên nào nhận được cuộc gọi thử "
                        "(trình duyệt hoặc controlroom agent)",
                        "The site has no session that can take a test call (browser or agent)",
                    )
                )
            else:
                caller = TestCaller(self.settings.call)
                verdict, metrics, reasons = await self._talk(entry, conn, caller)
        except asyncio.CancelledError:
            if conn is not None:
                conn.send(rtc_end_frame(entry.call, "cancelled"))
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is a verdict, not a crash
            log.exception("test call %s failed", entry.call)
            reasons = [_reason("internal", f"Lỗi của hub: {exc}", f"Hub error: {exc}")]
        finally:
            if caller is not None:
                await caller.close()
        if conn is not None:
            conn.send(rtc_end_frame(entry.call, "done"))
        entry.recording = True
        command = FinishTestCall(
            call=entry.call,
            verdict=cast(Literal["pass", "warn", "fail"], verdict),
            metrics=_finite(metrics),
            reasons=reasons,
        )
        try:
            await self.hub.system(command)
        except DomainError as exc:
            log.info("result of %s not recorded: %s", entry.call, exc)
        except Exception:  # noqa: BLE001 - a call always ends: record that it failed
            log.exception("result of %s could not be recorded; recording a failure", entry.call)
            failed = FinishTestCall(
                call=entry.call,
                verdict="fail",
                metrics={},
                reasons=[_reason("internal", "Lỗi của hub", "Hub error")],
            )
            with contextlib.suppress(DomainError):
                await self.hub.system(failed)

    async def _talk(
        self, entry: _Call, conn: Connection, caller: TestCaller
    ) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        s = self.settings
        offer = await caller.offer()
        entry.conn = conn
        entry.answer = asyncio.get_running_loop().create_future()
        # The site needs the same TURN servers as the hub to reach it.
        frame = rtc_offer_frame(entry.call, offer, s.call.duration_s, s.call.ice_servers)
        if not conn.send(frame):
            return (
                "fail",
                {},
                [_reason("session_lost", "Mất phiên của điểm cầu", "The site's session was lost")],
            )
        sent = time.monotonic()
        try:
            answer = await asyncio.wait_for(entry.answer, s.answer_timeout_s)
        except TimeoutError:
            t = f"{s.answer_timeout_s:g}"
            return (
                "fail",
                {},
                [
                    _reason(
                        "no_answer",
                        f"Điểm cầu không trả lời cuộc gọi thử trong {t} s",
                        f"The site did not answer the test call within {t} s",
                    )
                ],
            )
        except SiteEnded as exc:
            return (
                "fail",
                {},
                [
                    _reason(
                        "site_ended",
                        f"Điểm cầu từ chối cuộc gọi: {exc}",
                        f"The site ended the call: {exc}",
                    )
                ],
            )
        answer_ms = round((time.monotonic() - sent) * 1000)
        metrics = await caller.measure(answer, lambda: entry.stats)
        metrics["answer_ms"] = answer_ms
        verdict, found = grade(metrics, s.thresholds)
        return verdict, metrics, [r.to_wire() for r in found]

    # -- campaigns ---------------------------------------------------------------------------
    async def _run_campaign(self, data: dict[str, Any]) -> None:
        gate = asyncio.Semaphore(int(data.get("concurrency") or 8))
        campaign = str(data["campaign"])

        async def one(site: str) -> None:
            for attempt in (1, 2):
                async with gate:
                    try:
                        await self.hub.system(
                            CallSite(site=site, campaign=campaign, attempt=attempt)
                        )
                    except DomainError as exc:
                        log.info("campaign %s: %s not called: %s", campaign, site, exc)
                        return
                    latest = self.hub.durable.testcalls[site]
                    future = self._results.get(latest["call"])
                    # No future: the result was committed already and is the latest record.
                    result = await future if future is not None else latest
                if not result.get("retry"):
                    return
                await asyncio.sleep(self.settings.retry_delay_s)

        await asyncio.gather(*(one(site) for site in data.get("sites") or []))


async def wire_testcalls(
    hubs: dict[str, ConferenceHub], sessions: Sessions, settings: TestCallSettings | None
) -> dict[str, TestCallRunner]:
    """A started runner per conference, and the ``rtc.*`` frames routed to it."""
    settings = settings or TestCallSettings.from_env()
    runners = {
        cid: TestCallRunner(hub, lambda: list(sessions.caps.items()), settings)
        for cid, hub in hubs.items()
    }
    for runner in runners.values():
        await runner.start()

    def route(method: str) -> Callable[[Connection, dict[str, Any]], None]:
        def handle(conn: Connection, frame: dict[str, Any]) -> None:
            runner = runners.get(conn.principal.conference)
            if runner is None:
                raise SignalError("not_found", "no test calls in this conference")
            getattr(runner, method)(conn, frame)

        return handle

    sessions.frame_handlers["rtc.answer"] = route("on_answer")
    sessions.frame_handlers["rtc.stats"] = route("on_stats")
    sessions.frame_handlers["rtc.end"] = route("on_end")
    return runners
