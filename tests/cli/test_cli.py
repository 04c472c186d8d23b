"""The controlroom command: clear one-line errors, accounts management, the demo warning."""

import shutil
import socket
import subprocess
import sys

from controlroom.auth.accounts import AccountStore
from tests.conftest import DEMO


def run(*args, stdin=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "controlroom", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_missing_config_is_one_clear_line(tmp_path):
    """A missing conference directory ends with exit 2 and a one-line error, no traceback."""
    r = run("serve", "--config", str(tmp_path / "nope"), "--data", str(tmp_path / "d"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("controlroom: error:")


def test_broken_agenda_names_file_line_and_column(tmp_path):
    """A bad time in agenda.csv is reported with its file, line and column."""
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    lines = (conf / "agenda.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[1] = "8h70"
    lines[3] = ",".join(cells)
    (conf / "agenda.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run("serve", "--config", str(conf), "--data", str(tmp_path / "d"))
    assert r.returncode == 2
    assert "agenda.csv, line 4" in r.stderr and "8h70" in r.stderr and "Traceback" not in r.stderr


def test_port_in_use_is_one_clear_line(tmp_path):
    """Starting on a port already taken says so, with exit 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run("serve", "--config", str(DEMO), "--data", str(tmp_path / "d"), "--port", str(port))
    assert r.returncode == 2 and f"port {port}" in r.stderr and "already in use" in r.stderr


def test_unwritable_data_dir_is_one_clear_line(tmp_path):
    """A data directory that cannot be created or written is refused before starting."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("serve", "--config", str(DEMO), "--data", str(blocker / "data"))
    assert r.returncode == 2 and "cannot be written" in r.stderr


def test_accounts_add_passwd_revoke_list(tmp_path):
    """accounts add/passwd/revoke change accounts.toml; passwords are stored only hashed."""
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    r = run(
        "accounts",
        "add",
        "kythuat-hue",
        "--role",
        "site",
        "--site",
        "HUE",
        "--config",
        str(conf),
        stdin="mật-khẩu-1\n",
    )
    assert r.returncode == 0, r.stderr
    text = (conf / "accounts.toml").read_text(encoding="utf-8")
    assert "kythuat-hue" in text and "mật-khẩu-1" not in text and "scrypt$" in text
    store = AccountStore(conf / "accounts.toml")
    assert store.authenticate("kythuat-hue", "mật-khẩu-1") is not None
    assert (
        run("accounts", "passwd", "kythuat-hue", "--config", str(conf), stdin="mới-2\n").returncode
        == 0
    )
    assert store.authenticate("kythuat-hue", "mật-khẩu-1") is None
    assert store.authenticate("kythuat-hue", "mới-2") is not None
    assert run("accounts", "revoke", "kythuat-hue", "--config", str(conf)).returncode == 0
    assert store.authenticate("kythuat-hue", "mới-2") is None
    listed = run("accounts", "list", "--config", str(conf)).stdout
    assert "kythuat-hue\tsite\tHUE\trevoked" in listed
    bad = run("accounts", "revoke", "nobody", "--config", str(conf))
    assert bad.returncode == 2 and "no account 'nobody'" in bad.stderr
    dup = run("accounts", "add", "admin", "--role", "admin", "--config", str(conf), stdin="xxxxx\n")
    assert dup.returncode == 2 and "Traceback" not in dup.stderr


def test_demo_passwords_on_a_public_address_are_warned_about(tmp_path):
    """serve on a non-loopback address with demo passwords prints a loud warning."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controlroom",
            "serve",
            "--config",
            str(DEMO),
            "--data",
            str(tmp_path / "d"),
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "Change them" in line:
                break
        text = "".join(seen)
        assert "WARNING" in text and "demo" in text and "0.0.0.0" in text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
