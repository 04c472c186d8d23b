"""A resilient client session to the hub, for the site agent and the simulator.

It logs in over HTTP, keeps one WebSocket session (MessagePack by default),
answers pings at once (or after ``pong_delay()`` seconds, for a simulated link),
reconnects with exponential backoff and full jitter, and resumes with
``resume_after`` so that no event is missed or seen twice. Commands get a UUID;
one still unanswered when the connection drops is sent again with the same id
after the next ``synced`` (the hub answers a repeat with the stored answer).

It must never: give up on its own while the server is merely unreachable, or hold
an unbounded backlog (commands wait in a bounded map; a full one is refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from controlroom.wire import client as to_hub
from signaling.errors import error_frame

log = logging.getLogger("controlroom.agent")

MAX_PENDING = 256


class AgentError(Exception):
    """A failure the user must act on (wrong password, revoked account, bad URL)."""


class HubUnreachable(AgentError):
    """The hub did not answer (not started yet, network down, a proxy without its hub)."""


def describe_network_error(exc: BaseException) -> str:
    """``Connection refused`` rather than ``<urlopen error [Errno 111] Connection refused>``."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, BaseException):
        return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return str(reason)


def http_json(
    url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, Any]:
    """POST (with a body) or GET JSON; returns the status and the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, {"message": exc.reason}


def ws_url(server: str) -> str:
    """``http://host:port`` → ``ws://host:port/ws``."""
    base = server.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/ws"
    return base if base.endswith("/ws") else base + "/ws"


async def login(server: str, username: str, password: str) -> dict[str, Any]:
    """Log in; the answer holds token, role, site and conference. Raises AgentError."""
    try:
        status, answer = await asyncio.to_thread(
            http_json,
            server.rstrip("/") + "/api/login",
            {"username": username, "password": password},
        )
    except (OSError, ValueError) as exc:
        raise HubUnreachable(f"could not reach {server}: {describe_network_error(exc)}") from None
    if status >= 500 or not isinstance(answer, dict):
        raise HubUnreachable(f"could not reach {server}: it answered HTTP {status}")
    if status != 200:
        raise AgentError(f"login refused for {username}: {answer.get('message', status)}")
    return dict(answer)


