"""Purging after the retention period: refused before it (and with no retention set,
and on a broken chain), then the log is gone and the seal proves what it held:
`audit verify` names the seal, and an altered seal is caught."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.config import ConferenceConfig, load_conference
from controlroom.store.purge import DAY_MS, PurgeRefused, check_seals, purge
from tests.conftest import DEMO
from tests.report.conftest import scripted

CLI = [sys.executable, "-m", "controlroom"]


@pytest.fixture
def demo_config() -> ConferenceConfig:
    return load_conference(DEMO)


def _data(config: ConferenceConfig, tmp_path: Path) -> tuple[Path, int, str]:
    script = scripted(config)
    data = tmp_path / "data"
    script.write(data)
    last = script.records[-1]
    return data, last.event.at, last.hash


def test_purge_waits_for_the_retention_then_seals_and_removes(demo_config, tmp_path):
    data, last_at, head = _data(demo_config, tmp_path)
    with pytest.raises(PurgeRefused, match="no retention_days"):
        purge(data, "demo", "Nguyễn Văn An", last_at + 400 * DAY_MS, None)
    with pytest.raises(PurgeRefused, match="kept 2 more day"):
        purge(data, "demo", "Nguyễn Văn An", last_at + 28 * DAY_MS + 1, 30)
    seal = purge(data, "demo", "Nguyễn Văn An", last_at + 30 * DAY_MS, 30)
    assert seal["head_hash"] == head and seal["purged_by"] == "Nguyễn Văn An"
    assert seal["count"] == seal["last_seq"] - seal["first_seq"] + 1
    assert seal["by_name"]["fault.reported"] == 2
    db = sqlite3.connect(data / "events.db")
    assert db.execute("SELECT COUNT(*) FROM events WHERE conference='demo'").fetchone() == (0,)
    db.close()
    (checked,) = check_seals(data)
    assert checked.ok

    verified = subprocess.run(
        [*CLI, "audit", "verify", "--data", str(data)], capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "demo: PURGED by Nguyễn Văn An" in verified.stdout
    assert f"head hash {head}" in verified.stdout

    path = data / "seals" / "demo.json"
    forged = json.loads(path.read_text(encoding="utf-8"))
    forged["count"] = 3
    path.write_text(json.dumps(forged), encoding="utf-8")
    again = subprocess.run(
        [*CLI, "audit", "verify", "--data", str(data)], capture_output=True, text=True
    )
    assert again.returncode == 1 and "demo: SEAL ALTERED" in again.stdout


def test_a_broken_chain_is_not_purged(demo_config, tmp_path):
    data, last_at, _ = _data(demo_config, tmp_path)
    db = sqlite3.connect(data / "events.db")
    db.execute("UPDATE events SET data='{\"x\":1}' WHERE seq=3")
    db.commit()
    db.close()
    with pytest.raises(PurgeRefused, match="broken at seq 3"):
        purge(data, "demo", "x", last_at + 999 * DAY_MS, 1)
    assert not (data / "seals").exists()


def test_the_cli_refuses_within_the_retention_period(demo_config, tmp_path):
    data, _, _ = _data(demo_config, tmp_path)
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    toml = conf / "conference.toml"
    text = re.sub(r"(?m)^retention_days = \d+$", "retention_days = 36500", toml.read_text("utf-8"))
    assert "retention_days = 36500" in text
    toml.write_text(text, encoding="utf-8")
    run = subprocess.run(
        [*CLI, "purge", "--config", str(conf), "--data", str(data), "--by", "A"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "more day(s)" in run.stderr
