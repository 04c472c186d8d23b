"""agenda.csv, the run-script: times, durations, presenters, sites, and row errors."""

from __future__ import annotations

import pytest

from controlroom.config import ConfigError, load_conference, parse_time_range, split_presenter

from .conftest import AGENDA, MakeConf

START = 1796086800000  # 2026-12-01T08:00 in Asia/Ho_Chi_Minh
MIN = 60_000

AGENDA_EN = """\
no,time,content,presenter,presenter_title,site
1,08:00-08:10,Khai mạc,Đ/c Nguyễn Văn An,Bộ trưởng Bộ X,TW
2,8h10,Tham luận,Đ/c Phạm Thị Hương,Phó Chủ tịch UBND thành phố Hà Nội,hni
3,08:30,Nghỉ giải lao,,,
"""


def _error(make_conf: MakeConf, agenda: str | bytes) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_conference(make_conf(agenda=agenda))
    return info.value


def test_parse(make_conf: MakeConf) -> None:
    """Seed-style rows: ids, start times, durations (end, next row, last = 15), presenter, site."""
    items = load_conference(make_conf()).agenda
    assert [i.item_id for i in items] == ["A01", "A02", "A03"]
    assert [i.order for i in items] == [1, 2, 3]
    assert [i.planned_start for i in items] == [START, START + 10 * MIN, START + 30 * MIN]
    assert [i.duration_min for i in items] == [10, 20, 15]
    assert (items[0].presenter, items[0].presenter_title) == ("Đ/c Nguyễn Văn An", "Bộ trưởng Bộ X")
    assert [i.site for i in items] == ["TW", "HNI", None]
    assert items[2].presenter == "" and items[2].presenter_title == ""


def test_english_headers_give_the_same_items(make_conf: MakeConf) -> None:
    """English headers with a separate presenter_title column parse to the same items."""
    assert (
        load_conference(make_conf(agenda=AGENDA_EN)).agenda == load_conference(make_conf()).agenda
    )


def test_comma_header_variant_and_duration_column(make_conf: MakeConf) -> None:
    """'Họ tên, chức vụ người thực hiện' is accepted and duration_min sets the last row."""
    text = (
        'TT,Thời gian,Nội dung,"Họ tên, chức vụ người thực hiện",Điểm cầu,duration_min\n'
        "1,08:00,Khai mạc,Đ/c A,tất cả,\n"
        "2,08:05,Bế mạc,Đ/c B,dak lak,7\n"
    )
    items = load_conference(make_conf(agenda=text)).agenda
    assert [i.duration_min for i in items] == [5, 7]
    assert [i.site for i in items] == [None, "DLK"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Đắk Lắk", "DLK"),
        ("dak lak", "DLK"),
        ("Điểm cầu Đắk Lắk", "DLK"),
        ("tỉnh Đắk Lắk", "DLK"),
        ("Thành phố Hà Nội", "HNI"),
        ("dlk", "DLK"),
        ("Trung tâm", "TW"),
        ("Tất cả", None),
        ("", None),
    ],
)
def test_site_cell(make_conf: MakeConf, cell: str, expected: str | None) -> None:
    """Điểm cầu matches a code or a name regardless of case, diacritics and prefixes."""
    text = f"TT,Thời gian,Nội dung,Họ tên/chức vụ người thực hiện,Điểm cầu\n1,08:00,X,,{cell}\n"
    assert load_conference(make_conf(agenda=text)).agenda[0].site == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", ((8, 0), None)),
        ("8h00", ((8, 0), None)),
        ("8h", ((8, 0), None)),
        ("08:00 - 08:15", ((8, 0), (8, 15))),
        ("08:00-08:15", ((8, 0), (8, 15))),
        ("8h00 – 8h15", ((8, 0), (8, 15))),
        ("8h70", None),
        ("25:00", None),
        ("tám giờ", None),
        ("", None),
    ],
)
def test_parse_time_range(text: str, expected: object) -> None:
    """Accepted time spellings, and rejected ones (bad minutes, bad hour, words, empty)."""
    parsed = parse_time_range(text)
    if parsed is None:
        assert expected is None
    else:
        start, end = parsed
        got = ((start.hour, start.minute), (end.hour, end.minute) if end else None)
        assert got == expected


def test_split_presenter() -> None:
    """The presenter cell splits on the first comma only."""
    assert split_presenter("Đ/c Nguyễn Văn A, Bộ trưởng Bộ X, Trưởng ban") == (
        "Đ/c Nguyễn Văn A",
        "Bộ trưởng Bộ X, Trưởng ban",
    )
    assert split_presenter("Ban Tổ chức") == ("Ban Tổ chức", "")


def test_bad_time(make_conf: MakeConf) -> None:
    """'8h70' names file, line and the Thời gian column with the expected formats."""
    err = _error(make_conf, AGENDA.replace("8h30", "8h70"))
    assert str(err) == (
        "agenda.csv, line 4, column 'Thời gian': '8h70' is not a time "
        "(expected HH:MM or HH:MM-HH:MM)"
    )
    assert (err.file, err.line, err.column) == ("agenda.csv", 4, "Thời gian")


def test_times_must_not_go_back(make_conf: MakeConf) -> None:
    """A row starting before the previous one is an error on that row."""
    err = _error(make_conf, AGENDA.replace("8h30", "08:05"))
    assert (err.line, err.column) == (4, "Thời gian")
    assert "time order" in str(err)


def test_end_before_start(make_conf: MakeConf) -> None:
    """'08:10 - 08:00' is rejected."""
    err = _error(make_conf, AGENDA.replace("08:00 - 08:10", "08:10 - 08:00"))
    assert (err.line, err.column) == (2, "Thời gian")


def test_unknown_site(make_conf: MakeConf) -> None:
    """A site that is neither a code nor a name of sites.csv is named with line and column."""
    err = _error(make_conf, AGENDA.replace(",Hà Nội\n", ",Hà Giang\n"))
    assert (err.file, err.line, err.column) == ("agenda.csv", 3, "Điểm cầu")
    assert "unknown site 'Hà Giang'" in str(err)


def test_unknown_site_english_header(make_conf: MakeConf) -> None:
    """With English headers the error names the 'site' column."""
    err = _error(make_conf, AGENDA_EN.replace(",hni\n", ",XYZ\n"))
    assert (err.line, err.column) == (3, "site")


def test_missing_column(make_conf: MakeConf) -> None:
    """A run-script without a time column is reported on line 1."""
    text = "TT,Nội dung\n1,Khai mạc\n"
    err = _error(make_conf, text)
    assert (err.file, err.line, err.column) == ("agenda.csv", 1, "time")


def test_empty_content(make_conf: MakeConf) -> None:
    """A row with a time but no content is an error in the Nội dung column."""
    err = _error(make_conf, AGENDA.replace("Nghỉ giải lao", ""))
    assert (err.line, err.column) == (4, "Nội dung")


def test_multiline_cell_keeps_line_numbers(make_conf: MakeConf) -> None:
    """A quoted cell spanning lines still gives the right line for a later error."""
    text = AGENDA.replace("Tham luận", '"Tham luận\nvề chuyển đổi số"').replace("8h30", "8h99")
    err = _error(make_conf, text)
    assert err.line == 5


def test_non_utf8_agenda(make_conf: MakeConf) -> None:
    """A run-script in a legacy encoding is a ConfigError naming the file and line."""
    err = _error(make_conf, AGENDA.encode("cp1258", errors="replace"))
    assert err.file == "agenda.csv"
    assert err.line == 1
    assert "not UTF-8" in str(err)
