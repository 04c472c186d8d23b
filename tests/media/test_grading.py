"""MOS by the simplified E-model and verdicts with reasons in Vietnamese and English."""

from __future__ import annotations

from media.caller import site_metrics, summarise
from media.grading import grade, mos

HEALTHY = {
    "connected": True,
    "setup_ms": 40,
    "rtt_ms": 20.0,
    "jitter_ms": 3.0,
    "loss_pct": 0.0,
    "mos": 4.4,
    "audio_silent": False,
    "video_frames": 40,
    "video_fps": 15.0,
    "video_frozen": False,
    "probes_sent": 25,
    "probes_answered": 25,
    "site_reported": True,
    "site_audio_silent": False,
    "site_video_fps": 15.0,
}


def test_mos_is_best_on_a_clean_link_and_falls_with_loss_and_delay():
    """A clean link scores about 4.4; 7 % loss or 600 ms RTT score far lower."""
    assert 4.3 < mos(20, 2, 0) <= 4.45
    assert mos(20, 2, 7) < 3.9
    assert mos(600, 10, 0) < 3.6
    assert mos(20, 2, 50) == 1.0


def test_healthy_metrics_pass():
    """Every rule within its limits is a pass with no reasons."""
    assert grade(HEALTHY) == ("pass", [])


def test_loss_above_the_limit_fails_with_both_languages():
    """7 % loss fails with "Mất gói 7,0 % > 3,0 %" and its English twin."""
    verdict, reasons = grade({**HEALTHY, "loss_pct": 7.0})
    assert verdict == "fail"
    loss = next(r for r in reasons if r.code == "loss")
    assert (loss.vi, loss.en) == ("Mất gói 7,0 % > 3,0 %", "Packet loss 7.0 % > 3.0 %")


def test_jitter_between_limits_warns():
    """Jitter of 40 ms is over the 30 ms warning and under the 60 ms failure."""
    verdict, reasons = grade({**HEALTHY, "jitter_ms": 40.0})
    assert verdict == "warn" and [r.code for r in reasons] == ["jitter"]


def test_silence_and_missing_report_are_named():
    """No audio from the site fails; a site that reports nothing is a warning."""
    verdict, reasons = grade({**HEALTHY, "audio_silent": True, "site_reported": False})
    assert verdict == "fail"
    assert [r.code for r in reasons] == ["no_audio_from_site", "no_site_report"]
    assert reasons[0].vi == "Không nhận được tiếng từ điểm cầu"


def test_no_connection_fails_alone():
    """Without a media connection nothing else is judged."""
    verdict, reasons = grade({"connected": False})
    assert verdict == "fail" and [r.code for r in reasons] == ["no_media_connection"]


def test_browser_report_spellings_are_understood():
    """A browser's linear audio_level and fps become site_* metrics; zero packets is silence."""
    m = site_metrics({"audio_level": 0.1, "fps": 24, "width": 640, "audio_packets": 0})
    assert m["site_audio_silent"] is True and m["site_video_fps"] == 24.0
    assert -21 < m["site_audio_level_dbfs"] < -19
    assert site_metrics(None) == {"site_reported": False}


def test_summary_takes_the_worst_direction():
    """loss_pct and jitter_ms are the worst of the directions measured."""
    s = summarise(
        {
            "audio_in_loss_pct": 0.5,
            "video_out_loss_pct": 4.0,
            "audio_in_jitter_ms": 3,
            "audio_out_jitter_ms": 9,
            "rtt_ms": 10,
        }
    )
    assert (s["loss_pct"], s["jitter_ms"]) == (4.0, 9.0) and s["mos"] < 4.3
