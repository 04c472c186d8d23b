"""The application side of a WebSocket session: hello, welcome, catch-up, commands.

Catch-up is exact. In one synchronous step the session is subscribed (with its
outbox holding live events back) and the durable seq ``L`` is read; every event
published after that step has a seq above ``L``. The session is then sent either
the visible events in ``(resume_after, L]`` or a snapshot of the durable state at
``L``, then ``synced``, and only then the held live events. So nothing is lost and
nothing is shown twice across a reconnect.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from controlroom.auth.accounts import AccountStore, dummy_hash, verify_password
from controlroom.auth.tokens import TokenSigner, password_fingerprint
from controlroom.domain import Actor, view, visible
from controlroom.domain.model import CONSOLE_ROLES
from controlroom.service.audience import for_viewer
from controlroom.service.hub import ConferenceHub
from controlroom.wire import snapshot_frame, synced_frame, welcome_frame
from controlroom.wire.client import stats_frame
from controlroom.wire.inbound import BadEnvelope, parse_cmd, parse_hello
from signaling.connection import Connection
from signaling.errors import CLOSE_UNAUTHENTICATED, SignalError, error_frame

log = logging.getLogger("controlroom.sessions")

#: Beyond this many events behind, a resuming session gets a snapshot instead.
MAX_REPLAY = 10_000
VERIFIED_TOKENS_MAX = 50_000

_fingerprint = functools.lru_cache(maxsize=4096)(password_fingerprint)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a session or HTTP request speaks for."""

    actor: Actor
    conference: str
    name: str = ""

    def __repr__(self) -> str:
        return f"{self.actor.account}/{self.actor.role}"


class AmbiguousLogin(Exception):
    """The same name and password open accounts in several conferences: choose one."""

    def __init__(self, conferences: list[str]) -> None:
        super().__init__("this account is in several conferences; choose one")
        self.conferences = conferences


