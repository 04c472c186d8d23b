"""The command line as a newcomer meets it: help, version, check, accounts, spreadsheets,
unreachable services and closed pipes, each ending in one sentence and a documented status."""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.auth.accounts import AccountStore
from controlroom.cli import build_parser
from controlroom.config import ConfigError, load_conference
from tests.cli.test_cli import run  # one helper for the command, shared with test_cli
from tests.conftest import DEMO
from tests.support.processes import free_port


def one_line_error(r: subprocess.CompletedProcess, status: int) -> str:
    assert r.returncode == status, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("controlroom: error:"), r.stderr
    return lines[-1]


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """A private copy of the demo conference (the shipped one is never modified)."""
    target = tmp_path / "conf"
    shutil.copytree(DEMO, target)
    return target


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_help_lists_every_command_without_markup() -> None:
    """controlroom --help names every command, in plain text; every option has help."""
    r = run("--help")
    assert r.returncode == 0
    for command in ("serve", "demo", "check", "accounts", "agent", "audit", "migrate", "report"):
        assert f"    {command} " in r.stdout, command
    assert "`" not in r.stdout
    parsers = list(_parsers(build_parser()))
    assert len(parsers) > 15
    for parser in parsers:
        assert "`" not in (parser.description or ""), parser.prog
        for action in parser._actions:
            if action.option_strings and action.dest not in ("help", "version"):
                assert action.help, f"{parser.prog} {action.option_strings[0]} has no help"


def test_version_and_python_dash_m() -> None:
    """--version prints the installed version; python -m controlroom is the same command."""
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("controlroom ")


def test_check_summarises_a_conference(conf: Path) -> None:
    """check prints the sites, rows, accounts and both times in words."""
    r = run("check", "--config", str(conf))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "35 sites (1 central, 34 bridge sites)" in out
    assert "16 run-script rows" in out and "40 accounts" in out
    assert "start: Tuesday 1 December 2026, 08:00 (Asia/Ho_Chi_Minh)" in out
    assert "connectivity test: Monday 30 November 2026, 16:30" in out


def test_check_refuses_an_account_for_an_unknown_site(conf: Path, tmp_path: Path) -> None:
    """An account whose site is not in sites.csv fails check and serve alike."""
    text = (conf / "accounts.toml").read_text(encoding="utf-8")
    (conf / "accounts.toml").write_text(
        text.replace('site = "HUE"', 'site = "HNM"', 1), encoding="utf-8"
    )
    line = one_line_error(run("check", "--config", str(conf)), 2)
    assert "accounts.toml" in line and "'HNM'" in line and "site-hue" in line
    served = run("serve", "--config", str(conf), "--data", str(tmp_path / "d"), "--port", "0")
    assert one_line_error(served, 2) == line


def test_check_names_the_broken_line(conf: Path) -> None:
    """A broken row is the same one-line error as serve gives."""
    with (conf / "sites.csv").open("a", encoding="utf-8") as f:
        f.write("HUE,Huế lần hai,site,Miền Trung,,\n")
    line = one_line_error(run("check", "--config", str(conf)), 2)
    assert "sites.csv, line 37, column" in line and "duplicate site code 'HUE'" in line


