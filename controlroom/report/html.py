"""The report as one self-contained HTML page: on screen, and printed to A4.

Rules:

- Vietnamese unless ``lang="en"``; every word comes from :mod:`controlroom.report.i18n`.
- Self-contained: inline CSS and inline SVG charts, no JavaScript, no external file,
  so the page can be mailed or archived as it is; the browser's "print to PDF" of it
  is the official copy (``@page`` A4, table headers repeated on each page, rows never
  split, colours kept).
- Every value from the log is escaped. Every table has a ``<caption>``, ``<th scope>``
  headers and ``data-table="<name>"`` (the same names as the CSV files).
- When the hash chain does not verify, a loud red banner opens the page, before
  anything else, and the audit section repeats it.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from controlroom.report import charts
from controlroom.report.i18n import clock, duration, duration_words, number, t
from controlroom.report.tables import Table, tables

CSS = """
@page { size: A4; margin: 12mm 10mm 14mm 10mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111;
  margin: 0 auto; max-width: 1100px; padding: 16px; font-size: 13px; line-height: 1.35;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 22px 0 6px;
  border-bottom: 2px solid #1a237e; padding-bottom: 2px; color: #1a237e; }
h3 { font-size: 14px; margin: 14px 0 4px; }
.sub { font-size: 16px; font-weight: 600; margin: 0 0 6px; }
.meta, .note { color: #444; font-size: 12px; margin: 2px 0; }
.note { font-style: italic; }
.tampered { background: #b71c1c; color: #fff; font-size: 22px; font-weight: 800;
  padding: 16px 18px; border: 6px solid #000; margin: 0 0 14px; text-transform: uppercase; }
.tampered small { display: block; font-size: 14px; font-weight: 600; text-transform: none; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; margin: 8px 0; }
.figure { border: 1px solid #c5cae9; border-radius: 4px; padding: 6px 8px; }
.figure b { display: block; font-size: 18px; }
.figure span { font-size: 11px; color: #333; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 11.5px; }
caption { text-align: left; font-weight: 700; font-size: 13px; padding: 4px 0; }
th, td { border: 1px solid #9e9e9e; padding: 2px 4px; vertical-align: top; }
th { background: #e8eaf6; text-align: left; font-weight: 700; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bad { color: #b71c1c; font-weight: 700; }
tr:nth-child(even) td { background: #fafafa; }
svg { display: block; margin: 4px 0 10px; font-size: 9px; }
svg .lbl { font-size: 9px; fill: #222; } svg .tick { font-size: 8px; fill: #555; }
svg .grid { stroke: #9e9e9e; stroke-width: 0.5; stroke-dasharray: 2 2; }
footer { margin-top: 18px; font-size: 11px; color: #555; }
@media print {
  body { padding: 0; font-size: 11px; max-width: none; }
  table { font-size: 9px; } th, td { padding: 1px 3px; }
  thead { display: table-header-group; } tr, svg, .figure { break-inside: avoid; }
  h2, h3, caption { break-after: avoid; } section { break-inside: auto; }
  .figures { grid-template-columns: repeat(4, 1fr); }
}
"""


def _cell(
    kind: str, value: Any, key: str, row: dict[str, Any], lang: str, tz: str, day: str
) -> str:
    cls = ""
    if value is None or value == "":
        text = ""
    elif kind == "time":
        local = datetime.fromtimestamp(value / 1000, ZoneInfo(tz))
        text = clock(value, tz, with_date=local.strftime("%Y-%m-%d") != day)
        cls = "n"
    elif kind == "dur":
        text, cls = duration(value), "n"
        if key in ("overrun_s", "delay_s") and value > 59:
            cls = "n bad"
    elif kind == "ratio":
        text, cls = f"{number(value * 100, lang)} %", "n"
    elif kind == "num":
        text, cls = number(value, lang), "n"
    elif kind == "int":
        text, cls = str(value), "n"
    elif kind == "bool":
        text = t("yes" if value else "no", lang)
    elif kind == "enum":
        text = t(str(value), lang)
    elif kind == "words" and isinstance(value, dict):  # rendered per language
        text = str(value.get(lang) or value.get("vi") or "")
    else:
        text = str(value)
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{escape(text)}</td>"


def render_table(table: Table, lang: str, tz: str, day: str) -> str:
    """One table with caption, header row and body."""
    head = "".join(f'<th scope="col">{escape(t(c.label, lang))}</th>' for c in table.columns)
    body = []
    for row in table.rows:
        cells = "".join(
            _cell(c.kind, row.get(c.key), c.key, row, lang, tz, day) for c in table.columns
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(
            f'<tr><td colspan="{len(table.columns)}">{escape(t("no_rows", lang))}</td></tr>'
        )
    return (
        f'<table id="t-{table.name}" data-table="{table.name}">'
        f"<caption>{escape(t(table.title, lang))}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _figure(value: str, label: str) -> str:
    return f'<div class="figure"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _followup_figures(followup: dict[str, Any] | None, lang: str) -> list[str]:
    """The follow-up in the summary, when the conference has conclusions."""
    if not followup or not followup["conclusions"]:
        return []
    return [
        _figure(str(followup["conclusions"]), t("conclusions_count", lang)),
        _figure(f"{followup['accepted']}/{followup['parts']}", t("parts_accepted", lang)),
        _figure(str(followup["overdue"]), t("parts_overdue", lang)),
    ]


def _class_word(conf: dict[str, Any], lang: str) -> str:
    level = conf.get("classification") or "normal"
    return "" if level == "normal" else t(f"class_{level}", lang)


def classified_mark(conf: dict[str, Any], lang: str) -> str:
    """The classification at the top of the document (and of every printed page)."""
    word = _class_word(conf, lang)
    return f'<p class="classification">{escape(word)}</p>' if word else ""


def _classified_css(conf: dict[str, Any], lang: str) -> str:
    # Printed, each page carries it at its top and bottom (the page's margin boxes).
    word = _class_word(conf, lang)
    if not word:
        return ""
    quoted = '"' + word.upper().replace("\\", "").replace('"', "") + '"'
    return (
        ".classification{text-align:center;font-weight:800;letter-spacing:.1em;"
        "text-transform:uppercase;color:#b00;border:2px solid #b00;padding:.2rem;margin:0 0 1rem}"
        f"@page{{@top-center{{content:{quoted};color:#b00;font-weight:800}}"
        f'@bottom-center{{content:{quoted} " · " counter(page);color:#b00;font-weight:800}}}}'
    )


def _minutes(minutes: dict[str, Any] | None, lang: str, tz: str) -> str:
    """The minutes: attendance, then each item's notes and speeches, in order."""
    if not minutes:
        return ""
    att = minutes["attendance"]
    out = [
        "<p>"
        + escape(
            t("minutes_attendance", lang).format(
                present=att["checked_in"], sites=att["sites"], delegates=att["delegates"]
            )
        )
        + "</p>"
    ]

    def entry(e: dict[str, Any]) -> str:
        at = escape(clock(e["at"], tz))
        if e["kind"] == "speech":
            who = ", ".join(x for x in (e["speaker"], e["title"], e["name"]) if x)
            spoke = duration_words(e["duration_s"], lang)
            tail = f" ({escape(spoke)})" if spoke else ""
            return f"<li><b>{at}</b> {escape(t('minutes_speech', lang))}: {escape(who)}{tail}</li>"
        edits = "; ".join(
            f"{t('minutes_edited', lang)} {x['account']} {clock(x['at'], tz)}" for x in e["edits"]
        )
        by = f"{t('minutes_by', lang)}: {e['account']}" + (f"; {edits}" if edits else "")
        return f'<li><b>{at}</b> {escape(e["text"])} <span class="by">({escape(by)})</span></li>'

    groups = [(t("minutes_opening", lang), minutes["unfiled"])] if minutes["unfiled"] else []
    groups += [(f"{i['order']}. {i['content']}", i["entries"]) for i in minutes["items"]]
    written = False
    for title, entries in groups:
        if not entries:
            continue
        written = True
        out.append(f'<h3>{escape(title)}</h3><ul class="minutes">')
        out += [entry(e) for e in entries]
        out.append("</ul>")
    if not written:
        out.append(f"<p>{escape(t('minutes_empty', lang))}</p>")
    return "".join(out)


def _section(name: str, lang: str, body: str) -> str:
    return f'<section id="{name}"><h2>{escape(t(name, lang))}</h2>{body}</section>'


def _banner(report: dict[str, Any], lang: str, anchor: str = "tampered") -> str:
    audit = report["audit"]
    if audit["ok"]:
        return ""
    code = audit.get("reason_code")
    why = t(f"broken.{code}", lang) if code else audit["reason"]
    detail = f"{t('broken_at', lang)} {audit['broken_seq']}: {why}"
    return (
        f'<div class="tampered" role="alert" id="{anchor}">{escape(t("tampered", lang))}'
        f"<small>{escape(detail)}</small></div>"
    )


def render_parts(report: dict[str, Any], lang: str = "vi") -> tuple[str, str]:
    """The report's style sheet and body (the technical annex of the summary document)."""
    lang = "en" if lang == "en" else "vi"
    conf, window = report["conference"], report["window"]
    tz = conf["timezone"]
    day = datetime.fromtimestamp(window["start"] / 1000, ZoneInfo(tz)).strftime("%Y-%m-%d")
    by_name = {table.name: table for table in tables(report)}

    def table(name: str) -> str:
        return render_table(by_name[name], lang, tz, day)

    att, faults, sp, rs, tc = (
        report[k] for k in ("attendance", "faults", "speaking", "runscript", "testcalls")
    )
    audit = report["audit"]
    shares = [s["share"] for s in att["sites"] if s["share"] is not None and s["kind"] != "central"]
    mean_share = sum(shares) / len(shares) if shares else None
    figures = [
        _figure(f"{att['checked_in']}/{conf['sites']}", t("sites_checked_in", lang)),
        # Durations in words: "14:15" would read as a time of day.
        _figure(duration_words(window["duration_s"], lang), t("window", lang)),
        _figure(
            "" if mean_share is None else f"{number(mean_share * 100, lang)} %",
            f"{t('connected', lang)} ({t('share', lang)})",
        ),
        _figure(str(sum(s["dropouts"] for s in att["sites"])), t("dropouts", lang)),
        _figure(str(faults["count"]), t("faults", lang)),
        _figure(str(len(faults["still_open"])), t("open_now", lang)),
        _figure(
            duration_words(faults["time_to_ack"]["median"], lang) or "–", t("ack_median", lang)
        ),
        _figure(str(len(faults["escalations"])), t("escalations", lang)),
        _figure(
            f"{sp['speeches']} / {sp['requests']}",
            f"{t('speech_count', lang)} / {t('requests', lang)}",
        ),
        _figure(duration_words(sp["total_s"] or 0, lang), t("total", lang)),
        _figure(f"{rs['started']}/{rs['planned']}", t("items_run", lang)),
        _figure(str(rs["overrun_items"]), t("agenda_overruns", lang)),
        _figure(
            f"{tc['pass']}/{tc['warn']}/{tc['fail']}",
            f"{t('pass', lang)}/{t('warn', lang)}/{t('fail', lang)}",
        ),
        _figure(str(tc["not_tested"]), t("not_tested", lang)),
        *_followup_figures(report.get("followup"), lang),
        _figure(t("verified" if audit["ok"] else "broken", lang), t("chain", lang)),
        _figure(str(audit["count"]), t("event_count", lang)),
    ]
    span = f"{clock(window['start'], tz, True)} – {clock(window['end'], tz, True)}"
    generated = report.get("generated_at")
    parts = [
        classified_mark(conf, lang),
        _banner(report, lang),
        f"<header><h1>{escape(t('report', lang))}</h1>",
        f'<p class="sub">{escape(conf["title"])}</p>',
        f'<p class="meta">{escape(t("window", lang))}: {escape(span)} ({escape(tz)})</p>',
    ]
    if generated is not None:
        parts.append(
            f'<p class="meta">{escape(t("generated", lang))}: {clock(generated, tz, True)}</p>'
        )
    parts += [
        f'<p class="note">{escape(t("from_log", lang))}</p></header>',
        f'<section id="summary"><h2>{escape(t("summary", lang))}</h2>',
        f'<div class="figures">{"".join(figures)}</div></section>',
        f'<section id="attendance"><h2>{escape(t("attendance", lang))}</h2>',
        f"<h3>{escape(t('strip', lang))}</h3>{charts.link_strip(report, lang)}",
        table("sites"),
        f'<p class="note">{escape(t("samples_not_durable", lang))}</p></section>',
        f'<section id="faults"><h2>{escape(t("faults", lang))}</h2>',
        f"<h3>{escape(t('faults_chart', lang))}</h3>{charts.faults_over_time(report, lang)}",
        table("fault_times") + table("fault_breakdown") + table("faults") + "</section>",
        f'<section id="speaking"><h2>{escape(t("speaking", lang))}</h2>',
        f"<h3>{escape(t('speaking_chart', lang))}</h3>{charts.speaking_per_site(report, lang)}",
        table("speeches") + table("speaking_sites") + "</section>",
        _section("runscript", lang, table("runscript")),
        _section("testcalls", lang, table("testcalls")),
        _section("minutes_section", lang, _minutes(report.get("minutes"), lang, tz)),
        _section("followup", lang, table("followup")),
        _section("audit", lang, _banner(report, lang, "tampered-audit") + table("audit")),
        f"<footer>controlroom · {escape(conf['id'])} · {escape(t('events', lang))}"
        f" {audit['first_seq']}"
        f"..{audit['last_seq']} · {escape(str(audit.get('head_hash') or ''))}</footer>",
    ]
    return CSS + _classified_css(conf, lang), "".join(parts)


def render_html(report: dict[str, Any], lang: str = "vi") -> str:
    """The report as one self-contained HTML page (print it for the PDF)."""
    lang = "en" if lang == "en" else "vi"
    css, body = render_parts(report, lang)
    title = f"{t('report', lang)}: {report['conference']['title']}"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{css}</style></head><body>{body}</body></html>"
    )
