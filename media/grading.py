"""From a call's metrics to a MOS estimate and a verdict with reasons people understand.

Rules:

- :func:`mos` is the simplified ITU-T G.107 E-model used by the best-known
  preflight tests: effective latency ``= rtt + 2·jitter + 10`` ms;
  ``R = 94.768 - latency/40`` below 160 ms, else ``94.768 - (latency-120)/10``;
  ``R -= 2.5·loss%`` (R = 0 when the loss exceeds R/2.5; never under 6.52 else);
  ``MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R-60)·(100-R)``, so at best about 4.4.
- :func:`grade` checks each rule of :class:`Thresholds` and returns ``fail`` when
  any rule fails, else ``warn`` when any warns, else ``pass``. Every reason is a
  :class:`Reason` with a stable ``code`` and a sentence in Vietnamese and in
  English with the measured value and the limit ("Mất gói 7 % > 3 %").
- Metrics a call could not measure are absent; a rule whose metric is absent does
  not fire, except the ones about missing media, which are the point of the test.
- Pure: no I/O, no clock. Nothing here imports controlroom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

R0 = 94.768


def mos(rtt_ms: float, jitter_ms: float, loss_pct: float) -> float:
    """MOS (1 to about 4.4) from round-trip time, jitter and loss by the simplified E-model."""
    latency = rtt_ms + 2 * jitter_ms + 10
    r = R0 - latency / 40 if latency < 160 else R0 - (latency - 120) / 10
    r = max(r - 2.5 * loss_pct, 6.52) if loss_pct <= r / 2.5 else 0.0
    if r <= 0:
        return 1.0
    return round(min(4.5, 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r)), 2)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits of a test call; ``*_warn`` gives ``warn``, ``*_fail`` gives ``fail``."""

    setup_warn_ms: float = 3000.0
    setup_fail_ms: float = 8000.0
    rtt_warn_ms: float = 250.0
    rtt_fail_ms: float = 500.0
    jitter_warn_ms: float = 30.0
    jitter_fail_ms: float = 60.0
    loss_warn_pct: float = 1.0
    loss_fail_pct: float = 3.0
    mos_warn: float = 3.6
    mos_fail: float = 3.0
    fps_warn: float = 10.0
    fps_fail: float = 3.0
    min_probe_answers: float = 0.5


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a call is not a plain pass: ``level`` is ``warn`` or ``fail``."""

    code: str
    level: str
    vi: str
    en: str

    def to_wire(self) -> dict[str, str]:
        """The map stored in ``testcall.result``'s ``reasons``."""
        return asdict(self)


