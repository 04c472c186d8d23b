"""Both ends of a test call in one process, signalled by direct calls (tests, benchmarks).

Rules: the answerer reports what it measures every ``report_every_s`` as a site
would with ``rtc.stats``; the caller measures as the hub would; both peer
connections are closed before it returns, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from media.answerer import AnswerOptions, TestAnswerer
from media.caller import CallOptions, TestCaller


async def loopback_call(
    call: CallOptions | None = None,
    answer: AnswerOptions | None = None,
    report_every_s: float = 0.5,
) -> dict[str, Any]:
    """One call between a local caller and a local answerer; the caller's metrics."""
    caller = TestCaller(call)
    answerer = TestAnswerer(answer)
    latest: dict[str, Any] = {}

    async def report() -> None:
        while True:
            await asyncio.sleep(report_every_s)
            latest.update(await answerer.report())

    reporter: asyncio.Task[None] | None = None
    try:
        offer = await caller.offer()
        answer_sdp = await answerer.answer(offer)
        reporter = asyncio.create_task(report())
        return await caller.measure(answer_sdp, lambda: latest)
    finally:
        if reporter is not None:
            reporter.cancel()
            with contextlib.suppress(BaseException):
                await reporter
        await caller.close()
        await answerer.close()
