"""The HTTP routes of PROTOCOL.md and their extensions.

One guard (``conference_route``) resolves the bearer token, the conference in the
path and, where a route is for some roles only, the role; every handler behind it
receives the principal and the conference's hub. Refusals use the same error
frame as the WebSocket (``{type: error, code, message, field}``) with the HTTP
status that fits. Handlers never block the event loop: slow work (scrypt, the
report) runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from controlroom import photo_routes
from controlroom.auth.throttle import LoginThrottle
from controlroom.domain import view, visible
from controlroom.domain.model import CONSOLE_ROLES
from controlroom.http_body import BadBody, client_address, error, read_json_object
from controlroom.service.audience import for_viewer
from controlroom.service.errors import HTTP_STATUS, http_status
from controlroom.service.hub import ConferenceHub
from controlroom.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from controlroom.service.sessions import AmbiguousLogin, Principal
from controlroom.wire.inbound import BadEnvelope, parse_cmd
from signaling.ratelimit import KeyedBuckets

if TYPE_CHECKING:
    from controlroom.app import Runtime

Handler = Callable[[Request, Principal, ConferenceHub], Awaitable[Response]]
STAFF = frozenset({"admin", "operator", "chair"})
MAX_LOGIN_BYTES = 4096
RETRY_AFTER_S = 10

log = logging.getLogger("controlroom.http")


class HttpApi:
    """The routes of one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Password checks get threads of their own: sharing the default pool with
        # in-process clients (the demo's simulated sites log in through blocking
        # HTTP calls in that pool) could leave no thread to answer them.
        self._password_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")
        self.throttle = LoginThrottle(runtime.options.login_throttle)
        options = runtime.options
        #: HTTP commands per account, as a WebSocket session's own bucket limits them.
        self.command_buckets = KeyedBuckets(options.command_rate, options.command_burst)

    def principal_of(self, request: Request) -> Principal | None:
        """The principal of the request's bearer token, if valid (never raises)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or self.runtime.auth is None:
            return None
        token = token.strip()
        if not token.isascii() or len(token) > 2048:
            return None
        return self.runtime.auth.principal(token)

    def conference_route(
        self,
        handler: Handler,
        roles: frozenset[str] | None = None,
        purpose: str = "",
        read: str | None = None,
    ) -> Callable[[Request], Awaitable[Response]]:
        """Guard ``handler``: a valid token, its own conference, and one of ``roles``.

        A route that gives something to read (``read``: what it is) is recorded on the
        conference's read log, with the photo, the site or the format asked for.
        """

        async def endpoint(request: Request) -> Response:
            principal = self.principal_of(request)
            if principal is None:
                return error("unauthenticated", "a valid bearer token is required", 401)
            conference = request.path_params["conference"]
            hub = self.runtime.hubs.get(conference)
            if hub is None:
                return error("not_found", f"no conference {conference!r}", 404)
            if principal.conference != conference:
                return error("forbidden", "this account belongs to another conference", 403)
            if roles is not None and principal.actor.role not in roles:
                return error(
                    "forbidden", f"{purpose} is not for the {principal.actor.role} role", 403
                )
            if read is not None:
                params = request.path_params
                detail = params.get("photo") or params.get("site") or ""
                detail = str(detail or request.query_params.get("format", ""))[:64]
                self.runtime.record_read(conference, principal.actor, read, detail)
            return await handler(request, principal, hub)

        return endpoint

    # -- open routes ---------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        """``POST /api/login {username, password, conference?}`` → a token.

        Failed attempts are throttled per name and per address (429 with
        Retry-After); one account name in several conferences needs ``conference``
        (409 lists them).
        """
        try:
            body = await read_json_object(request, MAX_LOGIN_BYTES)
        except BadBody as refused:
            return refused.response
        username, password = body.get("username"), body.get("password")
        conference = body.get("conference")
        if not isinstance(username, str) or not username or len(username) > 64:
            return error("invalid_args", "username is required", 422, "username")
        if not isinstance(password, str) or len(password) > 1024:
            return error("invalid_args", "password is required", 422, "password")
        if conference is not None and not isinstance(conference, str):
            return error("invalid_args", "conference must be a conference id", 422, "conference")
        auth = self.runtime.auth
        assert auth is not None
        address = client_address(request)
        now = time.monotonic()
        if not self.throttle.may_try(username, address, now):
            self.runtime.refused("login", "rate_limited", username, address)
            response = error("rate_limited", "too many failed logins; wait and try again", 429)
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
        # scrypt is slow on purpose: verify off the event loop (hashlib releases the GIL).
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(
                self._password_pool, auth.login, username, password, conference
            )
        except AmbiguousLogin as several:
            choices = [
                {"id": cid, "title": self.runtime.hubs[cid].durable.conference.title}
                for cid in several.conferences
            ]
            return error("conflict", str(several), 409, "conference", conferences=choices)
        if found is None:
            self.throttle.failed(username, address, time.monotonic())
            self.runtime.refused("login", "unauthenticated", username, address)
            return error("unauthenticated", "wrong username or password", 401)
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

    async def conferences(self, request: Request) -> Response:
        """``GET /api/conferences``: the account's conference."""
        principal = self.principal_of(request)
        if principal is None:
            return error("unauthenticated", "a valid bearer token is required", 401)
        hub = self.runtime.hubs[principal.conference]
        info = hub.durable.conference
        return JSONResponse([{"id": hub.id, "title": info.title, "phase": info.phase}])

    async def healthz(self, request: Request) -> Response:
        """200 when every conference is loaded and the log answers; else 503."""
        runtime = self.runtime
        ok = all(h.ready for h in runtime.hubs.values()) and await runtime.store.healthy()
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    async def metrics(self, request: Request) -> Response:
        """Prometheus text format."""
        return Response(self.runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    # -- conference routes ---------------------------------------------------------------
    async def snapshot(
        self, request: Request, principal: Principal, hub: ConferenceHub
    ) -> Response:
        """What this account may see of the durable state (and the links' live sources)."""
        state = view(hub.durable, principal.actor)
        monitor = self.runtime.links.get(hub.id)
        if monitor is not None:
            monitor.decorate(state)
        return JSONResponse({"seq": hub.durable_seq, "state": state})

    async def events(self, request: Request, principal: Principal, hub: ConferenceHub) -> Response:
        """``?after=N&limit=M``: the visible events after ``N``."""
        try:
            after = int(request.query_params.get("after", "0"))
            limit = min(int(request.query_params.get("limit", "1000")), 10_000)
        except ValueError:
            return error("invalid_args", "after and limit must be integers", 422, "after")
        if after < 0 or limit < 1:
            return error("invalid_args", "after must be >= 0 and limit >= 1", 422, "after")
        records = await hub.events_after(after, limit)
        actor = principal.actor
        out = [
            for_viewer(r.event.to_wire(), actor)
            for r in records
            if visible(r.event.name, r.event.data, actor)
        ]
        last = records[-1].event.seq if len(records) == limit else hub.durable_seq
        return JSONResponse({"events": out, "seq": last})

    async def commands(
        self, request: Request, principal: Principal, hub: ConferenceHub
    ) -> Response:
        """``POST {id, name, args}``: the ack or error, as over the WebSocket."""
        try:
            body = await read_json_object(request)
        except BadBody as refused:
            return refused.response
        if not self.command_buckets.allow(principal.actor.account, time.monotonic()):
            self.runtime.refused(
                "http", "rate_limited", principal.actor.account, client_address(request)
            )
            return error("rate_limited", "too many commands; slow down", 429)
        try:
            envelope = parse_cmd(body)
        except BadEnvelope as exc:
            return error(exc.code, exc.message, HTTP_STATUS[exc.code], exc.field)
        answer = await hub.execute(principal.actor, envelope.id, envelope.name, envelope.args)
        if answer.get("type") == "error":
            code = str(answer.get("code"))
            self.runtime.refused("http", code, principal.actor.account, client_address(request))
        retry = answer.get("retry_after_s")
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return JSONResponse(answer, status_code=http_status(answer), headers=headers)

    async def bridge_samples(
        self, request: Request, principal: Principal, hub: ConferenceHub
    ) -> Response:
        """``POST {samples: [...]}`` from a bridge account: its view of each site (ingest.py)."""
        from controlroom.ingest import MAX_BODY_BYTES, BadSamples, parse_samples

        try:
            body = await read_json_object(request, MAX_BODY_BYTES)
        except BadBody as refused:
            return refused.response
        if not self.command_buckets.allow(principal.actor.account, time.monotonic()):
            self.runtime.refused(
                "http", "rate_limited", principal.actor.account, client_address(request)
            )
            return error("rate_limited", "too many sample reports; slow down", 429)
        try:
            samples = parse_samples(body)
        except BadSamples as exc:
            self.runtime.refused(
                "http", "invalid_args", principal.actor.account, client_address(request)
            )
            return error("invalid_args", str(exc), 422, exc.field)
        unknown = self.runtime.links[hub.id].bridge_report(samples)
        return JSONResponse({"accepted": len(samples) - len(unknown), "unknown_sites": unknown})

    async def link_history(
        self, request: Request, principal: Principal, hub: ConferenceHub
    ) -> Response:
        """``/sites/{code}/link?since=MS``: the site's stored link samples."""
        code = request.path_params["site"]
        actor = principal.actor
        if code not in hub.durable.sites or (actor.role == "site" and actor.site != code):
            return error("not_found", f"no site {code!r}", 404)
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return error("invalid_args", "since must be an integer (ms)", 422, "since")
        source = request.query_params.get("source", "console")
        if source not in ("bridge", "endpoint", "console"):
            return error("invalid_args", "source is bridge, endpoint or console", 422, "source")
        monitor = self.runtime.links[hub.id]
        return JSONResponse(
            {
                "site": code,
                "source": source,
                "link": monitor.sites[code].frame(),
                "heartbeat_s": monitor.heartbeat_s,
                "samples": monitor.history(code, since, source),
            }
        )

    async def report(self, request: Request, principal: Principal, hub: ConferenceHub) -> Response:
        """The report after the conference (HTML, JSON or CSV)."""
        from controlroom.report.serve import report_response

        return await report_response(hub, request.query_params, self.runtime.options.clock_ms())

    async def readiness(
        self, request: Request, principal: Principal, hub: ConferenceHub
    ) -> Response:
        """The readiness board of the day-before test calls."""
        from controlroom.service.readiness import readiness_response

        return readiness_response(hub, self.runtime.links.get(hub.id), request.query_params)

    def routes(self) -> list[Route]:
        """Every HTTP route."""
        from controlroom.photo_routes import UPLOADERS
        from controlroom.report.serve import REPORT_ROLES

        guard = self.conference_route
        base = "/api/conferences/{conference}"
        report_roles = frozenset(REPORT_ROLES)
        consoles = frozenset(CONSOLE_ROLES)
        return [
            Route("/api/login", self.login, methods=["POST"]),
            Route("/api/conferences", self.conferences),
            Route(f"{base}/snapshot", guard(self.snapshot, consoles, "the snapshot", "snapshot")),
            Route(f"{base}/events", guard(self.events, consoles, "the events", "events")),
            Route(
                f"{base}/commands", guard(self.commands, consoles, "a command"), methods=["POST"]
            ),
            Route(
                f"{base}/sites/{{site}}/link",
                guard(self.link_history, consoles, "the link", "link"),
            ),
            Route(
                f"{base}/bridge/samples",
                guard(self.bridge_samples, frozenset({"bridge"}), "posting samples"),
                methods=["POST"],
            ),
            Route(
                f"{base}/photos",
                guard(partial(photo_routes.upload, self), UPLOADERS, "sending a photo"),
                methods=["POST"],
            ),
            Route(
                f"{base}/photos/{{photo}}",
                guard(partial(photo_routes.serve, self), consoles, "a photo", "photo"),
            ),
            Route(
                f"{base}/readiness",
                guard(self.readiness, STAFF, "the readiness board", "readiness"),
            ),
            Route(f"{base}/report", guard(self.report, report_roles, "the report", "report")),
            Route("/healthz", self.healthz),
            Route("/metrics", self.metrics),
        ]
