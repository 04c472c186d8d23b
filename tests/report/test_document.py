"""The summary document leaders sign: the administrative header, the summary in
sentences with durations in words and site names, the organiser's assessment, the
recipients and the signature, the technical annex after it; a template in the
conference directory replaces the default; printed by Chromium, every page carries
the classification (read with pypdf, drawn with pdftoppm)."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from controlroom.config import ConferenceConfig
from controlroom.report import build_report, from_records
from controlroom.report.document import render_document
from tests.report.script import Script
from tests.report.test_followup import paper_day

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def report(demo_config: ConferenceConfig, script: Script) -> dict:
    extract = from_records("demo", script.records)
    return build_report(demo_config, extract.events, extract.verification)


def test_the_document_reads_as_an_administrative_report(report, demo_config):
    paper = dataclasses.replace(
        demo_config.document,
        assessment="Hội nghị bảo đảm an toàn, thông suốt.",
        recommendations="Nâng cấp đường truyền <b>cấp xã</b>.",
    )
    page = render_document(report, paper, "vi")
    for words in [
        "Cộng hòa xã hội chủ nghĩa Việt Nam",
        "Độc lập - Tự do - Hạnh phúc",
        "Trung tâm Công nghệ thông tin",
        "Số: ……/BC-TTCNTT",
        "Hà Nội, ngày 01 tháng 12 năm 2026",
        "2/35 điểm cầu điểm danh",
        "lâu nhất 10 phút tại điểm cầu Huế",
        "tiếp nhận trung vị",
        "Hội nghị bảo đảm an toàn, thông suốt.",
        "Lãnh đạo Bộ (để báo cáo)",
        "Giám đốc",
        "Nguyễn Minh Tuấn",
        "Phụ lục kỹ thuật",
        "Báo cáo tổng hợp hội nghị",  # the annex
    ]:
        assert words in page, words
    assert "&lt;b&gt;cấp xã&lt;/b&gt;" in page  # the organiser's text is escaped
    assert "(Ban Tổ chức chưa ghi.)" in render_document(report, demo_config.document, "vi")
    english = render_document(report, paper, "en")
    assert "Socialist Republic of Viet Nam" in english and "Technical annex" in english


def test_a_template_in_the_conference_directory_replaces_the_default(report, demo_config, tmp_path):
    (tmp_path / "report.html.j2").write_text(
        "<p>{{ paper.agency }} · {{ s.faults }} · {{ conference.title }}</p>", encoding="utf-8"
    )
    page = render_document(report, demo_config.document, "vi", tmp_path)
    assert page.startswith("<p>Trung tâm Công nghệ thông tin · Có 2 sự cố kỹ thuật")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
async def test_every_printed_page_carries_the_classification_and_the_header(demo_config, tmp_path):
    """The conference with its paperwork (minutes, three conclusions followed up by two
    sites, one part done and one overdue), printed: the header, the follow-up in
    words, the minutes in the annex, and the classification on every page."""
    playwright_api = pytest.importorskip("playwright.async_api")
    pypdf = pytest.importorskip("pypdf")
    report = paper_day(demo_config)
    page_html = render_document(report, demo_config.document, "vi")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.set_content(page_html, wait_until="load")
            pdf = await page.pdf(format="A4", print_background=True)
        finally:
            await browser.close()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(texts) >= 3  # the document, then the annex on pages of its own
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts[0]
    assert "BÁO CÁO" in texts[0]
    whole = " ".join(texts)
    assert "Hội nghị có 3 kết luận, giao 4 phần việc cho các điểm cầu: 1 đã hoàn thành" in whole
    assert "1 quá hạn" in whole and "BIÊN BẢN HỘI NGHỊ" in whole.upper()
    assert "Đồng chí Chủ trì kết luận phần thảo luận" in whole
    for number, text in enumerate(texts, 1):
        assert text.count("MẬT") >= 2, number  # at the top and the bottom of each page
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing (apt-get install poppler-utils)")
    (tmp_path / "document.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "document.pdf"), str(tmp_path / "p")],
        check=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(texts)
    assert all(p.stat().st_size > 2_000 for p in pages)  # drawn, not blank
