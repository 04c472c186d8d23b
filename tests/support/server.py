"""A real hub: uvicorn on 127.0.0.1 with an ephemeral port, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from controlroom.app import Options, Runtime, build_runtime, create_app, server_config
from tests.support.timing import timeout


@dataclass
class RunningHub:
    """A started hub and how to reach it."""

    url: str
    ws_url: str
    runtime: Runtime
    server: uvicorn.Server

    @property
    def hub(self) -> Any:
        return next(iter(self.runtime.hubs.values()))

    async def login(self, username: str, password: str = "demo") -> str:
        async with httpx.AsyncClient(base_url=self.url) as http:
            r = await http.post("/api/login", json={"username": username, "password": password})
            r.raise_for_status()
            return str(r.json()["token"])


@contextlib.asynccontextmanager
async def running_hub(
    config_dir: Path,
    data_dir: Path,
    *,
    also_on: tuple[str, ...] = (),
    port: int = 0,
    extra_configs: tuple[Path, ...] | list[Path] = (),
    **options: Any,
) -> AsyncIterator[RunningHub]:
    """Start a hub on an ephemeral port (or ``port``); stop it (and wait for it) afterwards.

    ``also_on``: other local addresses to listen on as well, with the same port (the
    URLs stay on 127.0.0.1). ``extra_configs``: more conferences served beside the first.
    """
    dirs = [config_dir, *extra_configs]
    runtime = build_runtime(Options(config_dirs=dirs, data_dir=data_dir, **options))
    app = create_app(runtime)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    socks = [sock]
    for host in also_on:
        socks.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        socks[-1].setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        socks[-1].bind((host, port))
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=socks))
    try:
        async with asyncio.timeout(timeout(10)):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield RunningHub(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", runtime, server)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout(10))
        for s in socks:
            s.close()
