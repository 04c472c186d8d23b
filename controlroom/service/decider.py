"""One decider per conference; every other instance is an edge that relays to it.

With a shared log, instances that all decided would race for the head and decide
again on every conflict: adding an instance made the hub slower. Instead one
instance holds the conference's **lease** (``store/redis_decider.py``) and alone
decides and appends; the others hold sessions, measure links and fan events out
(they tail the log as before), and relay every command to the decider through the
conference's relay stream, answered on their own reply channel.

Failure: the lease lives ``ttl_ms`` and is renewed every ``renew_s``. When the
decider dies, another instance takes the lease once it expires (a new fencing
token, so the old one can never append again), reads the log to its head and
re-reads the relay stream of the last ``REPLAY_MS``: what the old decider did not
answer is decided now. An edge whose answer does not come asks again with the same
request id every ``retry_s``; the new decider answers from what the log stored
(a command by its id, a system command by the request id), so nothing is decided
twice and nothing acknowledged is lost.

Trust: an edge has authenticated the session and sends the actor; the decider
believes it. The relay lives on the deployment's own Redis, never on the network
sites reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgpack
from pydantic import ValidationError

from controlroom.domain import Actor, NewEvent
from controlroom.domain.command_base import Command
from controlroom.domain.system_commands import SYSTEM_COMMANDS as _SYSTEM
from controlroom.service.errors import Unavailable
from controlroom.store.base import Fenced, StoreUnavailable
from controlroom.store.redis_decider import RedisDecider, reply_channel
from controlroom.store.redis_streams import RedisEventLog

log = logging.getLogger("controlroom.decider")

#: The hub's own commands an edge may relay (decoded by name, validated again).
SYSTEM_COMMANDS: dict[str, type[Command]] = {cls.name: cls for cls in _SYSTEM}

#: How far back a new decider re-reads the relay stream (the old one may have died
#: holding those commands); what was answered is answered again from the log. Two
#: retry intervals: an edge still waiting has sent its command again within that.
REPLAY_MS = 3_000

#: The account under which answers to relayed system commands are stored.
RELAY_ACCOUNT = "~relay"

#: How many relayed commands a decider works on at once (each may hold a Redis
#: connection while it looks its answer up; decisions are grouped in commits anyway).
MAX_CONCURRENT = 256


def instance_name() -> str:
    """A name for this process that no other instance has (host, pid, random)."""
    host = socket.gethostname().replace(" ", "-") or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


class Leadership:
    """Who decides one conference, seen from one instance, and the relay both ways.

    ``hub`` is the conference's hub; it calls :meth:`run` for every command and
    reads :attr:`is_decider`. ``relay`` holds the Redis side.
    """

    def __init__(
        self,
        hub: Any,
        relay: RedisDecider,
        store: RedisEventLog,
        instance: str,
        *,
        ttl_ms: int = 3000,
        renew_s: float = 0.75,
        retry_s: float = 1.5,
        give_up_s: float = 15.0,
    ) -> None:
        self.hub = hub
        self.conference: str = hub.id
        self.relay = relay
        self.store = store
        self.instance = instance
        self.ttl_ms = ttl_ms
        self.renew_s = renew_s
        self.retry_s = retry_s
        self.give_up_s = give_up_s
        self.is_decider = False
        self.token: int | None = None
        #: Who holds the lease when it is not us ("" when unknown).
        self.holder = ""
        #: Commands relayed to another instance, and decided here for others.
        self.relayed = 0
        self.served = 0
        self._role = asyncio.Event()
        self._valid_until = 0.0
        self._waiting: dict[str, asyncio.Future[Any]] = {}
        self._rids = itertools.count(1)
        self._channel = reply_channel(f"{instance}/{self.conference}")
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._tasks: list[asyncio.Task[None]] = []
        self._work: set[asyncio.Task[None]] = set()
        self._pubsub: Any = None

    # -- the lease -------------------------------------------------------------------
    async def start(self) -> None:
        """Listen for answers, try the lease once (a lone instance decides at once), run."""
        self._pubsub = self.relay.replies()
        await self._pubsub.subscribe(self._channel)
        await self._renew()
        name = self.conference
        self._tasks = [
            asyncio.create_task(self._lease_loop(), name=f"lease:{name}"),
            asyncio.create_task(self._serve_loop(), name=f"decide:{name}"),
            asyncio.create_task(self._reply_loop(), name=f"replies:{name}"),
        ]

    async def stop(self) -> None:
        """Stop, and give the lease up so that another instance takes it at once."""
        for task in self._tasks + list(self._work):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._work, return_exceptions=True)
        self._tasks = []
        if self.is_decider:
            await self.relay.release(self.conference, self.instance)
            self._set_role(False, "")
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()

    async def _lease_loop(self) -> None:
        while True:
            await asyncio.sleep(self.renew_s)
            await self._renew()

    async def _renew(self) -> None:
        try:
            token, holder = await self.relay.take(self.conference, self.instance, self.ttl_ms)
        except StoreUnavailable as exc:
            # Cut off from Redis: the lease runs out there, so it must run out here too.
            if self.is_decider and time.monotonic() > self._valid_until:
                log.warning("%s: lease not renewed (%s): no longer deciding", self.conference, exc)
                self._set_role(False, "")
            return
        if token is None:
            if self.is_decider:
                log.warning("%s: lease lost to %s", self.conference, holder)
            self._set_role(False, holder)
            return
        # Counted from before the request: the lease may have started expiring then.
        self._valid_until = time.monotonic() + self.ttl_ms / 1000 - self.renew_s
        if not self.is_decider or token != self.token:
            self.token = token
            self.store.fences[self.conference] = token
            await self.hub.committer.catch_up()
            log.warning("%s: this instance decides now (token %d)", self.conference, token)
            self._set_role(True, "")
            self.hub.poke()

    def fenced(self) -> None:
        """The log refused our token: another instance decides now."""
        if self.is_decider:
            log.warning("%s: fenced off by a newer decider", self.conference)
        self._set_role(False, self.holder)

    def _set_role(self, decider: bool, holder: str) -> None:
        # The fence token stays as it was on stepping down: a commit still in flight
        # carries the old token and is refused, never written unfenced.
        changed = decider != self.is_decider
        self.is_decider, self.holder = decider, holder
        if changed:
            self._role.set()
            self._role = asyncio.Event()

    async def role_changed(self) -> None:
        """Wait until this instance becomes, or stops being, the decider."""
        await self._role.wait()

    # -- the edge side ---------------------------------------------------------------
    async def run(
        self,
        kind: str,
        body: dict[str, Any],
        here: Callable[[str | None], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        """Decide here when we are the decider, else relay; the answer either way.

        ``here(request)`` decides on this instance; ``request`` is the relay's id once
        the command was relayed (the old decider may have decided it: look it up).
        """
        request: str | None = None
        deadline = time.monotonic() + self.give_up_s
        while True:
            if self.is_decider:
                try:
                    return await here(request)
                except Fenced:
                    self.fenced()
                    continue
            if request is None:
                request = f"{self.instance}.{next(self._rids)}"
            answer = await self._relay_once(request, kind, body)
            if answer is not None:
                self.relayed += 1
                return answer
            if time.monotonic() > deadline:
                raise Unavailable(f"no instance decides {self.conference} now")

    async def _relay_once(self, request: str, kind: str, body: dict[str, Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request] = future
        role = asyncio.ensure_future(self.role_changed())
        try:
            message = {"r": request, "o": self._channel, "k": kind, **body}
            try:
                await self.relay.relay(self.conference, message)
            except StoreUnavailable as exc:
                log.warning("%s: relay failed: %s", self.conference, exc)
                await asyncio.wait({role}, timeout=self.retry_s)
                return None
            await asyncio.wait({future, role}, timeout=self.retry_s, return_when="FIRST_COMPLETED")
            return future.result() if future.done() else None
        finally:
            role.cancel()
            self._waiting.pop(request, None)

    async def _reply_loop(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception as exc:  # noqa: BLE001 - redis-py re-connects on the next call
                log.warning("%s: reply channel: %s", self.conference, exc)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            answer = _unpack(message.get("data"))
            if answer is None:
                continue
            future = self._waiting.get(str(answer.get("r")))
            if future is not None and not future.done():
                future.set_result(answer.get("a"))

    # -- the decider side ------------------------------------------------------------
    async def _serve_loop(self) -> None:
        after: str | None = None
        while True:
            if not self.is_decider:
                after = None
                await self.role_changed()
                continue
            try:
                if after is None:
                    newest = await self.relay.last_relay_id(self.conference)
                    after = f"{max(0, int(newest.split('-')[0]) - REPLAY_MS)}-0"
                batch = await self.relay.relayed(self.conference, after, 1000)
            except StoreUnavailable as exc:
                log.warning("%s: reading relayed commands: %s", self.conference, exc)
                await asyncio.sleep(0.5)
                continue
            for entry_id, message in batch:
                after = entry_id
                if message is None or not self.is_decider or message.get("o") == self._channel:
                    # Our own, relayed before we took the lease: ``run`` decides it here.
                    continue
                await self._slots.acquire()
                task = asyncio.create_task(self._serve_one(message))
                self._work.add(task)
                task.add_done_callback(self._work.discard)

    async def _serve_one(self, message: dict[str, Any]) -> None:
        try:
            answer = await self._decide(message)
            if answer is None:
                return
            self.served += 1
            await self.relay.reply(str(message.get("o")), {"r": message.get("r"), "a": answer})
        except Fenced:
            self.fenced()  # the edge asks again; the new decider answers
        except StoreUnavailable as exc:
            log.warning("%s: answer not sent: %s", self.conference, exc)
        except Exception:  # noqa: BLE001 - one bad message never stops the decider
            log.exception("%s: relayed command failed", self.conference)
        finally:
            self._slots.release()

    async def _decide(self, message: dict[str, Any]) -> dict[str, Any] | None:
        request = message.get("r")
        if not isinstance(request, str) or not isinstance(message.get("o"), str):
            return None
        kind = message.get("k")
        if kind == "cmd":
            actor = Actor.from_wire(message["actor"])
            answer: dict[str, Any] = await self.hub.decide_command(
                actor, message.get("id"), message.get("name"), message.get("args")
            )
            return answer
        if kind == "system":
            cls = SYSTEM_COMMANDS.get(str(message.get("name")))
            if cls is None:
                return {"failed": f"unknown system command {message.get('name')!r}"}
            try:
                command = cls.model_validate_json(str(message.get("args")))
            except ValidationError as exc:
                return {"failed": str(exc)}
            return await self.hub.decide_system(command, request)
        if kind == "record":
            actor = Actor.from_wire(message["actor"])
            events = [NewEvent(str(n), d) for n, d in message.get("events") or []]
            return await self.hub.decide_record(actor, events, request)
        return None


def _unpack(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, bytes):
        return None
    try:
        value = msgpack.unpackb(data, raw=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError):
        return None
    return value if isinstance(value, dict) else None


def system_body(command: Command) -> dict[str, Any]:
    """A system command as relay fields (its name and its arguments)."""
    return {"name": command.name, "args": command.model_dump_json()}


class Deciders:
    """The leadership of every conference this instance serves, on one Redis pool."""

    def __init__(self, url: str, store: RedisEventLog, **timings: Any) -> None:
        self.relay = RedisDecider(url)
        self.store = store
        self.instance = instance_name()
        self.timings = timings
        self.leaders: dict[str, Leadership] = {}

    async def join(self, hub: Any) -> Leadership:
        """Take part in deciding ``hub``'s conference: its lease, its relay."""
        if not self.leaders:
            await self.relay.open()
        leader = Leadership(hub, self.relay, self.store, self.instance, **self.timings)
        hub.leader = leader
        self.leaders[hub.id] = leader
        await leader.start()
        return leader

    async def stop(self) -> None:
        """Hand every lease over and close the connections."""
        for leader in self.leaders.values():
            await leader.stop()
        if self.leaders:
            await self.relay.close()
        self.leaders = {}
