"""The composition root: the one place that wires config, store, hubs, edge and routes.

``build_runtime`` loads every conference directory (failing early, with the config
error's file, line and column); ``create_app`` returns the Starlette application
whose lifespan opens the log, rebuilds each hub and closes them in order.
``server_config`` gives uvicorn the WebSocket settings the edge relies on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from controlroom.auth.accounts import AccountStore, check_account_sites
from controlroom.auth.throttle import ThrottleSettings
from controlroom.auth.tokens import TokenSigner, load_secret
from controlroom.config import ConferenceConfig, ConfigError, load_conference
from controlroom.domain import Actor
from controlroom.http_api import HttpApi
from controlroom.resources import web_dir
from controlroom.security_headers import SecurityHeaders
from controlroom.service.bridge_poll import BridgePoller
from controlroom.service.checkpoints import Checkpointer
from controlroom.service.decider import Deciders
from controlroom.service.gc_pacer import GcPacer
from controlroom.service.hub import ConferenceHub
from controlroom.service.links import LinkMonitor
from controlroom.service.metrics import HubMetrics, RefusalLog
from controlroom.service.queue_positions import QueuePositions
from controlroom.service.restarts import record_start, record_stop
from controlroom.service.sessions import Authenticator, Sessions
from controlroom.service.testcalls import TestCallRunner, TestCallSettings, wire_testcalls
from controlroom.store.base import EventLog, SharedLog
from controlroom.store.checkpoints import load_private_key
from controlroom.store.photos import FilePhotos, PhotoStore, RedisPhotos
from controlroom.store.reads import ReadLogs
from controlroom.store.redis_streams import RedisEventLog
from controlroom.store.sqlite import SqliteEventLog
from probes.looplag import LoopLag
from signaling.codecs import JsonCodec, MsgpackCodec
from signaling.connection import Connection, EdgeConfig, serve, wall_ms
from signaling.http_guard import HttpLimits, guarded_h11
from signaling.redis_bridge import RedisBridge
from signaling.uvicorn_protocol import PromptCloseWebSocketProtocol

log = logging.getLogger("controlroom")

SUBPROTOCOL_JSON = "controlroom.v1.json"
SUBPROTOCOL_MSGPACK = "controlroom.v1.msgpack"
MAX_FRAME_BYTES = 65536


@dataclass
class Options:
    """How to run the hub (from the CLI or a test)."""

    config_dirs: list[Path]
    data_dir: Path
    heartbeat_s: float | None = None
    clock_ms: Callable[[], int] = wall_ms
    allowed_origins: tuple[str, ...] = ()
    command_rate: float = 20.0
    command_burst: float = 40.0
    outbox_frames: int = 4096
    hello_timeout_s: float = 10.0
    snapshot_every: int = 10_000
    store_factory: Callable[[Path], EventLog] | None = None
    #: ``redis://host:port/db`` or ``unix:///path``: the shared Redis Streams log instead of SQLite.
    redis_url: str | None = None
    testcall: TestCallSettings | None = None
    #: Failed logins allowed per account name and per address (None: the defaults).
    login_throttle: ThrottleSettings | None = None
    #: What a client may hold before a request reaches the application.
    http_limits: HttpLimits = field(default_factory=HttpLimits)
    #: Refused commands stored per account: past this, ``rate_limited`` and not stored.
    refusal_rate: float = 5.0
    refusal_burst: float = 20.0
    #: Ed25519 key (kept apart from the data) that signs checkpoints of the chain head.
    checkpoint_key: Path | None = None
    checkpoint_every_s: float = 60.0
    #: A file outside the data directory that gets a copy of every checkpoint.
    checkpoint_witness: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Runtime:
    """Everything a running hub process holds; reachable as ``app.state.runtime``."""

    def __init__(self, options: Options, configs: list[ConferenceConfig]) -> None:
        self.options = options
        self.configs = configs
        self.store = make_store(options)
        self.photos = make_photo_store(options)
        self.hubs: dict[str, ConferenceHub] = {
            c.conference.id: ConferenceHub(
                c,
                self.store,
                options.clock_ms,
                snapshot_every=options.snapshot_every,
                refusal_rate=options.refusal_rate,
                refusal_burst=options.refusal_burst,
            )
            for c in configs
        }
        self.accounts = {c.conference.id: AccountStore(c.accounts_path) for c in configs}
        heartbeat = options.heartbeat_s or configs[0].settings.heartbeat_s
        self.heartbeat_s = heartbeat
        origins = set(options.allowed_origins)
        for c in configs:
            origins.update(c.allowed_origins)
        json_codec = JsonCodec(SUBPROTOCOL_JSON)
        self.edge = EdgeConfig(
            codecs=[MsgpackCodec(SUBPROTOCOL_MSGPACK, MAX_FRAME_BYTES), json_codec],
            default_codec=json_codec,
            heartbeat_s=heartbeat,
            hello_timeout_s=options.hello_timeout_s,
            max_frame_bytes=MAX_FRAME_BYTES,
            command_rate=options.command_rate,
            command_burst=options.command_burst,
            outbox_frames=options.outbox_frames,
            allowed_origins=frozenset(origins),
            clock_ms=options.clock_ms,
        )
        self.auth: Authenticator | None = None
        self.sessions: Sessions | None = None
        self.links: dict[str, LinkMonitor] = {}
        #: Who viewed what, when (store/reads.py), apart from the event log.
        self.reads = ReadLogs(options.data_dir / "reads")
        #: How late the event loop runs: a pong handled late is not judged as an RTT.
        self.loop_lag = LoopLag()
        self.gc_pacer = GcPacer()
        self.testcalls: dict[str, TestCallRunner] = {}
        self.checkpointers: list[Checkpointer] = []
        self.bridge_pollers: list[BridgePoller] = []
        #: Loaded before anything starts, so a wrong key path stops the hub at once.
        self.checkpoint_key = (
            load_private_key(options.checkpoint_key) if options.checkpoint_key else None
        )
        self._sweeper: asyncio.Task[None] | None = None
        #: With a shared log: one instance decides each conference, the others relay.
        self.deciders: Deciders | None = None
        self.metrics = HubMetrics(self.hubs, self._connections, self._link_states)
        self.metrics.attach()
        self._refusal_log = RefusalLog()
        for hub in self.hubs.values():
            hub.on_refusal = lambda account, code: self.refused("command", code, account, "")

    def refused(self, kind: str, code: str, account: str, address: str) -> None:
        """Count a refusal in /metrics and log it (who, from where, why), rate-limited."""
        self.metrics.refused(kind, code)
        line = self._refusal_log.line(kind, code, account, address, time.monotonic())
        if line is not None:
            log.info("%s", line)

    def _connections(self) -> Any:
        return self.sessions.connections if self.sessions is not None else ()

    def _link_states(self, conference: str) -> list[str]:
        monitor = self.links.get(conference)
        if monitor is not None:
            return [s.health.state for s in monitor.sites.values()]
        return [s.link["state"] for s in self.hubs[conference].durable.sites.values()]

    async def start(self) -> None:
        """Open the log and rebuild every conference."""
        self.options.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.open()
        # Instances sharing a log share the token secret too, so a token works on any.
        secret = (
            await cast(SharedLog, self.store).shared_secret()
            if self.store.shared
            else load_secret(self.options.data_dir)
        )
        self.auth = Authenticator(TokenSigner(secret), self.accounts)
        self.sessions = Sessions(self.hubs, self.auth, self.heartbeat_s)
        self.sessions.on_refused = lambda conn, kind, code: self.refused(
            kind, code, _account_of(conn), conn.peer
        )
        self.loop_lag.start()
        if self.options.redis_url and self.store.shared:
            self.deciders = Deciders(self.options.redis_url, cast(RedisEventLog, self.store))
        for hub in self.hubs.values():
            await hub.start()
            if self.deciders is not None:
                await self.deciders.join(hub)
            if self._own_log():
                await record_start(hub, self.options.clock_ms())
            QueuePositions(hub)
            monitor = LinkMonitor(hub, self.heartbeat_s, self.options.clock_ms)
            monitor.loop_lag = self.loop_lag
            self.links[hub.id] = monitor
            if self.options.redis_url:
                channel = f"cr:{{{hub.id}}}:links"
                monitor.bridge = RedisBridge(self.options.redis_url, channel, monitor.remote)
                await monitor.bridge.start()
            monitor.start()
            if hub.config.bridge is not None:
                poller = BridgePoller(
                    monitor, hub.config.bridge, hub.config.sites, self.heartbeat_s
                )
                poller.start()
                self.bridge_pollers.append(poller)
            if self.checkpoint_key is not None and not self.store.shared:
                signer = Checkpointer(
                    hub,
                    self.checkpoint_key,
                    self.options.checkpoint_every_s,
                    self.options.checkpoint_witness,
                )
                signer.start()
                self.checkpointers.append(signer)
        self._wire_links(self.sessions)
        self.testcalls = await wire_testcalls(self.hubs, self.sessions, self.options.testcall)
        self._count_evictions(self.sessions)
        # What was loaded at start, and each session once it has lived a while, is
        # kept out of the collector's full passes (service/gc_pacer.py).
        self.gc_pacer.start()
        self._sweeper = asyncio.create_task(self._sweep_revoked())

    def _own_log(self) -> bool:
        """Whether this process alone writes the log (with Redis, an instance is not the hub)."""
        return not self.store.shared

    async def _sweep_revoked(self, every_s: float = 5.0) -> None:
        """Close sessions of revoked accounts: what they may see ends with the account."""
        while True:
            await asyncio.sleep(every_s)
            if self.sessions is not None:
                try:
                    await self.sessions.revalidate()
                except Exception:  # noqa: BLE001 - a sweep never stops the hub
                    log.exception("session sweep failed")

    def _wire_links(self, sessions: Sessions) -> None:
        """Route session hooks to the link monitor of the session's conference."""

        def monitor(conn: Connection) -> LinkMonitor:
            return self.links[conn.principal.conference]

        sessions.on_open = lambda conn: monitor(conn).opened(conn)
        sessions.on_snapshot = lambda conference, state: self.links[conference].decorate(state)
        sessions.on_read = lambda conference, viewer, what: self.record_read(
            conference, viewer, what
        )
        sessions.on_close = lambda conn: monitor(conn).closed(conn)
        sessions.on_pong = lambda conn, rtt: monitor(conn).pong(conn, rtt)
        sessions.frame_handlers["stats"] = lambda conn, frame: monitor(conn).message(conn, frame)

    def _count_evictions(self, sessions: Sessions) -> None:
        """Chain the metrics' close hook after the one already set (the link monitor's)."""
        before = sessions.on_close

        def on_close(conn: Connection) -> None:
            self.metrics.closed(conn)
            if before is not None:
                before(conn)

        sessions.on_close = on_close

    def record_read(self, conference: str, actor: Actor, what: str, detail: str = "") -> None:
        """Note on the read log that ``actor`` was given ``what`` of ``conference``."""
        try:
            self.reads.record(
                conference,
                self.options.clock_ms(),
                actor.account,
                actor.role,
                actor.site,
                what,
                detail,
            )
        except OSError:  # a full disk must not stop a console from seeing the conference
            log.exception("the read log of %s cannot be written", conference)

    async def stop(self) -> None:
        """Stop link monitors and hubs, then close the log."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for poller in self.bridge_pollers:
            await poller.stop()
        for monitor in self.links.values():
            await monitor.stop()
            if monitor.bridge is not None:
                await monitor.bridge.stop()
        for runner in self.testcalls.values():
            await runner.stop()
        for hub in self.hubs.values():
            if self._own_log():
                await record_stop(hub)
        for signer in self.checkpointers:
            await signer.stop()  # the last checkpoint: a clean stop ends signed
        for hub in self.hubs.values():
            await hub.stop()
        if self.deciders is not None:
            await self.deciders.stop()  # after the last commit: the next decider starts clean
        self.reads.close()
        await self.loop_lag.stop()
        await self.gc_pacer.stop()
        await self.store.close()
        await self.photos.close()


def _account_of(conn: Connection) -> str:
    principal = conn.principal
    return str(principal.actor.account) if principal is not None else ""


def make_store(options: Options) -> EventLog:
    """The event log the options ask for: Redis Streams when a URL is given, else SQLite."""
    if options.store_factory is not None:
        return options.store_factory(options.data_dir)
    if options.redis_url:
        from controlroom.store.redis_streams import RedisEventLog

        return RedisEventLog(options.redis_url)
    return SqliteEventLog(options.data_dir / "events.db")


def make_photo_store(options: Options) -> PhotoStore:
    """Where message photos are kept: beside the log (Redis) or in the data directory."""
    if options.redis_url and options.store_factory is None:
        return RedisPhotos(options.redis_url)
    return FilePhotos(options.data_dir / "photos")


def build_runtime(options: Options) -> Runtime:
    """Load the conference directories (raises ConfigError) and assemble the parts."""
    configs = [load_conference(d) for d in options.config_dirs]
    ids = [c.conference.id for c in configs]
    if len(set(ids)) != len(ids):
        raise ConfigError(
            configs[0].directory / "conference.toml",
            f"two conference directories share the id {ids[0]!r}",
            column="id",
            label="key",
        )
    runtime = Runtime(options, configs)
    for config in configs:
        check_account_sites(runtime.accounts[config.conference.id], (s.code for s in config.sites))
    return runtime


def create_app(runtime: Runtime) -> Starlette:
    """The Starlette application for a runtime: HTTP routes, /ws, the consoles."""

    async def websocket(ws: WebSocket) -> None:
        assert runtime.sessions is not None
        await serve(ws, runtime.sessions, runtime.edge)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    routes: list[BaseRoute] = [*HttpApi(runtime).routes(), WebSocketRoute("/ws", websocket)]
    routes.append(Mount("/", StaticFiles(directory=web_dir(), html=True), name="web"))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    app.state.runtime = runtime
    return app


def server_config(
    app: Starlette,
    host: str,
    port: int,
    *,
    lifespan: Literal["auto", "on", "off"] = "on",
    **kwargs: Any,
) -> uvicorn.Config:
    """uvicorn settings the edge depends on: prompt close, frame limit, no compression.

    ``lifespan="off"`` when the caller starts and stops the runtime itself (the CLI).
    """
    runtime = getattr(app.state, "runtime", None)
    limits = runtime.options.http_limits if runtime is not None else HttpLimits()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # h11 bounds a request head (16 KiB); the guard adds a header deadline and a
        # cap of connections per address (signaling/http_guard.py).
        http=guarded_h11(limits),
        h11_max_incomplete_event_size=16 * 1024,
        timeout_keep_alive=5,
        ws=PromptCloseWebSocketProtocol,
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan=lifespan,
        **kwargs,
    )
