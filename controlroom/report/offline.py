"""``controlroom report``: the report from a data directory, with no hub running.

Rules: reads the configuration and ``events.db`` (read-only; the log is never
changed), builds the same model the live route serves, and writes into ``--out``:
``report.html``, ``document.html`` (the summary document leaders sign, the report as
its annex), ``report.json`` and ``csv/<table>.csv`` (one per table). Prints one
line per file and the audit verdict. Exit status 0 when the chain verifies, 1 when
it does not (the files are written all the same, with the warning in them), and the
CLI's usual 2 for a missing log or a broken configuration.
"""

from __future__ import annotations

import time
from pathlib import Path

from controlroom.config import load_conference
from controlroom.report.document import render_document
from controlroom.report.export import csv_files, to_json
from controlroom.report.html import render_html
from controlroom.report.model import build_report
from controlroom.report.source import read_data_dir


def write_report(
    config_dir: Path, data_dir: Path, out: Path, lang: str = "vi", conference: str | None = None
) -> int:
    """Build and write the report; returns the exit status (0 ok, 1 chain broken)."""
    config = load_conference(config_dir)
    conference = conference or config.conference.id
    extract = read_data_dir(data_dir, conference)  # FileNotFoundError: the caller says so
    report = build_report(
        config,
        extract.events,
        extract.verification,
        head_hash=extract.head_hash,
        generated_at=int(time.time() * 1000),
        checkpoints=extract.checkpoints,
    )
    (out / "csv").mkdir(parents=True, exist_ok=True)
    written = [out / "report.html", out / "document.html", out / "report.json"]
    written[0].write_text(render_html(report, lang), encoding="utf-8")
    page = render_document(report, config.document, lang, config.directory)
    written[1].write_text(page, encoding="utf-8")
    written[2].write_text(to_json(report), encoding="utf-8")
    for name, text in csv_files(report, lang).items():
        path = out / "csv" / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for path in written:
        print(path)
    audit = report["audit"]
    if audit["ok"]:
        print(f"{conference}: log verified, {audit['count']} events")
        return 0
    print(f"{conference}: LOG BROKEN at seq {audit['broken_seq']}: {audit['reason']}")
    return 1
