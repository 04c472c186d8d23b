"""conference.toml and the demo directory as a whole."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controlroom.auth.accounts import AccountStore
from controlroom.config import ConfigError, load_conference
from controlroom.domain.model import Settings

from .conftest import CONFERENCE, DEMO, MakeConf


def _ms(text: str) -> int:
    return int(
        datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp() * 1000
    )


def test_demo_loads_with_35_sites_and_one_central() -> None:
    """The demo conference loads: 35 sites, exactly one central (TW), Vietnamese title."""
    config = load_conference(DEMO)
    assert config.conference.id == "demo"
    assert len(config.sites) == 35
    assert [s.code for s in config.sites if s.kind == "central"] == ["TW"]
    assert len({s.code for s in config.sites}) == 35
    assert "Hà Nội" in config.central.name
    assert config.accounts_path == DEMO / "accounts.toml"


def test_demo_schedule_in_vietnam_time() -> None:
    """start and test_at are local Hà Nội times converted to Unix milliseconds."""
    info = load_conference(DEMO).conference
    assert info.starts_at == _ms("2026-12-01T08:00") == 1796086800000
    assert info.test_at == _ms("2026-11-30T16:30")
    assert info.timezone == "Asia/Ho_Chi_Minh"


def test_demo_agenda_is_long_monotonic_and_within_the_morning() -> None:
    """The demo run-script has >= 14 rows in time order from 08:00 to 11:30."""
    config = load_conference(DEMO)
    agenda = config.agenda
    assert len(agenda) >= 14
    starts = [item.planned_start for item in agenda]
    assert starts == sorted(starts)
    assert starts[0] == config.conference.starts_at
    last = agenda[-1]
    assert last.planned_start + last.duration_min * 60_000 == _ms("2026-12-01T11:30")
    assert [item.item_id for item in agenda[:2]] == ["A01", "A02"]
    codes = {s.code for s in config.sites}
    assert {item.site for item in agenda} - {None} <= codes
    assert len({item.site for item in agenda} - {None, "TW"}) >= 3  # several provincial sites


def test_demo_every_site_has_an_account() -> None:
    """accounts.toml has admin/operator/assistant/chair and one site account per site code."""
    config = load_conference(DEMO)
    store = AccountStore(config.accounts_path)
    by_site = {a.site: a for a in store.all() if a.role == "site"}
    assert set(by_site) == {s.code for s in config.sites}
    for site in config.sites:
        assert by_site[site.code].username == f"site-{site.code.lower()}"
    roles = {a.username: a.role for a in store.all()}
    for role in ("admin", "operator", "assistant", "chair"):
        assert roles[role] == role
    assert all(a.password_hash.startswith("scrypt$16384$8$1$") for a in store.all())
    assert store.authenticate("site-hni", "demo") is not None


def test_defaults_when_optional_tables_absent(make_conf: MakeConf) -> None:
    """A minimal conference.toml gets the default Settings, zone and no extra origins."""
    config = load_conference(make_conf())
    assert config.settings == Settings()
    assert config.conference.timezone == "Asia/Ho_Chi_Minh"
    assert config.conference.test_at is None
    assert config.allowed_origins == ()


def test_all_tables_are_read(make_conf: MakeConf) -> None:
    """[speaking], [faults], [link] thresholds and [web] origins reach Settings and the config."""
    text = CONFERENCE + (
        'timezone = "Asia/Bangkok"\n'
        "[speaking]\ndefault_s = 180\n[faults]\nescalate_after_s = 30\n"
        "[link]\nheartbeat_s = 1.5\nrtt_ms = 250\nloss_pct = 5\nbad_samples = 2\n"
        "flap_window_s = 600\n"
        '[web]\nallowed_origins = ["https://hop.example.vn"]\n'
    )
    config = load_conference(make_conf(conference=text))
    s = config.settings
    assert (s.speaking_default_s, s.escalate_after_s, s.heartbeat_s) == (180, 30, 1.5)
    assert (s.thresholds.rtt_ms, s.thresholds.loss_pct, s.thresholds.bad_samples) == (250, 5, 2)
    assert s.thresholds.flap_window_s == 600 and s.thresholds.jitter_ms == 30.0
    assert config.allowed_origins == ("https://hop.example.vn",)
    assert config.conference.timezone == "Asia/Bangkok"


@pytest.mark.parametrize(
    ("extra", "key"),
    [("colour = 1\n", "colour"), ("[link]\nrtt = 300\n", "link.rtt"), ("[speakin]\n", "speakin")],
)
def test_unknown_key_is_named(make_conf: MakeConf, extra: str, key: str) -> None:
    """An unknown key in conference.toml raises ConfigError naming the file and the key."""
    with pytest.raises(ConfigError) as info:
        load_conference(make_conf(conference=CONFERENCE + extra))
    assert info.value.file == "conference.toml"
    assert info.value.column == key
    assert f"key {key!r}: unknown key" in str(info.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (CONFERENCE.replace('"test-conf"', '"Test Conf"'), "id"),
        (CONFERENCE.replace('"2026-12-01T08:00"', '"01/12/2026 8h"'), "start"),
        (CONFERENCE + 'timezone = "Asia/Hanoi_Nowhere"\n', "timezone"),
        (CONFERENCE + 'test_at = "2026-12-02T08:00"\n', "test_at"),
        (CONFERENCE + "[speaking]\ndefault_s = -5\n", "speaking.default_s"),
        (CONFERENCE + '[link]\nbad_samples = "3"\n', "link.bad_samples"),
        (CONFERENCE + '[web]\nallowed_origins = ["hop.example.vn/x"]\n', "web.allowed_origins"),
    ],
)
def test_bad_values_name_their_key(make_conf: MakeConf, text: str, key: str) -> None:
    """Wrong values (id, times, zone, numbers, origins) are rejected with the key named."""
    with pytest.raises(ConfigError) as info:
        load_conference(make_conf(conference=text))
    assert info.value.column == key


def test_bad_toml_names_the_line(make_conf: MakeConf) -> None:
    """A TOML syntax error is a ConfigError with the line of the mistake."""
    with pytest.raises(ConfigError) as info:
        load_conference(make_conf(conference=CONFERENCE + "title2 = \n"))
    assert info.value.file == "conference.toml"
    assert info.value.line == 4
    assert "not valid TOML" in str(info.value)


def test_missing_directory_and_file(tmp_path: Path, make_conf: MakeConf) -> None:
    """A missing directory or a missing file is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="directory not found"):
        load_conference(tmp_path / "nowhere")
    directory = make_conf()
    (directory / "agenda.csv").unlink()
    with pytest.raises(ConfigError) as info:
        load_conference(directory)
    assert str(info.value) == "agenda.csv: file not found"


def test_non_utf8_toml(make_conf: MakeConf) -> None:
    """A conference.toml saved in a legacy code page is reported as not UTF-8, with its line."""
    text = CONFERENCE.replace("Hội nghị thử", "Hoi nghi thu é")
    with pytest.raises(ConfigError) as info:
        load_conference(make_conf(conference=text.encode("latin-1")))
    assert info.value.file == "conference.toml"
    assert info.value.line == 2
    assert "not UTF-8" in str(info.value)
