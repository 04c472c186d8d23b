"""Chromium renders the HTML report, screenshots it and prints it to A4 PDF with every table."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from controlroom.config import ConferenceConfig
from controlroom.report import TABLE_NAMES, build_report, from_records, render_html
from controlroom.report.i18n import t
from controlroom.report.tables import tables
from tests.report.script import Script

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


async def test_chromium_renders_and_prints_the_report(
    demo_config: ConferenceConfig, script: Script
):
    """Screenshot saved; the PDF has A4 pages with every table's caption; no banner."""
    playwright_api = pytest.importorskip("playwright.async_api")
    pypdf = pytest.importorskip("pypdf")
    extract = from_records("demo", script.records)
    report = build_report(demo_config, extract.events, extract.verification)
    page_html = render_html(report, "vi")
    ARTIFACTS.mkdir(exist_ok=True)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            await page.set_content(page_html, wait_until="load")
            found = await page.eval_on_selector_all(
                "table[data-table]", "ts => ts.map(t => t.dataset.table)"
            )
            assert sorted(found) == sorted(TABLE_NAMES)
            assert await page.locator("svg").count() == 3
            assert await page.locator("#tampered").count() == 0
            await page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            pdf = await page.pdf(format="A4", print_background=True)
        finally:
            await browser.close()
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    assert (ARTIFACTS / "report.png").stat().st_size > 20_000
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width - 595) < 3 and abs(height - 842) < 3  # A4 in points
    text = " ".join(p.extract_text() for p in reader.pages)
    for table in tables(report):
        assert t(table.title, "vi") in text, table.name
    assert "Nguyễn Văn A" in text
    # The demo conference is "mật": every printed page says so, at its top and bottom.
    for number, pdf_page in enumerate(reader.pages, 1):
        assert pdf_page.extract_text().count("MẬT") >= 2, number


async def test_chromium_shows_the_tampered_banner_on_top(
    demo_config: ConferenceConfig, script: Script
):
    """A broken chain: the red banner is the first thing on the page, above the title."""
    playwright_api = pytest.importorskip("playwright.async_api")
    records = list(script.records)
    victim = records[5]
    event = victim.event
    altered = type(event)(event.seq, event.at, event.name, event.actor, {**event.data, "x": 1})
    records[5] = type(victim)(altered, victim.prev_hash, victim.hash)
    extract = from_records("demo", records)
    report = build_report(demo_config, extract.events, extract.verification)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page()
            await page.set_content(render_html(report, "en"), wait_until="load")
            banner = await page.locator("#tampered").bounding_box()
            title = await page.locator("h1").bounding_box()
            assert banner is not None and title is not None and banner["y"] < title["y"]
            color = await page.eval_on_selector(
                "#tampered", "e => getComputedStyle(e).backgroundColor"
            )
            assert color == "rgb(183, 28, 28)"
            await page.screenshot(path=str(ARTIFACTS / "report-tampered.png"))
        finally:
            await browser.close()
