"""A hub as a separate process (`controlroom serve`), for crash and multi-instance tests."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.timing import timeout

DEMO = Path(__file__).resolve().parent.parent.parent / "config" / "demo"


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_hub_process(
    data: Path, port: int, *extra: str, config: Path = DEMO
) -> subprocess.Popen[bytes]:
    """Start `controlroom serve` on ``config`` (the demo) and wait until /healthz is 200.

    Its stderr goes to ``<data>.log`` so a failing test can be read afterwards.
    """
    log = open(f"{data}.log", "wb")  # noqa: SIM115 - the child process keeps it open
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controlroom",
            "serve",
            "--config",
            str(config),
            "--data",
            str(data),
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()
    async with httpx.AsyncClient() as http, asyncio.timeout(timeout(20)):
        while True:
            if proc.poll() is not None:
                raise RuntimeError(Path(f"{data}.log").read_text(errors="replace"))
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return proc
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


async def login(base_url: str, username: str, password: str = "demo") -> str:
    """A token for ``username``."""
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{base_url}/api/login", json={"username": username, "password": password}
        )
        return str(r.json()["token"])
