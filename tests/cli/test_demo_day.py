"""The demo is always today: its config at fixed "nows", never at the real date or hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controlroom.config import load_conference
from controlroom.demo import DEMO_DATA, demo_schedule, prepare_demo, reset_demo
from tests.conftest import DEMO

VN = ZoneInfo("Asia/Ho_Chi_Minh")

NOWS = [
    datetime(2026, 12, 1, 0, 30, tzinfo=VN),
    datetime(2026, 12, 1, 8, 0, tzinfo=VN),
    datetime(2026, 12, 1, 23, 59, tzinfo=VN),
    datetime(2028, 2, 29, 12, 0, tzinfo=VN),
    datetime(2028, 3, 1, 9, 15, tzinfo=VN),
    datetime(2026, 12, 31, 23, 0, tzinfo=VN),
    # What CI saw: the evening in UTC is already the next morning in Viet Nam.
    datetime(2026, 12, 1, 20, 22, tzinfo=UTC),
]


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.isoformat())
def test_demo_conference_is_dated_on_the_local_day_of_now(now: datetime, tmp_path: Path) -> None:
    """Start 08:00 on now's local day, test 16:30 the day before; every file still loads."""
    local_day = now.astimezone(VN).date()
    conference_dir = prepare_demo(DEMO, tmp_path / "data", now)
    config = load_conference(conference_dir)
    start = datetime.fromtimestamp(config.conference.starts_at / 1000, VN)
    test_at = datetime.fromtimestamp(config.conference.test_at / 1000, VN)
    assert (start.date(), start.hour, start.minute) == (local_day, 8, 0)
    assert (test_at.date(), test_at.hour, test_at.minute) == (
        local_day - timedelta(days=1),
        16,
        30,
    )
    assert test_at < start
    days = {datetime.fromtimestamp(i.planned_start / 1000, VN).date() for i in config.agenda}
    assert days == {local_day}, "the run-script is on the conference's day"
    assert config.agenda[0].planned_start == config.conference.starts_at


def test_schedule_needs_an_aware_now() -> None:
    """A naive time is ambiguous (whose midnight?): refused rather than guessed."""
    with pytest.raises(ValueError):
        demo_schedule(datetime(2026, 12, 1, 9, 0), VN)


def test_the_leap_day_schedule() -> None:
    """29 February 2028 starts that day; 1 March 2028 is tested on the 29th."""
    start, test_at = demo_schedule(datetime(2028, 3, 1, 7, 0, tzinfo=VN), VN)
    assert (start.date(), test_at.date()) == (date(2028, 3, 1), date(2028, 2, 29))


def test_a_data_directory_keeps_its_day_and_the_comments(tmp_path: Path) -> None:
    """A later run on the same data keeps the first date; the template's comments survive."""
    data = tmp_path / "data"
    first = prepare_demo(DEMO, data, NOWS[0])
    again = prepare_demo(DEMO, data, NOWS[3])
    assert first == again
    text = (again / "conference.toml").read_text(encoding="utf-8")
    assert 'start = "2026-12-01T08:00"' in text and 'test_at = "2026-11-30T16:30"' in text
    template = (DEMO / "conference.toml").read_text(encoding="utf-8")
    comments = [line for line in template.splitlines() if line.startswith("#")]
    assert comments and all(line in text for line in comments)
    assert (again / "accounts.toml").read_bytes() == (DEMO / "accounts.toml").read_bytes()


def test_reset_removes_the_demo_files_and_nothing_else(tmp_path: Path) -> None:
    """--reset removes the log, the secret and the dated copy; a stranger's file stays."""
    data = tmp_path / "data"
    prepare_demo(DEMO, data, NOWS[1])
    (data / "events.db").write_bytes(b"log")
    (data / "token.secret").write_bytes(b"secret")
    (data / "notes.txt").write_text("mine", encoding="utf-8")
    removed = reset_demo(data)
    assert set(removed) == {"events.db", "token.secret", "conference"}
    assert set(removed) <= set(DEMO_DATA)
    assert [p.name for p in data.iterdir()] == ["notes.txt"]
    fresh = prepare_demo(DEMO, data, NOWS[3])
    assert 'start = "2028-02-29T08:00"' in (fresh / "conference.toml").read_text("utf-8")
