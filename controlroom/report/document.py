"""The summary report leaders sign: a Vietnamese administrative document from a template.

Rules:

- The document is ``templates/summary.html.j2`` (jinja2, autoescape on), or the
  organiser's own ``report.html.j2`` in the conference directory, which replaces it
  without a change of code; either gets the same values: ``paper`` (``[report]`` of
  conference.toml: agency, number, place, signer, recipients, the assessment and
  the recommendations the organiser writes), ``w`` (the document's words in the
  reader's language), ``s`` (the summary as sentences, figures in words), the place
  and date line, and the technical annex (the whole report) after it.
- Durations are in words ("14 phút 15 giây"), sites by name, numbers with a decimal
  comma in Vietnamese; the date is the report's generation (else the conference's end)
  in the conference's zone.
- The classification, when the conference has one, is on every printed page.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from controlroom.config.conference import DocumentSettings
from controlroom.report.html import classified_mark, render_parts
from controlroom.report.i18n import clock, duration_words, number

TEMPLATE = "summary.html.j2"
OVERRIDE = "report.html.j2"

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "doc_title": "Báo cáo",
        "about": "Kết quả tổ chức hội nghị trực tuyến",
        "nation": "Cộng hòa xã hội chủ nghĩa Việt Nam",
        "motto": "Độc lập - Tự do - Hạnh phúc",
        "number": "Số",
        "part_general": "I. Tình hình chung",
        "part_technical": "II. Bảo đảm kỹ thuật",
        "part_content": "III. Diễn biến hội nghị",
        "part_followup": "IV. Kết luận và việc theo dõi thực hiện",
        "part_assessment": "V. Đánh giá",
        "part_recommendations": "VI. Kiến nghị",
        "none_written": "(Ban Tổ chức chưa ghi.)",
        "recipients": "Nơi nhận",
        "archive": "Lưu: VT",
        "signed": "(Ký, ghi rõ họ tên)",
        "annex": "Phụ lục kỹ thuật",
    },
    "en": {
        "doc_title": "Report",
        "about": "On the online conference",
        "nation": "Socialist Republic of Viet Nam",
        "motto": "Independence - Freedom - Happiness",
        "number": "No.",
        "part_general": "I. Overview",
        "part_technical": "II. Technical operation",
        "part_content": "III. The conference",
        "part_followup": "IV. Conclusions and their follow-up",
        "part_assessment": "V. Assessment",
        "part_recommendations": "VI. Recommendations",
        "none_written": "(Not written by the organisers yet.)",
        "recipients": "To",
        "archive": "Archive",
        "signed": "(Signature and full name)",
        "annex": "Technical annex",
    },
}


def _place_date(place: str, ms: int, tz: str, lang: str) -> str:
    day = datetime.fromtimestamp(ms / 1000, ZoneInfo(tz))
    if lang == "en":
        return f"{place + ', ' if place else ''}{day.strftime('%d %B %Y')}"
    return f"{place or '……'}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def sentences(report: dict[str, Any], lang: str) -> dict[str, str]:
    """The summary in sentences, every figure from the report model."""
    vi = lang != "en"
    conf, window, att = report["conference"], report["window"], report["attendance"]
    tz = conf["timezone"]
    faults, sp, rs = report["faults"], report["speaking"], report["runscript"]
    follow = report.get("followup") or {}
    minutes = report.get("minutes") or {}
    delegates = (minutes.get("attendance") or {}).get("delegates", 0)
    rows = [r for r in att["sites"] if r["kind"] != "central"]
    shares = [r["share"] for r in rows if r["share"] is not None]
    share = number(sum(shares) / len(shares) * 100, lang) if shares else "–"
    drops = sum(r["dropouts"] for r in rows)
    worst = max(rows, key=lambda r: r["longest_outage_s"] or 0, default=None)
    span = (clock(window["start"], tz)[:5], clock(window["end"], tz)[:5])  # hh:mm
    took = duration_words(window["duration_s"], lang)
    ack = duration_words(faults["time_to_ack"]["median"], lang) or "–"
    res = duration_words(faults["time_to_resolve"]["median"], lang) or "–"
    critical = faults["by_severity"].get("critical", 0)
    s = {}
    if vi:
        s["general"] = (
            f"Hội nghị diễn ra từ {span[0]} đến {span[1]} (thời lượng {took}); "
            f"{att['checked_in']}/{conf['sites']} điểm cầu điểm danh"
            + (f", các điểm cầu báo {delegates} đại biểu dự." if delegates else ".")
        )
        s["links"] = f"Các điểm cầu giữ kết nối trung bình {share} % thời gian hội nghị; "
        longest = duration_words(worst["longest_outage_s"], lang) if worst else ""
        s["links"] += (
            f"có {drops} lần rớt kết nối, lâu nhất {longest} tại điểm cầu {worst['name']}."
            if drops and worst
            else "không có lần rớt kết nối nào."
        )
        s["faults"] = (
            f"Có {faults['count']} sự cố kỹ thuật được báo ({critical} nghiêm trọng); thời gian "
            f"tiếp nhận trung vị {ack}, xử lý xong trung vị {res}; "
            f"{len(faults['still_open'])} sự cố còn mở."
            if faults["count"]
            else "Không có sự cố kỹ thuật nào được báo."
        )
        s["speaking"] = (
            f"Có {sp['speeches']} lượt phát biểu trên {sp['requests']} lượt đăng ký, "
            f"tổng thời gian phát biểu {duration_words(sp['total_s'], lang) or '0 giây'}."
        )
        s["runscript"] = (
            f"Thực hiện {rs['started']}/{rs['planned']} mục kịch bản; "
            f"{rs['overrun_items']} mục quá giờ."
        )
        s["followup"] = (
            f"Hội nghị có {follow['conclusions']} kết luận, giao {follow['parts']} phần việc cho "
            f"các điểm cầu: {follow['accepted']} đã hoàn thành và được tiếp nhận, "
            f"{follow['waiting']} chờ tiếp nhận, {follow['owed']} đang thực hiện, trong đó "
            f"{follow['overdue']} quá hạn."
            if follow.get("conclusions")
            else "Chưa có kết luận nào được ghi nhận."
        )
    else:
        s["general"] = (
            f"The conference ran from {span[0]} to {span[1]} ({took}); "
            f"{att['checked_in']} of {conf['sites']} sites checked in"
            + (f", declaring {delegates} delegates." if delegates else ".")
        )
        s["links"] = f"The sites stayed connected {share} % of the conference on average; " + (
            f"{drops} drop-outs, the longest {duration_words(worst['longest_outage_s'], lang)}"
            f" at {worst['name']}."
            if drops and worst
            else "no drop-out."
        )
        s["faults"] = (
            f"{faults['count']} technical faults were reported ({critical} critical); median time "
            f"to acknowledge {ack}, to resolve {res}; {len(faults['still_open'])} still open."
            if faults["count"]
            else "No technical fault was reported."
        )
        s["speaking"] = (
            f"{sp['speeches']} speeches of {sp['requests']} requests, "
            f"{duration_words(sp['total_s'], lang) or '0 s'} in all."
        )
        s["runscript"] = (
            f"{rs['started']} of {rs['planned']} run-script items ran; "
            f"{rs['overrun_items']} ran over time."
        )
        s["followup"] = (
            f"{follow['conclusions']} conclusions gave the sites {follow['parts']} parts: "
            f"{follow['accepted']} done and accepted, {follow['waiting']} waiting for acceptance, "
            f"{follow['owed']} in progress, {follow['overdue']} of them overdue."
            if follow.get("conclusions")
            else "No conclusion was recorded."
        )
    return s


def render_document(
    report: dict[str, Any],
    paper: DocumentSettings,
    lang: str = "vi",
    conference_dir: Path | None = None,
) -> str:
    """The summary document with its technical annex, as one HTML page."""
    lang = "en" if lang == "en" else "vi"
    loaders: list[jinja2.BaseLoader] = []
    if conference_dir is not None and (conference_dir / OVERRIDE).is_file():
        loaders.append(
            jinja2.DictLoader({TEMPLATE: (conference_dir / OVERRIDE).read_text("utf-8")})
        )
    loaders.append(jinja2.PackageLoader("controlroom.report", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css, annex = render_parts(report, lang)
    conf = report["conference"]
    when = report.get("generated_at") or report["window"]["end"]
    return env.get_template(TEMPLATE).render(
        lang=lang,
        conference=conf,
        paper=paper,
        w=WORDS[lang],
        s=sentences(report, lang),
        place_date=_place_date(paper.place, when, conf["timezone"], lang),
        classified=classified_mark(conf, lang),
        annex_css=css,
        annex=annex,
    )
