"""The load generator's sessions: simulated sites and consoles over real WebSockets.

One process (``bench/__main__.py`` starts it with ``multiprocessing``, pinned to
the other CPU than the server) holds every session of a scenario. Two wire
dialects, one frame vocabulary:

- ``cr``: the hub's protocol, MessagePack binary frames (``controlroom.v1.msgpack``);
  ``bench/relay_server.py`` speaks the same.
- ``sio``: the same frames as the argument of a Socket.IO event ``frame``
  (Engine.IO v4 over a raw WebSocket: ``0{..}`` open, ``40`` connect, ``42[..]``
  events, ``2``/``3`` pings), for ``bench/socketio_relay.py``.

Every session answers pings at once. A site sends ``fault.report`` or
``speak.request`` commands whose description (or topic) is ``b<number>``; the
generator keeps each number's send time (``time.perf_counter`` of this process),
so a console's receive time minus it is the end-to-end latency of that event.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import time
from typing import Any

import msgpack
from websockets.asyncio.client import connect

from bench import rawws

SUBPROTOCOL = "controlroom.v1.msgpack"
CONFERENCE = "demo"
CONNECT_TIMEOUT_S = 30.0
EVENT_NAMES = ("fault.reported", "speak.requested")
#: ``websockets`` for its client (the generator's before ``bench/rawws.py``), to
#: measure what the lean client changes in one run.
CLIENT = os.environ.get("BENCH_CLIENT", "raw")
STATS = {
    "rtt_ms": 12.0,
    "jitter_ms": 2.0,
    "loss_pct": 0.0,
    "bitrate_kbps": 1500,
    "audio": "ok",
    "video": "ok",
}


def pack(frame: dict[str, Any]) -> bytes:
    """A MessagePack frame."""
    return msgpack.packb(frame, use_bin_type=True)  # type: ignore[no-any-return]


class Run:
    """What every session of one generator run shares: send times by command number."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.numbers = itertools.count(1)
        self.pending: dict[str, int] = {}  # command id -> number, until answered
        self.acked: dict[int, float] = {}  # number -> when its ack was read
        self.ack_seq: dict[int, int] = {}
        self.results: dict[int, dict[str, Any]] = {}
        self.errors: dict[int, str] = {}


#: How every msgpack ``links`` frame of the hub begins (wire.links_frame: type first).
LINKS_PREFIX = b"\x83\xa4type\xa5links"


