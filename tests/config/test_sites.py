"""sites.csv: headers in English or Vietnamese, and every row checked."""

from __future__ import annotations

import pytest

from controlroom.config import ConfigError, load_conference

from .conftest import SITES, MakeConf

SITES_VI = """\
\ufeffMã,Tên điểm cầu,Loại (trung tâm/điểm cầu),Khu vực,Kỹ thuật viên,Điện thoại,Ghi chú
TW,Điểm cầu Trung ương (Hà Nội),trung tâm,Đồng bằng sông Hồng,Nguyễn Văn A,0912 000 001,
hni,Hà Nội,Điểm cầu,Đồng bằng sông Hồng,Trần Văn B,0912 000 002,phòng họp tầng 3
DLK,Đắk Lắk,ĐIỂM CẦU,Tây Nguyên,Y Bhin Niê,0912 000 003,
"""


def _error(make_conf: MakeConf, sites: str | bytes) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_conference(make_conf(sites=sites))
    return info.value


def test_english_and_vietnamese_headers_agree(make_conf: MakeConf) -> None:
    """Vietnamese headers (with BOM, extra note column, lower-case code) give the same sites."""
    english = load_conference(make_conf(sites=SITES)).sites
    vietnamese = load_conference(make_conf(sites=SITES_VI)).sites
    assert english == vietnamese
    assert english[1].code == "HNI" and english[1].technician == "Trần Văn B"


def test_headers_without_diacritics_and_semicolons(make_conf: MakeConf) -> None:
    """Headers typed without diacritics, in any case, with ';' as delimiter still parse."""
    text = SITES_VI.replace("\ufeff", "").replace(",", ";")
    text = text.replace("Mã;Tên điểm cầu;Loại", "MA;ten diem cau;loai")
    assert load_conference(make_conf(sites=text)).sites == load_conference(make_conf()).sites


def test_duplicate_code(make_conf: MakeConf) -> None:
    """A repeated code is reported on its second line, in the code column."""
    err = _error(make_conf, SITES + "hni,Hà Nội 2,site,,,\n")
    assert (err.file, err.line, err.column) == ("sites.csv", 5, "code")
    assert "duplicate site code 'HNI' (first on line 3)" in str(err)


def test_bad_code(make_conf: MakeConf) -> None:
    """A code with spaces or too long is rejected with line and column."""
    err = _error(make_conf, SITES + "HA NOI,Hà Nội 2,site,,,\n")
    assert (err.line, err.column) == (5, "code")


def test_bad_kind_uses_the_files_header(make_conf: MakeConf) -> None:
    """An unknown kind names the column as written in the file (Vietnamese header)."""
    err = _error(make_conf, SITES_VI.replace("ĐIỂM CẦU", "tỉnh"))
    assert (err.file, err.line, err.column) == ("sites.csv", 4, "Loại (trung tâm/điểm cầu)")
    assert "'tỉnh' is not a kind" in str(err)


def test_empty_name(make_conf: MakeConf) -> None:
    """A row without a name is an error in the name column."""
    err = _error(make_conf, SITES + "QNH,  ,site,,,\n")
    assert (err.line, err.column) == (5, "name")


def test_missing_column(make_conf: MakeConf) -> None:
    """A file without a kind column is reported on line 1 naming the missing column."""
    text = "\n".join(",".join(line.split(",")[:2]) for line in SITES.splitlines()) + "\n"
    err = _error(make_conf, text)
    assert (err.file, err.line, err.column) == ("sites.csv", 1, "kind")
    assert "missing column" in str(err)


def test_exactly_one_central(make_conf: MakeConf) -> None:
    """Zero central sites and two central sites are both errors."""
    assert "no central site" in str(_error(make_conf, SITES.replace("central", "site")))
    err = _error(make_conf, SITES.replace("HNI,Hà Nội,site", "HNI,Hà Nội,central"))
    assert (err.line, err.column) == (3, "kind")


def test_non_utf8_sites(make_conf: MakeConf) -> None:
    """A CSV saved as Windows-1258 is reported as not UTF-8 with the line of the byte."""
    text = SITES.replace("Điểm cầu Trung ương (Hà Nội)", "Trung uong")
    err = _error(make_conf, text.encode("cp1258", errors="replace"))
    assert (err.file, err.line) == ("sites.csv", 2)
    assert "not UTF-8" in str(err)


def test_blank_lines_are_skipped_and_lines_counted(make_conf: MakeConf) -> None:
    """Blank rows are ignored but still counted, so later errors point at the right line."""
    text = SITES + "\n,,,,,\n" + "HNI,x,site,,,\n"
    err = _error(make_conf, text)
    assert err.line == 7