class HubSession:
    """One account's live session, kept up across network failures."""

    def __init__(
        self,
        server: str,
        username: str,
        password: str,
        *,
        codec: str = "msgpack",
        client: str = "controlroom-agent/0.1",
        on_frame: Callable[[dict[str, Any]], None] | None = None,
        pong_delay: Callable[[], float] | None = None,
        caps: list[str] | None = None,
        stats_on_pong: bool = True,
    ) -> None:
        self.server = server
        self.username = username
        self.password = password
        self.codec = codec
        self.client = client
        self.on_frame = on_frame
        self.pong_delay = pong_delay
        #: What this client can do, sent in hello (an extension: ``["rtc"]`` answers test calls).
        self.caps = caps
        #: Called with a sentence each time the hub cannot be reached (the session retries).
        self.on_unreachable: Callable[[str], None] | None = None
        #: More frame callbacks, called after ``on_frame`` (the test-call answerer is one).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.account: dict[str, Any] = {}
        self.seq: int | None = None
        self.connected = asyncio.Event()
        self.ws: ClientConnection | None = None
        self.reconnects = 0
        self._pending: dict[str, tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]] = {}
        self._stop = asyncio.Event()
        self._pongs: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
        #: The site's report rides on its next pong ([ext] of the protocol): one frame
        #: a heartbeat instead of two, for the hub as for the site's link.
        self.stats_on_pong = stats_on_pong
        self._stats: tuple[int, dict[str, Any]] | None = None

    # -- commands --------------------------------------------------------------------------
    async def command(
        self, name: str, args: dict[str, Any], timeout: float = 30.0
    ) -> dict[str, Any]:
        """Send a command (now, or after reconnecting) and wait for its ack or error."""
        if len(self._pending) >= MAX_PENDING:
            return error_frame("rate_limited", "too many commands waiting")
        command_id = str(uuid.uuid4())
        frame = to_hub.cmd_frame(command_id, name, args)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = (frame, future)
        if self.connected.is_set():
            await self._send(frame)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(command_id, None)

    async def send_stats(self, stats: dict[str, Any]) -> None:
        """Report what the site measures of its own media (ignored while disconnected):
        on the next pong, or in a ``stats`` frame of its own."""
        if not self.connected.is_set():
            return
        at = int(time.time() * 1000)
        if self.stats_on_pong:
            self._stats = (at, stats)  # a newer report replaces one not yet sent
        else:
            await self._send(to_hub.stats_frame(at, stats))

    def _pong(self, n: Any) -> dict[str, Any]:
        """The pong of ping ``n``, with the report waiting, if any."""
        waiting, self._stats = self._stats, None
        if waiting is None:
            return to_hub.pong_frame(n)
        return to_hub.pong_frame(n, at=waiting[0], stats=waiting[1])

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame now (dropped while disconnected)."""
        await self._send(frame)

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self.ws
        if ws is None:
            return
        payload = (
            msgpack.packb(frame, use_bin_type=True)
            if self.codec == "msgpack"
            else json.dumps(frame)
        )
        with contextlib.suppress(ConnectionClosed):
            await ws.send(payload)

    # -- the connection loop ------------------------------------------------------------------
    def stop(self) -> None:
        """End ``run`` (and close the connection)."""
        self._stop.set()
        if self.ws is not None:
            asyncio.ensure_future(self.ws.close())

    async def drop(self) -> None:
        """Close the connection as a network failure would (the session reconnects)."""
        if self.ws is not None:
            await self.ws.close(code=1001)

    async def run(self, offline: Callable[[], float] | None = None) -> None:
        """Stay connected until ``stop``; ``offline()`` > 0 keeps away that many seconds."""
        attempt = 0
        while not self._stop.is_set():
            if offline is not None:
                pause = offline()
                if pause > 0:
                    await self._sleep(pause)
                    continue
            try:
                if not self.account:
                    self.account = await login(self.server, self.username, self.password)
                await self._session(offline)
                attempt = 0
            except HubUnreachable as exc:
                # A site agent is often started before the hub (a boot script): keep trying.
                if self.on_unreachable is not None:
                    self.on_unreachable(str(exc))
            except AgentError:
                raise
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                log.debug("%s: connection failed: %s", self.username, exc)
            except _Unauthenticated:
                self.account = {}  # token expired or password changed: log in again
                if attempt >= 2:
                    raise AgentError(f"{self.username}: the hub refuses this account") from None
            if self._stop.is_set():
                break
            attempt += 1
            self.reconnects += 1
            delay = random.uniform(0, min(15.0, 0.5 * 2**attempt))  # full jitter
            await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _session(self, offline: Callable[[], float] | None) -> None:
        subprotocol = Subprotocol(f"controlroom.v1.{self.codec}")
        async with connect(
            ws_url(self.server), subprotocols=[subprotocol], compression=None, open_timeout=10
        ) as ws:
            self.ws = ws
            await self._send(
                to_hub.hello_frame(
                    self.account["token"],
                    self.account.get("conference"),
                    self.seq,
                    self.client,
                    list(self.caps) if self.caps else None,
                )
            )
            watchdog = asyncio.create_task(self._watch_offline(offline)) if offline else None
            self._pongs = asyncio.Queue()
            ponger = asyncio.create_task(self._send_pongs())
            try:
                async for message in ws:
                    frame = (
                        msgpack.unpackb(message, raw=False)
                        if isinstance(message, bytes)
                        else json.loads(message)
                    )
                    await self._handle(frame)
            finally:
                ponger.cancel()
                if watchdog is not None:
                    watchdog.cancel()
                self.ws = None
                self.connected.clear()
                self._stats = None  # a report is of the link it was measured on
            if ws.close_code == 4001:
                raise _Unauthenticated()

    async def _watch_offline(self, offline: Callable[[], float]) -> None:
        while True:
            await asyncio.sleep(1.0)
            if offline() > 0 and self.ws is not None:
                await self.ws.close(code=1001)
                return

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ping":
            delay = self.pong_delay() if self.pong_delay else 0.0
            if delay > 0 or not self._pongs.empty():
                # A link is FIFO: delayed pongs leave in order, never overtaking.
                self._pongs.put_nowait((time.monotonic() + delay, frame.get("n")))
            else:
                await self._send(self._pong(frame.get("n")))
            return
        if kind in ("event", "synced", "snapshot") and isinstance(frame.get("seq"), int):
            if kind != "event" or self.seq is None or frame["seq"] > self.seq:
                self.seq = frame["seq"]
            elif kind == "event":
                return  # already seen before a reconnect
        if kind in ("ack", "error") and frame.get("id") in self._pending:
            _, future = self._pending[frame["id"]]
            if not future.done():
                future.set_result(frame)
        if kind == "synced":
            self.connected.set()
            for command_frame, future in list(self._pending.values()):
                if not future.done():
                    await self._send(command_frame)
        if self.on_frame is not None:
            self.on_frame(frame)
        for listener in self.listeners:
            listener(frame)

    async def _send_pongs(self) -> None:
        while True:
            due, n = await self._pongs.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._send(self._pong(n))
            self._pongs.task_done()


class _Unauthenticated(Exception):
    """The hub closed with 4001."""