class Authenticator:
    """Turns bearer tokens into principals, checking the account on every use."""

    def __init__(
        self,
        signer: TokenSigner,
        accounts: dict[str, AccountStore],
        now_s: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.signer = signer
        self.accounts = accounts
        self.now_s = now_s
        #: Tokens whose signature was verified, with their claims: the periodic
        #: re-check of a thousand sessions then costs no HMAC or JSON decode each.
        #: Expiry, revocation and password changes are still checked on every use.
        self._verified: dict[str, dict[str, Any]] = {}

    def login(
        self, username: str, password: str, conference: str | None = None
    ) -> tuple[str, Principal] | None:
        """Check a password; return a new token and its principal, or None.

        An account name known in several conferences with the same password needs
        ``conference``: without it, :class:`AmbiguousLogin` lists them. A name that
        is no account costs the same password check as one that is, so the time of
        the answer does not tell which names exist.
        """
        stores = self.accounts
        if conference is not None:
            stores = {conference: self.accounts[conference]} if conference in stores else {}
        candidates = [
            (cid, store)
            for cid, store in stores.items()
            if (found := store.get(username)) is not None and not found.revoked
        ]
        if not candidates:
            verify_password(password, dummy_hash())
            return None
        matches = [
            (cid, account)
            for cid, store in candidates
            if (account := store.authenticate(username, password)) is not None
        ]
        if len(matches) > 1:
            raise AmbiguousLogin([cid for cid, _ in matches])
        if not matches:
            return None
        cid, account = matches[0]
        token = self.signer.issue(account.username, account.password_hash, self.now_s(), cid)
        return f"{cid}~{token}", self._principal(cid, account)

    def principal(self, token: Any) -> Principal | None:
        """The principal of a valid token whose account still stands, else None."""
        if not isinstance(token, str) or "~" not in token:
            return None
        conference, _, signed = token.partition("~")
        store = self.accounts.get(conference)
        if store is None:
            return None
        now = self.now_s()
        claims = self._verified.get(token)
        if claims is None:
            claims = self.signer.claims(signed, now)
            if claims is None:
                return None
            if len(self._verified) >= VERIFIED_TOKENS_MAX:
                self._verified.clear()
            self._verified[token] = claims
        elif now - claims["iat"] > self.signer.ttl_s:
            del self._verified[token]
            return None
        if claims.get("c") != conference:
            return None  # signed for another conference (or before tokens named theirs)
        account = store.get(str(claims.get("u")))
        if account is None or account.revoked:
            return None
        if claims.get("pv") != _fingerprint(account.password_hash):
            return None
        return self._principal(conference, account)

    @staticmethod
    def _principal(conference: str, account: Any) -> Principal:
        actor = Actor(account.username, account.role, account.site)
        return Principal(actor, conference, account.name)


class Sessions:
    """The ``SessionHandler`` the signaling edge calls for every WebSocket session."""

    def __init__(
        self, hubs: dict[str, ConferenceHub], auth: Authenticator, heartbeat_s: float
    ) -> None:
        self.hubs = hubs
        self.auth = auth
        self.heartbeat_s = heartbeat_s
        self.on_pong: Callable[[Connection, float], None] | None = None
        #: Handlers of frame types other than hello/cmd/pong, by type (``stats``, ``rtc.*``).
        #: A handler may return an awaitable; it raises SignalError to answer with an error.
        self.frame_handlers: dict[str, Callable[[Connection, dict[str, Any]], Any]] = {}
        self.on_open: Callable[[Connection], None] | None = None
        #: Adds what is live but not durable to a snapshot's state (the link monitor's
        #: sources and presence), given the conference id and the state about to be sent.
        self.on_snapshot: Callable[[str, dict[str, Any]], None] | None = None
        #: A viewer was sent something to read (``what``): the read log records it.
        self.on_read: Callable[[str, Actor, str], None] | None = None
        #: Called with (session, kind, code) for a refused hello, frame or rtc frame.
        self.on_refused: Callable[[Connection, str, str], None] | None = None
        self.on_close: Callable[[Connection], None] | None = None
        self.connections: set[Connection] = set()
        #: What each session said it can do (``hello.caps``, an extension: ``["rtc"]``).
        self.caps: dict[Connection, frozenset[str]] = {}
        self._tokens: dict[Connection, Any] = {}
        self._checked: dict[Connection, float] = {}

    def _refused(self, conn: Connection, kind: str, code: str) -> None:
        if self.on_refused is not None:
            self.on_refused(conn, kind, code)

    async def open(self, conn: Connection, hello: dict[str, Any]) -> None:
        """Authenticate, welcome, catch up, subscribe (a refusal is counted and logged)."""
        try:
            await self._open(conn, hello)
        except SignalError as exc:
            self._refused(conn, "hello", exc.code)
            raise

    async def _open(self, conn: Connection, frame: dict[str, Any]) -> None:
        principal = self.auth.principal(frame.get("token"))
        if principal is None:
            raise SignalError(
                "unauthenticated",
                "unknown, expired or revoked token",
                close_code=CLOSE_UNAUTHENTICATED,
            )
        # A hello that names a conference must name the token's own: null, "" or another
        # is refused (4003). One that leaves the key out means the token's conference.
        conference = frame.get("conference", principal.conference)
        hub = self.hubs.get(principal.conference)
        if principal.actor.role not in CONSOLE_ROLES:
            raise SignalError(
                "forbidden",
                "a bridge account posts link samples; it has no session",
                close_code=4003,
            )
        if hub is None or conference != principal.conference:
            raise SignalError(
                "forbidden",
                f"this account has no access to conference {conference!r}",
                close_code=4003,
            )
        try:
            hello = parse_hello(frame)
        except BadEnvelope as exc:
            raise SignalError(exc.code, exc.message, field=exc.field, close_code=4000) from None
        resume_after = hello.resume_after
        conn.principal = principal
        self._tokens[conn] = frame.get("token")
        if hello.caps:
            self.caps[conn] = hello.caps
        viewer = principal.actor
        # One synchronous step: subscribe with live events held, and read the durable seq.
        conn.outbox.hold()
        hub.publisher.subscribe(conn, viewer)
        upto = hub.durable_seq
        self.connections.add(conn)
        conn.send(
            welcome_frame(
                session=conn.id,
                account=viewer.account,
                role=viewer.role,
                site=viewer.site,
                conference=hub.id,
                seq=upto,
                heartbeat_s=self.heartbeat_s,
                server_time=hub.clock_ms(),
                name=principal.name,
            )
        )
        if (
            resume_after is not None
            and 0 <= resume_after <= upto
            and upto - resume_after <= MAX_REPLAY
        ):
            # Catch-up is paced by the socket: it may be longer than the outbox holds.
            half = conn.outbox.max_frames // 2
            for rec in await hub.events_after(resume_after):
                if rec.event.seq > upto:
                    break
                if visible(rec.event.name, rec.event.data, viewer):
                    if len(conn.outbox) >= half:  # held live frames count toward the limit too
                        await conn.outbox.room(half // 2)
                    if not conn.send(for_viewer(rec.event.to_wire(), viewer)):
                        return
        else:
            state = view(hub.durable, viewer)
            if self.on_snapshot is not None:
                self.on_snapshot(hub.id, state)
            if self.on_read is not None:
                self.on_read(hub.id, viewer, "snapshot")
            conn.send(snapshot_frame(upto, state))
        conn.send(synced_frame(upto))
        conn.outbox.release()
        if self.on_open is not None:
            self.on_open(conn)

    async def command(self, conn: Connection, frame: dict[str, Any]) -> dict[str, Any]:
        """Validate the envelope of a ``cmd`` frame and run it."""
        try:
            envelope = parse_cmd(frame)
        except BadEnvelope as exc:
            raise SignalError(exc.code, exc.message, field=exc.field) from None
        principal: Principal = conn.principal
        if not self._still_valid(conn):
            raise SignalError("unauthenticated", "this account was revoked or its password changed")
        hub = self.hubs[principal.conference]
        return await hub.execute(principal.actor, envelope.id, envelope.name, envelope.args)

    def _still_valid(self, conn: Connection) -> bool:
        """Whether the session's token still names a standing account; closes it if not.

        Checked at most once a second per session (the sweep catches idle ones): a
        revocation takes effect within a second, and a busy session does not re-read
        the account file for every command.
        """
        now = time.monotonic()
        if now - self._checked.get(conn, 0.0) < 1.0:
            return True
        if self.auth.principal(self._tokens.get(conn)) is not None:
            self._checked[conn] = now
            return True
        conn.send(
            error_frame("unauthenticated", "this account was revoked or its password changed")
        )
        conn.request_close(CLOSE_UNAUTHENTICATED, "revoked")
        return False

    async def revalidate(self, chunk: int = 50) -> int:
        """Close every session whose account was revoked (run periodically); how many.

        In chunks, yielding between them: a check costs tens of microseconds, and a
        thousand of them at once held every other session up for 40 ms.
        """
        closed = 0
        everyone = list(self.connections)
        for start in range(0, len(everyone), chunk):
            if start:
                await asyncio.sleep(0)
            for conn in everyone[start : start + chunk]:
                if conn in self.connections and not self._still_valid(conn):
                    closed += 1
        return closed

    async def message(self, conn: Connection, frame: dict[str, Any]) -> None:
        """Frames other than hello, cmd and pong: handed to the link and media parts."""
        kind = "rtc" if str(frame["type"]).startswith("rtc.") else "frame"
        try:
            handler = self.frame_handlers.get(frame["type"])
            if handler is None:
                raise SignalError("bad_frame", f"unknown frame type {frame['type']!r}")
            result = handler(conn, frame)
            if inspect.isawaitable(result):
                await result
        except SignalError as exc:
            self._refused(conn, kind, exc.code)
            raise

    def pong(self, conn: Connection, rtt_ms: float | None, frame: dict[str, Any]) -> None:
        """A pong: its RTT feeds link health; a site's stats may ride on it [ext].

        The ``stats`` frame handler is called synchronously here (it must not be a
        coroutine function): the edge may be inside the server's protocol.
        """
        if rtt_ms is not None and self.on_pong is not None:
            self.on_pong(conn, rtt_ms)
        if "stats" not in frame:
            return
        # The same frame as a stats frame of its own (checked by the same handler).
        stats = stats_frame(frame.get("at"), frame["stats"])
        try:
            handler = self.frame_handlers.get("stats")
            if handler is None:
                raise SignalError("bad_frame", "unknown frame type 'stats'")
            handler(conn, stats)
        except SignalError as exc:
            self._refused(conn, "frame", exc.code)
            raise

    async def close(self, conn: Connection) -> None:
        """Unsubscribe a finished session."""
        principal: Principal | None = conn.principal
        self.connections.discard(conn)
        self._tokens.pop(conn, None)
        self._checked.pop(conn, None)
        self.caps.pop(conn, None)
        if principal is not None:
            hub = self.hubs.get(principal.conference)
            if hub is not None:
                hub.publisher.unsubscribe(conn)
        if self.on_close is not None:
            self.on_close(conn)
