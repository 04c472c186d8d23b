"""A real redis-server for tests: unix socket only, AOF fsync on every write, a pid file.

The server listens on no TCP port (``--port 0``), so tests never race for ports, and
``stop`` signals exactly the process named in its pid file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.support.timing import timeout


class RedisServer:
    """One redis-server process in a directory of its own."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.pidfile = directory / "redis.pid"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> RedisServer:
        """Start (or restart, on the same data) and wait until it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--pidfile",
                str(self.pidfile),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_unfaked(),
        )
        deadline = time.monotonic() + timeout(10)
        while time.monotonic() < deadline:
            if self.socket.exists() and self._ping():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            time.sleep(0.02)
        raise RuntimeError("redis-server did not answer")

    def _ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-s", str(self.socket), "ping"],
            capture_output=True,
            text=True,
            env=_unfaked(),
            timeout=5,
        )
        return result.stdout.strip() == "PONG"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal exactly the process of the pid file and wait for it."""
        pid = int(self.pidfile.read_text()) if self.pidfile.exists() else None
        if pid is None and self.proc is not None:
            pid = self.proc.pid
        if pid is not None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.proc.wait(timeout=10)
            self.proc = None
        self.socket.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop it cleanly."""
        self.kill(signal.SIGTERM)


def _unfaked() -> dict[str, str]:
    """The environment without libfaketime's preload.

    Under faketime (the "any date" check of the suite) redis-server and redis-cli
    hang in libfaketime's clock_gettime; Redis keeps no dates of ours, so they run
    on the real clock.
    """
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}
