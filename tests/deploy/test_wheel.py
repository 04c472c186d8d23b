"""A plain ``pip install`` of the wheel, in a new venv, serves the demo from any directory.

The wheel is built from this checkout; the venv is outside it and the commands run
from a temporary directory, so nothing of the source tree can be found by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.processes import free_port
from tests.support.timing import timeout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` directory of a new venv with only the built wheel (and its dependencies)."""
    base = tmp_path_factory.mktemp("wheel")
    wheels = base / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("controlroom-*.whl")
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    install = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    return bin_dir


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(bin_dir / "controlroom"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_installed_wheel_knows_its_version_and_checks_its_demo(installed, tmp_path):
    """--version, python -m controlroom, and the packaged demo conference all work."""
    version = _run(installed, tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("controlroom ")
    module = subprocess.run(
        [str(installed / "python"), "-m", "controlroom", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert module.returncode == 0 and "demo" in module.stdout and "check" in module.stdout
    bench = _run(installed, tmp_path, "bench", "--quick")
    assert bench.returncode == 2 and "checkout" in bench.stderr
    assert "Traceback" not in bench.stderr


def test_installed_wheel_serves_the_demo_live_from_another_directory(installed, tmp_path):
    """controlroom demo from /tmp: the consoles load, login works, the conference is live."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    process = subprocess.Popen(
        [
            str(installed / "controlroom"),
            "demo",
            "--port",
            str(port),
            "--data",
            str(tmp_path / "data"),
            "--simulate",
            "0",
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline() + process.stdout.readline()  # waits for the hub
        deadline = time.monotonic() + timeout(30)
        while "controlroom demo:" not in banner and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            banner += process.stdout.readline()
        assert f"127.0.0.1:{port}" in banner
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/", timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
        with urllib.request.urlopen(base + "/app.js", timeout=10) as script:
            assert script.status == 200
        login = urllib.request.Request(
            base + "/api/login",
            data=json.dumps({"username": "operator", "password": "demo"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as answer:
            token = json.loads(answer.read())["token"]
        snapshot = urllib.request.Request(
            base + "/api/conferences/demo/snapshot", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(snapshot, timeout=10) as answer:
            conference = json.loads(answer.read())["state"]["conference"]
        assert conference["phase"] == "live"
        assert (tmp_path / "data" / "conference" / "conference.toml").is_file()
    finally:
        process.terminate()
        process.wait(30)
