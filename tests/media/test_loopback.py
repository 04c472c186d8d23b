"""Real aiortc peers in one process: the numbered pattern survives, a healthy call
passes with plausible metrics, silence is heard as silence; peers always close."""

from __future__ import annotations

import asyncio

from media.answerer import AnswerOptions, TestAnswerer
from media.caller import CallOptions, TestCaller
from media.generators import PatternTrack, ToneTrack, read_pattern
from media.grading import grade
from media.loopback import loopback_call
from media.meter import AudioMeter


async def test_pattern_carries_its_counter_and_time():
    """A generated frame decodes back to its counter and the low bits of its send time."""
    track = PatternTrack(320, 240, 30)
    try:
        first = await track.recv()
        second = await track.recv()
    finally:
        track.stop()
    assert read_pattern(first)[0] == 0 and read_pattern(second)[0] == 1


async def test_tone_level_is_measured_in_dbfs():
    """A -20 dBFS tone reads -20 dBFS; digital silence is silent."""
    for level, expected, silent in ((-20.0, -20.0, False), (None, -120.0, True)):
        track, meter = ToneTrack(1000, level), AudioMeter()
        try:
            for _ in range(10):
                meter.feed(await track.recv())
        finally:
            track.stop()
        summary = meter.summary()
        assert abs(summary["audio_level_dbfs"] - expected) < 0.5
        assert summary["audio_silent"] is silent


async def test_healthy_loopback_call_passes_with_plausible_metrics():
    """Both ends in one process: connected fast, 20+ probes, no loss, MOS above 4, media seen."""
    m = await loopback_call(CallOptions(duration_s=2.0, fps=12), AnswerOptions(fps=12))
    verdict, reasons = grade(m)
    assert verdict == "pass", reasons
    assert m["connected"] and 0 < m["setup_ms"] < 2000 and m["probes_answered"] >= 20
    assert m["loss_pct"] < 1 and m["mos"] > 4.0 and m["video_width"] == 320
    assert m["audio_level_dbfs"] > -30 and m["site_audio_silent"] is False


async def test_silent_answerer_fails_for_missing_audio():
    """An answerer sending silence is graded fail with the no-audio reason first."""
    m = await loopback_call(
        CallOptions(duration_s=1.5, fps=12), AnswerOptions(audio="silence", fps=12)
    )
    verdict, reasons = grade(m)
    assert verdict == "fail" and reasons[0].code == "no_audio_from_site"


async def test_peers_reach_connected_and_close():
    """The caller's state history goes through connected to closed; the answerer closes too."""
    caller, answerer = TestCaller(CallOptions(duration_s=0.5)), TestAnswerer()
    try:
        answer = await answerer.answer(await caller.offer())
        metrics = await asyncio.wait_for(caller.measure(answer), 10)
        assert metrics["connected"]
    finally:
        await caller.close()
        await answerer.close()
    assert "connected" in caller.states and caller.states[-1] == "closed"
    assert answerer.pc.connectionState == "closed"