class Session:
    """One WebSocket session; a reader task answers pings and hands frames to ``on_frame``."""

    def __init__(self, ws: Any, run: Run, dialect: str) -> None:
        self.ws = ws
        self.run = run
        self.dialect = dialect
        #: A site's stats ride on its pong ([ext] of the protocol): one frame a
        #: heartbeat instead of two. BENCH_STATS_FRAMES=1 sends them apart, as before.
        self.stats_in_pong = False
        self.reader: asyncio.Task[None] | None = None
        self.closed_reason: str | None = None
        self.close_code: int | None = None
        self.last_seq = 0
        self.seen: list[int] | None = None  # event seqs, when a scenario checks for gaps
        self.snapshots = 0
        self.arrived: dict[int, float] = {}
        self.stalled: asyncio.Event | None = None  # set: reading; cleared: stopped reading
        #: Bytes of ``links`` frames received (counted, not decoded: see ``_read``).
        self.links_bytes = 0

    @classmethod
    async def open(
        cls,
        url: str,
        token: str | None,
        run: Run,
        dialect: str = "cr",
        resume_after: int | None = None,
        seen: list[int] | None = None,
        rcvbuf: int | None = None,
    ) -> Session:
        """Connect, say hello (resuming after ``resume_after``), wait for ``synced``."""
        sock = None
        if rcvbuf:  # a small receive buffer before connect: a stalled reader stalls soon
            host_port = url.split("//", 1)[1].split("/", 1)[0]
            host, port = host_port.rsplit(":", 1)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        ws: Any
        if CLIENT == "websockets":
            ws = await connect(
                url,
                subprotocols=[SUBPROTOCOL] if dialect == "cr" else None,  # type: ignore[list-item]
                compression=None,
                max_size=2**24,
                max_queue=4 if rcvbuf else 16,
                ping_interval=None,
                open_timeout=CONNECT_TIMEOUT_S,
                sock=sock,
            )
        else:
            ws = await rawws.connect(
                url,
                SUBPROTOCOL if dialect == "cr" else None,
                sock=sock,
                max_queue=4 if rcvbuf else 16,
                open_timeout=CONNECT_TIMEOUT_S,
            )
        session = cls(ws, run, dialect)
        session.seen = seen
        if resume_after is not None:
            session.last_seq = resume_after
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            if dialect == "sio":
                opened = await ws.recv()
                if not str(opened).startswith("0"):
                    raise RuntimeError(f"no Engine.IO open: {opened!r}")
                await ws.send("40")
                while not str(await ws.recv()).startswith("40"):
                    pass
            await session.send(
                {
                    "type": "hello",
                    "token": token,
                    "conference": CONFERENCE,
                    "resume_after": resume_after,
                    "client": "bench/2",
                }
            )
            while True:
                frame = session._decode(await ws.recv())
                if frame is None:
                    continue
                if frame["type"] == "synced":
                    session.last_seq = max(session.last_seq, int(frame.get("seq") or 0))
                    break
                if frame["type"] == "error":
                    raise RuntimeError(f"hello refused: {frame}")
                session._handle(frame, time.perf_counter())
        session.reader = asyncio.create_task(session._read())
        return session

    def _decode(self, message: bytes | str) -> dict[str, Any] | None:
        if self.dialect == "cr":
            return msgpack.unpackb(message, raw=False)  # type: ignore[no-any-return]
        if message == "2":  # Engine.IO ping
            asyncio.ensure_future(self.ws.send("3"))
            return None
        if isinstance(message, str) and message.startswith("42"):
            return json.loads(message[2:])[1]  # type: ignore[no-any-return]
        return None

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame in this session's dialect."""
        if self.dialect == "cr":
            await self.ws.send(pack(frame))
        else:
            await self.ws.send("42" + json.dumps(["frame", frame], separators=(",", ":")))

    async def _read(self) -> None:
        raw = isinstance(self.ws, rawws.RawConnection)
        try:
            while True:
                if self.stalled is not None and not self.stalled.is_set():
                    await self.stalled.wait()
                if raw:
                    now, message = await self.ws.recv_timed()
                else:
                    message = await self.ws.recv()
                    now = time.perf_counter()
                if isinstance(message, bytes) and message.startswith(LINKS_PREFIX):
                    # Twenty consoles share this one event loop: decoding twenty copies
                    # of a 1,000-site frame back to back is twenty browsers' work done in
                    # a row, and it delayed the next frame of every console by tens of
                    # ms (docs/benchmarks.md). The bench counts them; the browser's cost
                    # of one is measured on its own (bench/links_clients.py).
                    self.links_bytes += len(message)
                    continue
                frame = self._decode(message)
                if frame is not None:
                    self._handle(frame, now)
        except Exception as exc:  # noqa: BLE001 - the connection ended
            self.close_code = self.ws.close_code
            self.closed_reason = f"closed {self.ws.close_code}" if self.close_code else repr(exc)

    def _handle(self, frame: dict[str, Any], now: float) -> None:
        kind = frame["type"]
        if kind == "ping":
            pong: dict[str, Any] = {"type": "pong", "n": frame["n"]}
            if self.stats_in_pong:
                pong["at"], pong["stats"] = int(time.time() * 1000), STATS
            asyncio.ensure_future(self.ws.send(pack(pong)))
        elif kind == "event":
            seq = frame["seq"]
            if seq > self.last_seq:
                self.last_seq = seq
            if self.seen is not None:
                self.seen.append(seq)
            if frame["name"] in EVENT_NAMES:
                data = frame["data"]
                marker = data.get("description") or data.get("topic") or ""
                if marker[:1] == "b" and marker[1:].isdigit():
                    self.arrived[int(marker[1:])] = now
        elif kind in ("ack", "error"):
            run = self.run
            number = run.pending.pop(str(frame.get("id")), None)
            if number is None:
                return
            if kind == "ack":
                run.acked[number] = now
                run.ack_seq[number] = int(frame.get("seq") or 0)
                run.results[number] = frame.get("result") or {}
            else:
                run.errors[number] = str(frame.get("code"))
        elif kind == "snapshot":
            self.snapshots += 1
            self.last_seq = max(self.last_seq, int(frame.get("seq") or 0))

    async def command(self, name: str, args: dict[str, Any], number: int) -> None:
        """Send command ``name`` numbered ``number`` (its id is ``b<number>``)."""
        command_id = f"b{number}"
        self.run.pending[command_id] = number
        frame = {"type": "cmd", "id": command_id, "name": name, "args": args}
        self.run.sent_at[number] = time.perf_counter()
        await self.send(frame)

    async def report(self, number: int, speak: bool = False) -> None:
        """A ``fault.report`` (or a ``speak.request``) marked ``b<number>``."""
        marker = f"b{number}"
        if speak:
            args = {"speaker": marker, "title": "bench", "topic": marker, "kind": "comment"}
            await self.command("speak.request", args, number)
        else:
            args = {"category": "audio", "severity": "minor", "description": marker}
            await self.command("fault.report", args, number)

    async def stats(self) -> None:
        """One ``stats`` frame, as a site's agent sends every heartbeat."""
        await self.send({"type": "stats", "at": int(time.time() * 1000), "stats": STATS})

    def drop(self) -> None:
        """Cut the connection without a closing handshake (a network drop)."""
        if self.reader is not None:
            self.reader.cancel()
        transport = getattr(self.ws, "transport", None)
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        """Close the connection and stop reading."""
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


