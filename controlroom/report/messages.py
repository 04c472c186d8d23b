"""The hub's own texts (codes with parameters, ``domain`` events) in the report's words.

The same codes and words as the consoles' ``web/messages.js`` and ``web/strings``
(kept in step by ``tests/report/test_messages.py``); a text is rendered per
language as ``{"vi": ..., "en": ...}`` so that each report reads in one language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

WORDS: dict[str, tuple[str, str]] = {
    "msg.link_lost": (
        "Mất kết nối đường truyền tới {site}{because}.",
        "Link to {site} lost{because}.",
    ),
    "msg.link_back": (
        "Đường truyền đã trở lại bình thường{because}.",
        "The link is back to normal{because}.",
    ),
    "msg.link_back_resolved": (
        "Đường truyền đã trở lại bình thường sau {duration}; hệ thống tự đóng sự cố.",
        "The link came back after {duration}; closed by the system.",
    ),
    "msg.incident": (
        "Mất kết nối đồng loạt {count} điểm cầu trong {window_s} giây"
        " (sự cố đường truyền chung): {sites}.",
        "{count} sites lost at once within {window_s} s (a common link failure): {sites}.",
    ),
    "msg.incident_down": ("Thêm điểm cầu mất kết nối: {sites}.", "More sites lost: {sites}."),
    "msg.incident_back": ("Điểm cầu đã kết nối lại: {sites}.", "Back online: {sites}."),
    "msg.incident_resolved": (
        "Tất cả {count} điểm cầu đã kết nối lại sau {duration}; hệ thống tự đóng sự cố.",
        "All {count} sites back after {duration}; closed by the system.",
    ),
    "msg.merged_into": (
        "Gộp vào sự cố mất kết nối đồng loạt {fault_id}.",
        "Merged into the mass outage {fault_id}.",
    ),
    "cause.connection_closed": ("phiên kết nối đã đóng", "the connection closed"),
    "cause.left_call": (
        "không còn trong cuộc họp trên cầu truyền hình",
        "no longer in the call on the bridge",
    ),
    "source.bridge": ("cầu truyền hình", "the bridge"),
    "source.endpoint": ("thiết bị đầu cuối", "the endpoint"),
    "source.console": ("máy kỹ thuật viên", "the technician's console"),
    "cause.no_answer": ("không phản hồi trong {seconds} giây", "no answer for {seconds} s"),
    "cause.bad_samples": (
        "{problems} ({samples} lần đo liên tiếp)",
        "{problems} ({samples} samples in a row)",
    ),
    "cause.rtt_high": ("độ trễ {rtt_ms} ms > {limit_ms} ms", "RTT {rtt_ms} ms > {limit_ms} ms"),
    "cause.jitter_high": (
        "độ dao động trễ {jitter_ms} ms > {limit_ms} ms",
        "jitter {jitter_ms} ms > {limit_ms} ms",
    ),
    "cause.loss_high": (
        "mất gói {loss_pct} % > {limit_pct} %",
        "loss {loss_pct} % > {limit_pct} %",
    ),
    "cause.audio_failing": ("điểm cầu báo mất tiếng", "the site reports its audio failing"),
    "cause.video_failing": ("điểm cầu báo mất hình", "the site reports its video failing"),
    "cause.responding": ("đã phản hồi, độ trễ {rtt_ms} ms", "responding, RTT {rtt_ms} ms"),
    "cause.good_samples": (
        "độ trễ {rtt_ms} ms, mất gói {loss_pct} %, {samples} lần đo tốt liên tiếp",
        "RTT {rtt_ms} ms, loss {loss_pct} %, {samples} good samples in a row",
    ),
    "cause.stable": ("ổn định trong {minutes} phút", "stable for {minutes} min"),
    "cause.flapping": (
        "{changes} lần thay đổi trong {minutes} phút",
        "{changes} changes in {minutes} min",
    ),
    "duration.min_s": ("{m} phút {s} giây", "{m} min {s} s"),
    "duration.s": ("{s} giây", "{s} s"),
}


def _word(key: str, lang: str, values: Mapping[str, Any]) -> str:
    pair = WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    for name, value in values.items():
        text = text.replace("{" + name + "}", "—" if value is None else str(value))
    return text


def _figure(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def cause_text(cause: Any, lang: str) -> str:
    """A link cause in words, or ""."""
    if not isinstance(cause, dict) or not cause.get("code"):
        return ""
    if cause["code"] == "bad_samples":
        problems = "; ".join(cause_text(p, lang) for p in cause.get("problems", []))
        return _word(
            "cause.bad_samples", lang, {"problems": problems, "samples": cause.get("samples")}
        )
    values = {"rtt_ms": None, "loss_pct": None, "samples": None, "seconds": None}
    values.update({k: _figure(v) for k, v in cause.items()})
    return _word(f"cause.{cause['code']}", lang, values)


def duration_text(seconds: Any, lang: str) -> str:
    s = max(0, round(seconds or 0))
    if s >= 60:
        return _word("duration.min_s", lang, {"m": s // 60, "s": s % 60})
    return _word("duration.s", lang, {"s": s})


def message_text(msg: Any, lang: str, site_name: Callable[[str], str] = str) -> str | None:
    """A message code in words, or None when there is none."""
    if not isinstance(msg, dict) or not msg.get("code"):
        return None
    sites = [site_name(c) for c in msg.get("sites", [])]
    cause = cause_text(msg.get("cause"), lang)
    values = {
        **{k: _figure(v) for k, v in msg.items() if not isinstance(v, dict | list)},
        "site": site_name(msg["site"]) if msg.get("site") else "",
        "sites": ", ".join(sites),
        "count": msg.get("count", len(sites)),
        "because": _because(cause, msg.get("source"), lang),
        "duration": duration_text(msg.get("outage_s"), lang),
    }
    return _word(f"msg.{msg['code']}", lang, values)


def _because(cause: str, source: Any, lang: str) -> str:
    """`` (cause)``, naming the source when it is the conference path, not the console."""
    if not cause:
        return ""
    if source in ("bridge", "endpoint"):
        return f" ({_word(f'source.{source}', lang, {})}: {cause})"
    return f" ({cause})"


def both(msg: Any, fallback: str, site_name: Callable[[str], str] = str) -> Any:
    """``{"vi", "en"}`` for a message code, else the stored words as they are."""
    vi = message_text(msg, "vi", site_name)
    if vi is None:
        return fallback
    return {"vi": vi, "en": message_text(msg, "en", site_name)}
