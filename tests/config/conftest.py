"""Fixtures for the configuration tests: the demo directory and small conferences in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo"

CONFERENCE = """\
id = "test-conf"
title = "Hội nghị thử"
start = "2026-12-01T08:00"
"""

SITES = """\
code,name,kind,region,technician,phone
TW,Điểm cầu Trung ương (Hà Nội),central,Đồng bằng sông Hồng,Nguyễn Văn A,0912 000 001
HNI,Hà Nội,site,Đồng bằng sông Hồng,Trần Văn B,0912 000 002
DLK,Đắk Lắk,site,Tây Nguyên,Y Bhin Niê,0912 000 003
"""

AGENDA = """\
TT,Thời gian,Nội dung,Họ tên/chức vụ người thực hiện,Điểm cầu
1,08:00 - 08:10,Khai mạc,"Đ/c Nguyễn Văn An, Bộ trưởng Bộ X",Trung tâm
2,08:10,Tham luận,"Đ/c Phạm Thị Hương, Phó Chủ tịch UBND thành phố Hà Nội",Hà Nội
3,8h30,Nghỉ giải lao,,
"""

MakeConf = Callable[..., Path]


@pytest.fixture
def make_conf(tmp_path: Path) -> MakeConf:
    """Write a conference directory; keyword arguments replace a file's text (str or bytes)."""

    def make(
        conference: str | bytes = CONFERENCE,
        sites: str | bytes = SITES,
        agenda: str | bytes = AGENDA,
    ) -> Path:
        directory = tmp_path / "conf"
        directory.mkdir(exist_ok=True)
        for name, content in (
            ("conference.toml", conference),
            ("sites.csv", sites),
            ("agenda.csv", agenda),
        ):
            data = content.encode("utf-8") if isinstance(content, str) else content
            (directory / name).write_bytes(data)
        return directory

    return make