def test_accounts_add_keeps_comments_and_refuses_unknown_sites(conf: Path) -> None:
    """The organiser's comments survive a rewrite; a site code not in sites.csv is refused."""
    path = conf / "accounts.toml"
    path.write_text(
        "# Tài khoản của hội nghị - do Văn phòng quản lý\n\n"
        + path.read_text(encoding="utf-8").replace(
            "[accounts.operator]", "# Kỹ thuật viên ca sáng\n[accounts.operator]"
        ),
        encoding="utf-8",
    )
    refused = run("accounts", "add", "site-x", "--role", "site", "--site", "HNM",
                  "--config", str(conf), stdin="secret1\n")  # fmt: skip
    assert "'HNM' is not in" in one_line_error(refused, 2)
    added = run("accounts", "add", "site-hue2", "--role", "site", "--site", "hue",
                "--config", str(conf), stdin="secret1\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    passwd = run("accounts", "passwd", "operator", "--config", str(conf), stdin="secret2\n")
    assert passwd.returncode == 0, passwd.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Tài khoản của hội nghị - do Văn phòng quản lý\n")
    assert "# Kỹ thuật viên ca sáng\n[accounts.operator]" in text
    store = AccountStore(path)
    assert store.authenticate("operator", "secret2") is not None
    hue2 = store.get("site-hue2")
    assert hue2 is not None and hue2.site == "HUE"


def test_accounts_import_creates_site_accounts_and_one_password_sheet(conf: Path) -> None:
    """import: an account per site that has none, the passwords only in a new 0600 sheet."""
    path = conf / "accounts.toml"
    text = path.read_text(encoding="utf-8")
    for code in ("hue", "cto"):  # two sites lose their accounts
        start = text.index(f"[accounts.site-{code}]")
        end = text.index("[accounts.", start + 1)
        text = text[:start] + text[end:]
    path.write_text(text, encoding="utf-8")
    sheet = conf.parent / "matkhau.csv"
    r = run("accounts", "import", "--config", str(conf), "--sheet", str(sheet))
    assert r.returncode == 0, r.stderr
    assert "created 2 site accounts" in r.stdout
    assert sheet.stat().st_mode & 0o077 == 0
    rows = sheet.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "Mã,Tên điểm cầu,Tài khoản,Mật khẩu,Kỹ thuật viên,Điện thoại"
    store = AccountStore(path)
    for row in rows[1:]:
        code, _name, username, password = row.split(",")[:4]
        account = store.authenticate(username, password)
        assert account is not None and account.site == code
    again = run("accounts", "import", "--config", str(conf), "--sheet", str(sheet))
    assert "written once" in one_line_error(again, 2)
    other = conf.parent / "other.csv"
    nothing = run("accounts", "import", "--config", str(conf), "--sheet", str(other))
    assert nothing.returncode == 0 and "nothing to do" in nothing.stdout
    assert not other.exists()


def _xlsx(path: Path, rows: list[list[object]], skip_rows: int = 0) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(skip_rows):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    book.save(path)


def _csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_xlsx_sites_and_agenda_load_like_their_csv(conf: Path) -> None:
    """sites.xlsx and agenda.xlsx (times as Excel times) give the same conference."""
    expected = load_conference(conf)
    sites = _csv_rows(conf / "sites.csv")
    agenda = _csv_rows(conf / "agenda.csv")
    as_times: list[list[object]] = [agenda[0]]
    for row in agenda[1:]:
        cells: list[object] = list(row)
        if "-" not in row[1]:  # a single time is typed as a time in the spreadsheet
            hours, minutes = row[1].replace("h", ":").split(":")
            cells[1] = datetime.time(int(hours), int(minutes))
        cells[0] = int(row[0])
        as_times.append(cells)
    _xlsx(conf / "sites.xlsx", [list(r) for r in sites], skip_rows=2)
    _xlsx(conf / "agenda.xlsx", as_times)
    (conf / "sites.csv").unlink()
    (conf / "agenda.csv").unlink()
    loaded = load_conference(conf)
    assert loaded.sites == expected.sites
    assert loaded.agenda == expected.agenda


def test_xlsx_errors_name_the_spreadsheet_row_and_column(conf: Path) -> None:
    """A bad cell in a spreadsheet is named by its row number as Excel shows it."""
    sites = _csv_rows(conf / "sites.csv")
    sites[5][0] = "HUẾ!"
    _xlsx(conf / "sites.xlsx", [list(r) for r in sites], skip_rows=1)
    (conf / "sites.csv").unlink()
    with pytest.raises(ConfigError) as err:
        load_conference(conf)
    assert str(err.value).startswith("sites.xlsx, line 7, column 'Mã':")
    _xlsx(conf / "sites.csv.xlsx", [["x"]])
    (conf / "sites.csv").write_text("Mã,Tên điểm cầu,Loại\n", encoding="utf-8")
    with pytest.raises(ConfigError) as both:
        load_conference(conf)
    assert "both sites.csv and sites.xlsx" in str(both.value)


def test_unreachable_redis_is_one_line_and_status_3(tmp_path: Path) -> None:
    """serve --redis and migrate to a Redis nobody listens on: exit 3, one sentence."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    served = run("serve", "--config", str(DEMO), "--data", str(tmp_path / "d"),
                 "--port", "0", "--redis", url)  # fmt: skip
    assert "reach Redis at" in one_line_error(served, 3)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "events.db").write_bytes(b"")
    migrated = run("migrate", "--from", f"sqlite:{tmp_path / 'src'}", "--to", url)
    assert "reach Redis at" in one_line_error(migrated, 3)


def test_a_closed_pipe_is_not_a_traceback(conf: Path) -> None:
    """controlroom accounts list | head -1: no BrokenPipeError on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "controlroom", "accounts", "list", "--config", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read().decode()
    process.wait(30)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert process.returncode == 1


def test_sigterm_stops_cleanly_and_the_log_ends_signed(conf: Path, tmp_path: Path) -> None:
    """serve under SIGTERM: exit 0, the log ends with hub.stopped and a last checkpoint."""
    import json
    import signal
    import sqlite3
    import time
    import urllib.request

    from controlroom.store.checkpoints import generate_key

    keys = tmp_path / "keys"
    generate_key(keys)
    port = free_port()
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "controlroom", "serve", "--config", str(conf), "--data", str(data),
         "--port", str(port), "--checkpoint-key", str(keys / "checkpoint.key"),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.1)
        login = urllib.request.Request(
            base + "/api/login",
            data=json.dumps({"username": "operator", "password": "demo"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as r:
            token = json.loads(r.read())["token"]
        command = urllib.request.Request(
            base + "/api/conferences/demo/commands",
            data=json.dumps(
                {"id": "live-1", "name": "conference.phase", "args": {"phase": "live"}}
            ).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(command, timeout=10) as r:
            assert json.loads(r.read())["type"] == "ack"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
    db = sqlite3.connect(data / "events.db")
    names = [row[0] for row in db.execute("SELECT name FROM events ORDER BY seq")]
    db.close()
    assert names[-2:] == ["hub.stopped", "log.checkpoint"], names
