"""The servers a latency benchmark drives: ``controlroom serve`` and the bare relay.

Each is a process of its own, pinned to the given CPUs with its descriptor limit
raised (``servers._spawn``), on an ephemeral port of 127.0.0.1, stopped on exit.
``Server`` says where its sites and consoles connect and whether they log in
first (the relay has no accounts). Used by ``fault_latency.py`` and
``redis_compare.py``; ``links_scale.py`` starts the hub on a generated conference.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import DEMO_CONFIG, ROOT, free_port

sys.path.insert(0, str(ROOT))
from bench.servers import _spawn as spawn_pinned  # noqa: E402 - pins, raises the fd limit
from bench.servers import controlroom_exe, log_tail, stop  # noqa: E402

START_TIMEOUT_S = 60.0


@dataclass
class Server:
    """A server process under test and how to reach it."""

    name: str
    proc: subprocess.Popen[bytes]
    http_url: str
    site_url: str
    console_url: str
    needs_login: bool
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output (for error messages)."""
        return log_tail(self.log_path, lines)


async def wait_http_ok(server: Server, path: str) -> None:
    """Until ``path`` answers 200 (raises if the process exits or takes too long)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient(base_url=server.http_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(path)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.name} did not become ready:\n{server.log_tail()}")


async def wait_tcp(server: Server, port: int) -> None:
    """Until ``port`` accepts a connection (raises if the process exits or takes too long)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise RuntimeError(f"{server.name} did not start listening:\n{server.log_tail()}")


@contextlib.asynccontextmanager
async def hub_server(
    workdir: Path, cpus: set[int] | None, config: Path = DEMO_CONFIG, data: Path | None = None
) -> AsyncIterator[Server]:
    """``controlroom serve`` on ``config`` (the demo) with ``data`` (a fresh directory)."""
    port = free_port()
    data = data or workdir / f"hub-data-{port}"
    log_path = workdir / f"hub-{port}.log"
    cmd = [
        controlroom_exe(),
        "serve",
        "--config",
        str(config),
        "--data",
        str(data),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = spawn_pinned(cmd, log_path, cpus)
    ws = f"ws://127.0.0.1:{port}/ws"
    server = Server("hub", proc, f"http://127.0.0.1:{port}", ws, ws, True, log_path)
    try:
        await wait_http_ok(server, "/healthz")
        yield server
    finally:
        stop(proc)


@contextlib.asynccontextmanager
async def relay_server(workdir: Path, cpus: set[int] | None) -> AsyncIterator[Server]:
    """``bench/relay_server.py``: the no-auth, no-log broadcast baseline."""
    port = free_port()
    log_path = workdir / f"relay-{port}.log"
    cmd = [sys.executable, str(Path(__file__).with_name("relay_server.py")), "--port", str(port)]
    proc = spawn_pinned(cmd, log_path, cpus)
    base = f"ws://127.0.0.1:{port}"
    server = Server(
        "relay",
        proc,
        f"http://127.0.0.1:{port}",
        f"{base}/site",
        f"{base}/console",
        False,
        log_path,
    )
    try:
        await wait_tcp(server, port)
        yield server
    finally:
        stop(proc)
