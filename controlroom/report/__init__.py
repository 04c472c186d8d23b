"""The report after the conference: a pure model from the event log, rendered three ways.

``build_report`` (model) takes the configuration, the stored events and their chain
verification; ``render_html``, ``to_json`` and the CSV functions only format it.
``source`` reads the events from the live hub's records or a data directory
(read-only). See docs/report.md for what each figure means.
"""

from controlroom.report.export import csv_files, csv_table, csv_zip, to_json
from controlroom.report.html import render_html
from controlroom.report.model import build_report
from controlroom.report.source import LogExtract, from_records, read_data_dir
from controlroom.report.tables import TABLE_NAMES

__all__ = [
    "TABLE_NAMES",
    "LogExtract",
    "build_report",
    "csv_files",
    "csv_table",
    "csv_zip",
    "from_records",
    "read_data_dir",
    "render_html",
    "to_json",
]