async def open_many(
    url: str,
    tokens: list[str | None],
    run: Run,
    dialect: str,
    rate: float = 500.0,
    in_flight: int = 100,
) -> tuple[list[Session], list[float], list[str]]:
    """Open one session per token, ``rate`` starts a second, at most ``in_flight`` pending;
    (sessions in token order, hello->synced seconds each, errors)."""
    gate = asyncio.Semaphore(in_flight)
    opened: list[Session | None] = [None] * len(tokens)
    took: list[float] = []
    errors: list[str] = []

    async def one(i: int, token: str | None) -> None:
        try:
            t0 = time.perf_counter()
            opened[i] = await Session.open(url, token, run, dialect)
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
        tasks.append(asyncio.create_task(one(i, token)))
    await asyncio.gather(*tasks)
    return [s for s in opened if s is not None], took, errors


async def close_all(sessions: list[Session]) -> None:
    """Close sessions in batches of 200 (bounded bursts)."""
    for i in range(0, len(sessions), 200):
        await asyncio.gather(*(s.close() for s in sessions[i : i + 200]))


async def drive(
    sites: list[Session], rate: float, duration: float, run: Run, speak_every: int = 4
) -> tuple[list[int], float]:
    """Open loop: ``rate`` commands a second for ``duration`` s, round-robin over the sites;
    every ``speak_every``-th is a ``speak.request``. (numbers sent, worst lateness s)."""
    count = max(1, int(duration * rate))
    numbers: list[int] = []
    late = 0.0
    start = time.perf_counter() + 0.05
    for i in range(count):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        number = next(run.numbers)
        numbers.append(number)
        await sites[i % len(sites)].report(number, speak=speak_every > 0 and i % speak_every == 3)
    return numbers, late


async def stats_loop(sites: list[Session], heartbeat_s: float, stop: asyncio.Event) -> None:
    """Every site sends ``stats`` once a heartbeat, spread evenly over it."""
    tick = 0.02
    per_tick = max(1, round(len(sites) * tick / heartbeat_s))
    for i in itertools.count():
        if stop.is_set():
            return
        for j in range(per_tick):
            site = sites[(i * per_tick + j) % len(sites)]
            if site.closed_reason is None and site.reader is not None and not site.stats_in_pong:
                with contextlib.suppress(Exception):
                    await site.stats()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick)


async def collect(
    run: Run, numbers: list[int], consoles: list[Session], drain_s: float
) -> dict[str, Any]:
    """Wait (at most ``drain_s``) until every command is answered and every console has
    every acknowledged event; then latencies, losses and errors of ``numbers``."""
    deadline = time.perf_counter() + drain_s
    remaining = list(numbers)
    while remaining and time.perf_counter() < deadline:
        remaining = [
            n
            for n in remaining
            if n not in run.errors
            and not (n in run.acked and all(n in c.arrived for c in consoles))
        ]
        if remaining:
            await asyncio.sleep(0.05)
    latency: list[float] = []
    ack_latency: list[float] = []
    errors: dict[str, int] = {}
    acked_n = missing = 0
    last_arrival = 0.0
    for n in numbers:
        code = run.errors.pop(n, None)
        if code is not None:
            errors[code] = errors.get(code, 0) + 1
            continue
        sent = run.sent_at.pop(n)
        t_ack = run.acked.pop(n, None)
        if t_ack is None:
            continue
        acked_n += 1
        ack_latency.append(t_ack - sent)
        seen_by_all = True
        for c in consoles:
            t = c.arrived.pop(n, None)
            if t is None:
                seen_by_all = False
            else:
                latency.append(t - sent)
                if t > last_arrival:
                    last_arrival = t
        missing += not seen_by_all
    n_errors = sum(errors.values())
    return {
        "sent": len(numbers),
        "acked": acked_n,
        "errors": n_errors,
        "error_codes": errors,
        "lost": (len(numbers) - acked_n - n_errors) + missing,
        "latency": latency,
        "ack_latency": ack_latency,
        "last_arrival": last_arrival,
    }