def _n(value: float, digits: int = 0) -> tuple[str, str]:
    """A number in Vietnamese (decimal comma) and English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ","), text


def _limit(
    code: str,
    value: float | None,
    warn: float,
    fail: float,
    vi: str,
    en: str,
    unit: str,
    digits: int = 0,
    below: bool = False,
) -> Reason | None:
    """A reason when ``value`` crosses a limit (above it, or below it when ``below``)."""
    if value is None:
        return None
    if below:
        level = "fail" if value < fail else "warn" if value < warn else None
    else:
        level = "fail" if value > fail else "warn" if value > warn else None
    if level is None:
        return None
    limit = fail if level == "fail" else warn
    sign = "<" if below else ">"
    v_vi, v_en = _n(value, digits)
    l_vi, l_en = _n(limit, digits)
    return Reason(
        code,
        level,
        f"{vi} {v_vi}{unit} {sign} {l_vi}{unit}",
        f"{en} {v_en}{unit} {sign} {l_en}{unit}",
    )


def _num(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _whole(value: float | None) -> float | None:
    """Frame rates are judged in whole frames per second (9.8 measured is 10)."""
    return None if value is None else float(round(value))


def _media_reasons(m: Mapping[str, Any], t: Thresholds) -> list[Reason]:
    out: list[Reason] = []
    if m.get("audio_silent", True) is not False:
        out.append(
            Reason(
                "no_audio_from_site",
                "fail",
                "Không nhận được tiếng từ điểm cầu",
                "No audio from the site",
            )
        )
    if not _num(m, "video_frames"):
        out.append(
            Reason(
                "no_video_from_site",
                "fail",
                "Không nhận được hình từ điểm cầu",
                "No video from the site",
            )
        )
    elif m.get("video_frozen"):
        out.append(
            Reason(
                "frozen_video_from_site",
                "fail",
                "Hình từ điểm cầu bị đứng",
                "The video from the site is frozen",
            )
        )
    else:
        found = _limit(
            "low_fps_from_site",
            _whole(_num(m, "video_fps")),
            t.fps_warn,
            t.fps_fail,
            "Hình từ điểm cầu chỉ",
            "The video from the site runs at only",
            " khung/s",
            below=True,
        )
        if found is not None:
            out.append(
                Reason(found.code, found.level, found.vi, found.en.replace(" khung/s", " fps"))
            )
    if not m.get("site_reported"):
        out.append(
            Reason(
                "no_site_report",
                "warn",
                "Điểm cầu không gửi số liệu đo",
                "The site sent no measurements of the centre's media",
            )
        )
        return out
    if m.get("site_audio_silent") is True:
        out.append(
            Reason(
                "site_hears_nothing",
                "fail",
                "Điểm cầu không nghe được tiếng từ trung tâm",
                "The site hears no audio from the centre",
            )
        )
    if _num(m, "site_video_fps") == 0.0 or m.get("site_video_frozen") is True:
        out.append(
            Reason(
                "site_sees_nothing",
                "fail",
                "Điểm cầu không nhận được hình từ trung tâm",
                "The site gets no moving picture from the centre",
            )
        )
    return out


def grade(
    metrics: Mapping[str, Any], thresholds: Thresholds | None = None
) -> tuple[str, list[Reason]]:
    """``(verdict, reasons)`` for a call's metrics; the worst reasons come first."""
    t = thresholds or Thresholds()
    m = metrics
    if not m.get("connected"):
        reasons = [
            Reason(
                "no_media_connection",
                "fail",
                "Không thiết lập được kết nối media (ICE/DTLS)",
                "No media connection could be set up (ICE/DTLS)",
            )
        ]
        return "fail", reasons
    reasons = _media_reasons(m, t)
    sent, answered = _num(m, "probes_sent"), _num(m, "probes_answered")
    if sent and (answered or 0) < t.min_probe_answers * sent:
        reasons.append(
            Reason(
                "probe_unanswered",
                "fail",
                "Kênh dữ liệu không phản hồi",
                "The data channel did not answer",
            )
        )
    checks = [
        _limit(
            "loss",
            _num(m, "loss_pct"),
            t.loss_warn_pct,
            t.loss_fail_pct,
            "Mất gói",
            "Packet loss",
            " %",
            1,
        ),
        _limit(
            "jitter",
            _num(m, "jitter_ms"),
            t.jitter_warn_ms,
            t.jitter_fail_ms,
            "Độ trễ biến thiên (jitter)",
            "Jitter",
            " ms",
        ),
        _limit(
            "rtt",
            _num(m, "rtt_ms"),
            t.rtt_warn_ms,
            t.rtt_fail_ms,
            "Độ trễ khứ hồi",
            "Round-trip time",
            " ms",
        ),
        _limit(
            "mos",
            _num(m, "mos"),
            t.mos_warn,
            t.mos_fail,
            "Chất lượng thoại ước tính (MOS)",
            "Estimated call quality (MOS)",
            "",
            1,
            below=True,
        ),
        _limit(
            "slow_setup",
            _num(m, "setup_ms"),
            t.setup_warn_ms,
            t.setup_fail_ms,
            "Thiết lập kết nối mất",
            "Setting up the connection took",
            " ms",
        ),
    ]
    reasons += [r for r in checks if r is not None]
    reasons.sort(key=lambda r: r.level != "fail")
    if any(r.level == "fail" for r in reasons):
        return "fail", reasons
    return ("warn" if reasons else "pass"), reasons
