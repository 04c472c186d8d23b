"""The report as JSON and as CSV (one file per table, or all of them in a zip).

Rules:

- JSON is the report model itself (:func:`build_report`), UTF-8, keys in model order.
- CSV: one table per file, named ``<table>.csv`` (see :data:`TABLE_NAMES`), UTF-8 with
  a byte-order mark so that spreadsheet programs show Vietnamese correctly, a header
  row of labels in the report's language, times as ISO 8601 local times, durations in
  seconds and ratios as fractions (0..1), enums as their codes (``critical``).
- ``csv_zip`` packs every table into one zip (``report-<conference>-csv.zip``).
- ``excel=True`` (``?format=csv&for=excel``): the CSV for people instead, as the
  reader's spreadsheet opens it: in Vietnamese semicolons and a decimal comma, words
  for codes, local dates and times, shares as percentages.
- ``xlsx_book``: every table as a sheet of one workbook for people: labels and words
  in the report's language, times as dates the spreadsheet shows in the conference's
  zone, durations in seconds and shares as percentages as numbers, a bold frozen
  header row. Text cells are defused like the CSV's.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from controlroom.csv_safety import safe_row
from controlroom.report.i18n import clock, iso, number, t
from controlroom.report.tables import Table, tables


def to_json(report: dict[str, Any]) -> str:
    """The report as JSON text."""
    return json.dumps(report, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _cell(kind: str, value: Any, tz: str, lang: str = "vi") -> Any:
    if value is None:
        return ""
    if kind == "words" and isinstance(value, dict):
        return value.get(lang) or value.get("vi") or ""
    if kind == "time":
        return iso(value, tz)
    if kind == "bool":
        return "1" if value else "0"
    return value


def _excel_cell(kind: str, value: Any, tz: str, lang: str) -> Any:
    """A cell as a person's spreadsheet shows it: words, local times, decimal comma."""
    if value is None or value == "":
        return ""
    if kind == "time":
        return clock(value, tz, with_date=True)
    if kind == "enum":
        return t(str(value), lang)
    if kind == "bool":
        return t("yes" if value else "no", lang)
    if kind == "ratio" and isinstance(value, int | float):
        return number(value * 100, lang)
    if kind == "words" and isinstance(value, dict):
        return value.get(lang) or value.get("vi") or ""
    if isinstance(value, float):
        return number(value, lang, digits=1)
    return value


def table_csv(table: Table, lang: str, tz: str, excel: bool = False) -> str:
    """One table as CSV text (with a BOM); no cell can run as a spreadsheet formula.

    ``excel``: the CSV a spreadsheet opens as a table for people, in Vietnamese with
    semicolons and a decimal comma (as Vietnamese Excel reads it), words for codes and
    local times; otherwise codes, ISO times and seconds for programs.
    """
    out = io.StringIO()
    out.write("\ufeff")
    delimiter = ";" if excel and lang == "vi" else ","
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(safe_row(t(c.label, lang) for c in table.columns))
    cell = _excel_cell if excel else _cell
    for row in table.rows:
        writer.writerow(safe_row(cell(c.kind, row.get(c.key), tz, lang) for c in table.columns))
    return out.getvalue()


def csv_table(report: dict[str, Any], name: str, lang: str, excel: bool = False) -> str | None:
    """The CSV of the table ``name``, or None when there is no such table."""
    tz = report["conference"]["timezone"]
    for table in tables(report):
        if table.name == name:
            return table_csv(table, lang, tz, excel)
    return None


def csv_files(report: dict[str, Any], lang: str, excel: bool = False) -> dict[str, str]:
    """Every table as ``{file name: CSV text}``."""
    tz = report["conference"]["timezone"]
    return {f"{table.name}.csv": table_csv(table, lang, tz, excel) for table in tables(report)}


def csv_zip(report: dict[str, Any], lang: str, excel: bool = False) -> bytes:
    """Every table's CSV in one zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in csv_files(report, lang, excel).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def xlsx_book(report: dict[str, Any], lang: str) -> bytes:
    """Every table as a sheet of one .xlsx workbook (openpyxl)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from controlroom.csv_safety import safe_cell

    tz = ZoneInfo(report["conference"]["timezone"])
    book = Workbook()
    book.remove(book.active)
    for table in tables(report):
        # A sheet's name: at most 31 characters, none of \\ / ? * [ ] :
        title = "".join("-" if ch in "\\/?*[]:" else ch for ch in t(table.title, lang))
        sheet = book.create_sheet(title[:31].strip() or table.name)
        sheet.append([t(c.label, lang) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in table.rows:
            values: list[Any] = []
            for c in table.columns:
                v = row.get(c.key)
                if v is None or v == "":
                    values.append(None)
                elif c.kind == "time":  # a local date and time, without its zone (Excel has none)
                    values.append(datetime.fromtimestamp(v / 1000, tz).replace(tzinfo=None))
                elif c.kind == "enum":
                    values.append(t(str(v), lang))
                elif c.kind == "bool":
                    values.append(t("yes" if v else "no", lang))
                elif c.kind == "words" and isinstance(v, dict):
                    values.append(safe_cell(str(v.get(lang) or v.get("vi") or "")))
                elif isinstance(v, bool) or not isinstance(v, int | float):
                    values.append(safe_cell(str(v)))
                else:
                    values.append(v)
            sheet.append(values)
        for column, c in enumerate(table.columns, 1):
            if c.kind == "time":
                for cells in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cells[0].number_format = "dd/mm/yyyy hh:mm:ss"
            elif c.kind == "ratio":
                for cells in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cells[0].number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
