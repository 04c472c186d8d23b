"""The composition root: the one place that wires config, store, hubs, edge and routes.

``build_runtime`` loads every conference directory (failing early, with the config
error's file, line and column); ``create_app`` returns the Starlette application
whose lifespan opens the log, rebuilds each hub and closes them in order.
``server_config`` gives uvicorn the WebSocket settings the edge relies on.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from controlroom.auth.accounts import AccountStore
from controlroom.auth.tokens import TokenSigner, load_secret
from controlroom.config import ConferenceConfig, load_conference
from controlroom.domain import view, visible
from controlroom.service.errors import http_status
from controlroom.service.hub import ConferenceHub
from controlroom.service.links import LinkMonitor
from controlroom.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from controlroom.service.metrics import HubMetrics
from controlroom.service.sessions import Authenticator, Principal, Sessions
from controlroom.service.testcalls import TestCallRunner, TestCallSettings, wire_testcalls
from controlroom.store.base import EventLog
from controlroom.store.sqlite import SqliteEventLog
from signaling.codecs import JsonCodec, MsgpackCodec
from signaling.connection import Connection, EdgeConfig, serve, wall_ms
from signaling.errors import error_frame
from signaling.redis_bridge import RedisBridge
from signaling.uvicorn_protocol import PromptCloseWebSocketProtocol

log = logging.getLogger("controlroom")

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
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
    extra: dict[str, Any] = field(default_factory=dict)


class Runtime:
    """Everything a running hub process holds; reachable as ``app.state.runtime``."""

    def __init__(self, options: Options, configs: list[ConferenceConfig]) -> None:
        self.options = options
        self.configs = configs
        self.store = make_store(options)
        self.hubs: dict[str, ConferenceHub] = {
            c.conference.id: ConferenceHub(
                c, self.store, options.clock_ms, snapshot_every=options.snapshot_every
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
        self.testcalls: dict[str, TestCallRunner] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self.metrics = HubMetrics(self.hubs, self._connections, self._link_states)
        self.metrics.attach()

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
        shared = getattr(self.store, "shared_secret", None)
        secret = await shared() if shared is not None else load_secret(self.options.data_dir)
        self.auth = Authenticator(TokenSigner(secret), self.accounts)
        self.sessions = Sessions(self.hubs, self.auth, self.heartbeat_s)
        for hub in self.hubs.values():
            await hub.start()
            monitor = LinkMonitor(hub, self.heartbeat_s, self.options.clock_ms)
            self.links[hub.id] = monitor
            if self.options.redis_url:
                channel = f"cr:{{{hub.id}}}:links"
                monitor.bridge = RedisBridge(self.options.redis_url, channel, monitor.remote)
                await monitor.bridge.start()
            monitor.start()
        self._wire_links(self.sessions)
        self.testcalls = await wire_testcalls(self.hubs, self.sessions, self.options.testcall)
        self._count_evictions(self.sessions)
        # What was loaded at start lives for the whole run: keep it out of the
        # collector's full passes, whose pauses would show up as link jitter.
        gc.collect()
        gc.freeze()
        self._sweeper = asyncio.create_task(self._sweep_revoked())

    async def _sweep_revoked(self, every_s: float = 5.0) -> None:
        """Close sessions of revoked accounts: what they may see ends with the account."""
        while True:
            await asyncio.sleep(every_s)
            if self.sessions is not None:
                try:
                    self.sessions.revalidate()
                except Exception:  # noqa: BLE001 - a sweep never stops the hub
                    log.exception("session sweep failed")

    def _wire_links(self, sessions: Sessions) -> None:
        """Route session hooks to the link monitor of the session's conference."""

        def monitor(conn: Connection) -> LinkMonitor:
            return self.links[conn.principal.conference]

        sessions.on_open = lambda conn: monitor(conn).opened(conn)
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

    async def stop(self) -> None:
        """Stop link monitors and hubs, then close the log."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for monitor in self.links.values():
            await monitor.stop()
            if monitor.bridge is not None:
                await monitor.bridge.stop()
        for runner in self.testcalls.values():
            await runner.stop()
        for hub in self.hubs.values():
            await hub.stop()
        await self.store.close()


def make_store(options: Options) -> EventLog:
    """The event log the options ask for: Redis Streams when a URL is given, else SQLite."""
    if options.store_factory is not None:
        return options.store_factory(options.data_dir)
    if options.redis_url:
        from controlroom.store.redis_streams import RedisEventLog

        return RedisEventLog(options.redis_url)
    return SqliteEventLog(options.data_dir / "events.db")


def build_runtime(options: Options) -> Runtime:
    """Load the conference directories (raises ConfigError) and assemble the parts."""
    configs = [load_conference(d) for d in options.config_dirs]
    ids = [c.conference.id for c in configs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"two conference directories share an id: {ids}")
    return Runtime(options, configs)


def _error(code: str, message: str, status: int, field: str | None = None) -> JSONResponse:
    return JSONResponse(error_frame(code, message, field=field), status_code=status)


def create_app(runtime: Runtime) -> Starlette:
    """The Starlette application for a runtime."""

    def principal_of(request: Request) -> Principal | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or runtime.auth is None:
            return None
        return runtime.auth.principal(token.strip())

    def hub_for(request: Request, principal: Principal) -> ConferenceHub | JSONResponse:
        conference = request.path_params["conference"]
        hub = runtime.hubs.get(conference)
        if hub is None:
            return _error("not_found", f"no conference {conference!r}", 404)
        if principal.conference != conference:
            return _error("forbidden", "this account belongs to another conference", 403)
        return hub

    async def login(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error("bad_frame", "the body must be JSON", 400)
        if not isinstance(body, dict):
            return _error("bad_frame", "the body must be a JSON object", 400)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not username:
            return _error("invalid_args", "username is required", 422, "username")
        if not isinstance(password, str):
            return _error("invalid_args", "password is required", 422, "password")
        assert runtime.auth is not None
        # scrypt is slow on purpose: verify off the event loop (hashlib releases the GIL).
        found = await asyncio.to_thread(runtime.auth.login, username, password)
        if found is None:
            return _error("unauthenticated", "wrong username or password", 401)
        token, principal = found
        actor = principal.actor
        return JSONResponse(
            {
                "token": token,
                "role": actor.role,
                "site": actor.site,
                "account": actor.account,
                "name": principal.name,
                "conference": principal.conference,
            }
        )

    async def conferences(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = runtime.hubs[principal.conference]
        info = hub.durable.conference
        return JSONResponse([{"id": hub.id, "title": info.title, "phase": info.phase}])

    async def snapshot(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = hub_for(request, principal)
        if isinstance(hub, JSONResponse):
            return hub
        return JSONResponse({"seq": hub.durable_seq, "state": view(hub.durable, principal.actor)})

    async def events(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = hub_for(request, principal)
        if isinstance(hub, JSONResponse):
            return hub
        try:
            after = int(request.query_params.get("after", "0"))
            limit = min(int(request.query_params.get("limit", "1000")), 10_000)
        except ValueError:
            return _error("invalid_args", "after and limit must be integers", 422, "after")
        if after < 0 or limit < 1:
            return _error("invalid_args", "after must be >= 0 and limit >= 1", 422, "after")
        records = await hub.events_after(after, limit)
        actor = principal.actor
        out = [r.event.to_wire() for r in records if visible(r.event.name, r.event.data, actor)]
        last = records[-1].event.seq if len(records) == limit else hub.durable_seq
        return JSONResponse({"events": out, "seq": last})

    async def commands(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = hub_for(request, principal)
        if isinstance(hub, JSONResponse):
            return hub
        raw = await request.body()
        if len(raw) > MAX_FRAME_BYTES:
            return _error("too_large", f"body over {MAX_FRAME_BYTES} bytes", 413)
        try:
            body = json.loads(raw)
        except ValueError:
            return _error("bad_frame", "the body must be JSON", 400)
        if not isinstance(body, dict):
            return _error("bad_frame", "the body must be a JSON object", 400)
        command_id = body.get("id")
        if (
            not isinstance(command_id, str | int)
            or isinstance(command_id, bool)
            or not str(command_id)
        ):
            return _error("bad_frame", "a command needs an id", 400, "id")
        if len(str(command_id)) > 128:
            return _error("invalid_args", "command id longer than 128 characters", 422, "id")
        answer = await hub.execute(
            principal.actor, command_id, body.get("name"), body.get("args", {})
        )
        return JSONResponse(answer, status_code=http_status(answer))

    async def link_history(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = hub_for(request, principal)
        if isinstance(hub, JSONResponse):
            return hub
        code = request.path_params["site"]
        actor = principal.actor
        if code not in hub.durable.sites or (actor.role == "site" and actor.site != code):
            return _error("not_found", f"no site {code!r}", 404)
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return _error("invalid_args", "since must be an integer (ms)", 422, "since")
        monitor = runtime.links[hub.id]
        link = monitor.sites[code]
        return JSONResponse(
            {
                "site": code,
                "link": link.frame(),
                "heartbeat_s": monitor.heartbeat_s,
                "samples": monitor.history(code, since),
            }
        )

    async def report(request: Request) -> Response:
        from controlroom.report.serve import REPORT_ROLES, report_response

        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = hub_for(request, principal)
        if isinstance(hub, JSONResponse):
            return hub
        if principal.actor.role not in REPORT_ROLES:
            return _error("forbidden", "the report is for operators, admins and the chair", 403)
        return await report_response(hub, request.query_params, runtime.options.clock_ms())

    async def metrics(request: Request) -> Response:
        return Response(runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    async def readiness(request: Request) -> Response:
        from controlroom.service.readiness import readiness_response

        principal = principal_of(request)
        if principal is None:
            return _error("unauthenticated", "a valid bearer token is required", 401)
        hub = hub_for(request, principal)
        if isinstance(hub, JSONResponse):
            return hub
        if principal.actor.role not in ("admin", "operator", "chair"):
            return _error("forbidden", "the readiness board is for operators and the chair", 403)
        return readiness_response(hub, runtime.links.get(hub.id), request.query_params)

    async def healthz(request: Request) -> Response:
        ok = all(h.ready for h in runtime.hubs.values()) and await runtime.store.healthy()
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

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

    routes = [
        Route("/api/login", login, methods=["POST"]),
        Route("/api/conferences", conferences),
        Route("/api/conferences/{conference}/snapshot", snapshot),
        Route("/api/conferences/{conference}/events", events),
        Route("/api/conferences/{conference}/commands", commands, methods=["POST"]),
        Route("/api/conferences/{conference}/sites/{site}/link", link_history),
        Route("/api/conferences/{conference}/readiness", readiness),
        Route("/healthz", healthz),
        Route("/api/conferences/{conference}/report", report),
        Route("/metrics", metrics),
        WebSocketRoute("/ws", websocket),
    ]
    if WEB_DIR.is_dir():
        routes.append(Mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app


def server_config(app: Starlette, host: str, port: int, **kwargs: Any) -> uvicorn.Config:
    """uvicorn settings the edge depends on: prompt close, frame limit, no compression."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        ws=PromptCloseWebSocketProtocol,
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan="on",
        **kwargs,
    )
