"""The site agent answers the hub's test calls (PROTOCOL.md "Test calls").

A :class:`CallAnswerer` listens to a :class:`HubSession`'s frames. On ``rtc.offer``
it answers with :class:`media.answerer.TestAnswerer` (a camera and microphone when
configured, else generated media), sends ``rtc.answer``, then ``rtc.stats`` every
``stats_every_s`` with what it measures of the hub's media, until ``rtc.end`` or
``duration_s`` plus a margin. A new offer for a call replaces the old one.

``options_for(offer)`` decides per call: the :class:`AnswerOptions` to answer with,
or None to decline (``rtc.end`` "declined"), which simulated sites use.

It must never: leave a peer connection open (every call closes in ``finally``),
or block the session's reader (each call runs in its own task).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from controlroom.agent.session import HubSession
from controlroom.wire import client as to_hub
from media.answerer import AnswerOptions, TestAnswerer
from media.caller import checked_ice_servers

log = logging.getLogger("controlroom.agent.testcall")

CAPS = ["rtc"]
MARGIN_S = 15.0


class CallAnswerer:
    """Answers the test calls that arrive over one session."""

    def __init__(
        self,
        session: HubSession,
        options: AnswerOptions | None = None,
        *,
        stats_every_s: float = 1.0,
        options_for: Callable[[dict[str, Any]], AnswerOptions | None] | None = None,
    ) -> None:
        self.session = session
        self.options = options or AnswerOptions()
        self.stats_every_s = stats_every_s
        self.options_for = options_for or (lambda offer: self.options)
        self.calls: dict[str, asyncio.Task[None]] = {}
        self.answered = 0
        #: What the last call was answered with (the ICE servers the hub sent, for one).
        self.last_options: AnswerOptions | None = None
        self._ended: dict[str, asyncio.Event] = {}
        session.listeners.append(self.on_frame)

    def on_frame(self, frame: dict[str, Any]) -> None:
        """Route ``rtc.offer`` and ``rtc.end`` from the hub."""
        kind = frame.get("type")
        call = str(frame.get("call"))
        if kind == "rtc.offer" and isinstance(frame.get("sdp"), str):
            self._stop(call)
            self._ended[call] = asyncio.Event()
            self.calls[call] = asyncio.ensure_future(self._answer(call, frame))
        elif kind == "rtc.end" and call in self._ended:
            self._ended[call].set()

    def _stop(self, call: str) -> None:
        task = self.calls.pop(call, None)
        if task is not None:
            task.cancel()

    async def _answer(self, call: str, offer: dict[str, Any]) -> None:
        options = self.options_for(offer)
        if options is None:
            await self.session.send(to_hub.rtc_end_frame(call, "declined"))
            return
        if "ice_servers" in offer:  # the hub's TURN server, so a site behind NAT reaches it
            try:
                options = replace(options, ice_servers=checked_ice_servers(offer["ice_servers"]))
            except ValueError as exc:
                await self.session.send(to_hub.rtc_end_frame(call, str(exc)))
                return
        self.last_options = options
        answerer = TestAnswerer(options)
        try:
            sdp = await answerer.answer(offer["sdp"])
            await self.session.send(to_hub.rtc_answer_frame(call, sdp))
            self.answered += 1
            limit = float(offer.get("duration_s") or 10.0) + MARGIN_S
            ended = self._ended[call]
            async with asyncio.timeout(limit):
                while not ended.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(ended.wait(), self.stats_every_s)
                    if not ended.is_set():
                        stats = await answerer.report()
                        await self.session.send(to_hub.rtc_stats_frame(call, stats))
        except TimeoutError:
            log.info("test call %s: no rtc.end from the hub; closing", call)
        except Exception as exc:  # noqa: BLE001 - tell the hub, never crash the agent
            log.warning("test call %s failed: %s", call, exc)
            await self.session.send(to_hub.rtc_end_frame(call, str(exc)[:200]))
        finally:
            await answerer.close()
            self._ended.pop(call, None)
            if self.calls.get(call) is asyncio.current_task():
                del self.calls[call]

    async def close(self) -> None:
        """End every call in progress."""
        tasks = list(self.calls.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task


def describe(frame: dict[str, Any]) -> str | None:
    """A terminal line for the site's own test-call events, else None."""
    if frame.get("type") != "event":
        return None
    name, data = frame.get("name"), frame.get("data") or {}
    if name == "testcall.started":
        return f"test call {data.get('call')}: the centre is calling (gọi thử)..."
    if name != "testcall.result":
        return None
    m = data.get("metrics") or {}
    parts = [
        f"{key} {m[key]}{unit}"
        for key, unit in (("rtt_ms", " ms"), ("jitter_ms", " ms"), ("loss_pct", " %"), ("mos", ""))
        if key in m
    ]
    line = f"test call {data.get('call')}: {str(data.get('verdict')).upper()}"
    if parts:
        line += " (" + ", ".join(parts) + ")"
    for reason in data.get("reasons") or []:
        if isinstance(reason, dict):
            line += f"\n         - {reason.get('vi')} / {reason.get('en')}"
    if data.get("retry"):
        line += "\n         (the centre will call again / trung tâm sẽ gọi lại)"
    return line
