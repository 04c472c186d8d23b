"""The clients of ``links_scale.py``: logins, site sessions, and consoles that keep links.

A site session only answers pings (``wsclient.Session``); a console folds every
``links`` frame into its view of the sites and, while a ``LinksStats`` is attached,
records each frame's lag (the console's wall clock minus the frame's ``at``), its
size and the state changes it carries.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from common import ROOT
from websockets.asyncio.client import ClientConnection
from wsclient import Session

sys.path.insert(0, str(ROOT))
from bench.servers import PASSWORD  # noqa: E402 - shared with python -m bench

LOGIN_CONCURRENCY = 32


async def login_all(http_url: str, usernames: list[str]) -> tuple[dict[str, str], float]:
    """Log every user in through ``POST /api/login`` concurrently; (tokens, seconds taken)."""
    gate = asyncio.Semaphore(LOGIN_CONCURRENCY)
    tokens: dict[str, str] = {}

    async def one(http: httpx.AsyncClient, username: str) -> None:
        async with gate:
            r = await http.post("/api/login", json={"username": username, "password": PASSWORD})
            r.raise_for_status()
            tokens[username] = str(r.json()["token"])

    t0 = time.perf_counter()
    limits = httpx.Limits(max_connections=LOGIN_CONCURRENCY)
    async with httpx.AsyncClient(base_url=http_url, timeout=600.0, limits=limits) as http:
        await asyncio.gather(*(one(http, name) for name in usernames))
    return tokens, time.perf_counter() - t0


@dataclass
class LinksStats:
    """What the consoles saw of ``links`` frames while recording."""

    lag_ms: list[float] = field(default_factory=list)
    sites_per_frame: list[int] = field(default_factory=list)
    frames: int = 0
    changes: Counter[str] = field(default_factory=Counter)


class Console(Session):
    """An operator console: keeps the link state of every site and times ``links`` frames."""

    clock = time.time  # compared with the hub's ``at``
    client = "bench-links/1"

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(ws)
        self.entries: dict[str, dict[str, Any]] = {}
        self.stats: LinksStats | None = None

    def on_frame(self, kind: str, frame: dict[str, Any], now: float) -> None:
        """Fold a ``links`` frame into the view; time it while recording."""
        if kind != "links":
            return
        sites = frame["sites"]
        for code, entry in sites.items():
            before = self.entries.get(code)
            if self.stats is not None and before is not None and before["state"] != entry["state"]:
                self.stats.changes[f"{before['state']}->{entry['state']}"] += 1
            self.entries[code] = entry
        if self.stats is not None:
            self.stats.lag_ms.append(now * 1000 - frame["at"])
            self.stats.sites_per_frame.append(len(sites))
            self.stats.frames += 1

    def not_online(self, codes: list[str]) -> list[str]:
        """The codes among ``codes`` this console does not see as ``online``."""
        return [c for c in codes if self.entries.get(c, {}).get("state") != "online"]


class Site(Session):
    """A site session: answers pings, nothing else."""

    client = "bench-links/1"


async def open_sites(
    url: str, tokens: list[str], rate: float, in_flight: int
) -> tuple[list[Site], list[float], list[str]]:
    """Open one site session per token, starting ``rate`` a second with at most ``in_flight``
    handshakes pending; (sessions, seconds each took, errors)."""
    gate = asyncio.Semaphore(in_flight)
    sessions: list[Site] = []
    took: list[float] = []
    errors: list[str] = []

    async def one(token: str) -> None:
        try:
            t0 = time.perf_counter()
            sessions.append(await Site.open(url, token))
            took.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - counted as a failed connection
            errors.append(repr(exc))
        finally:
            gate.release()

    start = time.perf_counter()
    tasks = []
    for i, token in enumerate(tokens):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()
        tasks.append(asyncio.create_task(one(token)))
    await asyncio.gather(*tasks)
    return sessions, took, errors
