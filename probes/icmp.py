"""ICMP echo from one shared socket, for thousands of targets without a thread.

One socket serves every target: requests carry a 16-bit sequence number shared by
all targets, and a reply is matched by (source address, sequence). The socket is an
unprivileged ICMP datagram socket where ``net.ipv4.ping_group_range`` admits the
process's group (the kernel then sets the identifier), else a raw socket (root or
``CAP_NET_RAW``), whose replies to other programs' pings are told apart by our
identifier. Replies are read by the event loop's reader callback, so an RTT is
measured with the loop's own latency, no more. IPv4 only.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from collections.abc import Callable, Hashable

ECHO_REQUEST = 8
ECHO_REPLY = 0
_HEADER = struct.Struct("!BBHHH")
_STAMP = struct.Struct("!Q")


class IcmpUnavailable(OSError):
    """Neither an ICMP datagram socket nor a raw socket may be opened here."""


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes) -> bytes:
    """An ICMP echo request with its checksum."""
    header = _HEADER.pack(ECHO_REQUEST, 0, 0, ident, seq)
    return _HEADER.pack(ECHO_REQUEST, 0, checksum(header + payload), ident, seq) + payload


def _open() -> tuple[socket.socket, bool]:
    """The socket, and whether it is raw (replies carry the IP header)."""
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
    except OSError:
        pass
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
    except OSError as exc:
        raise IcmpUnavailable(
            "no ICMP socket: allow the hub's group in net.ipv4.ping_group_range, or give it"
            f" CAP_NET_RAW ({exc})"
        ) from exc


class IcmpPinger:
    """Echo requests to any number of IPv4 addresses over one socket.

    Two ways to use it: ``await ping(address, timeout)`` for one answer, or
    ``send(address, key)`` with ``on_result(key, rtt_ms | None)`` for thousands a
    second without a task, a future or a timer each (``expire`` ends the overdue
    ones as lost; the prober calls it on its own tick).
    """

    def __init__(self, on_result: Callable[[Hashable, float | None], None] | None = None) -> None:
        self.sock, self.raw = _open()
        self.sock.setblocking(False)
        # Many replies may arrive in one burst: room for them until the loop reads.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.ident = os.getpid() & 0xFFFF
        self.on_result = on_result
        self._seq = 0
        #: (address, seq) -> (key, sent at in ns), oldest first (a dict keeps the order).
        self._pending: dict[tuple[str, int], tuple[Hashable, int]] = {}
        self._futures: dict[Hashable, asyncio.Future[float | None]] = {}
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._readable)
        self.sent = 0
        self.received = 0

    def close(self) -> None:
        """Stop reading and close the socket; pending pings end as lost."""
        self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        for future in self._futures.values():
            if not future.done():
                future.set_result(None)
        self._futures.clear()
        self._pending.clear()

    def send(self, address: str, key: Hashable) -> None:
        """One echo to ``address``; its result goes to ``on_result(key, ...)``."""
        self._seq = seq = (self._seq + 1) & 0xFFFF
        started = time.perf_counter_ns()
        try:
            packet = echo_request(self.ident, seq, _STAMP.pack(started))
            self.sock.sendto(packet, (address, 0))
        except OSError:  # unreachable, a full send buffer: a lost probe
            self._result(key, None)
            return
        self.sent += 1
        self._pending[(address, seq)] = (key, started)

    def expire(self, timeout_s: float) -> None:
        """End as lost every echo sent more than ``timeout_s`` ago."""
        limit = time.perf_counter_ns() - int(timeout_s * 1e9)
        pending = self._pending
        while pending:
            first = next(iter(pending))
            key, started = pending[first]
            if started > limit:
                return
            del pending[first]
            self._result(key, None)

    async def ping(self, address: str, timeout_s: float) -> float | None:
        """One echo to ``address`` (an IPv4 literal): the RTT in ms, or None if none came."""
        key = ("ping", address, self._seq + 1)
        future: asyncio.Future[float | None] = self._loop.create_future()
        self._futures[key] = future
        try:
            self.send(address, key)
            return await asyncio.wait_for(future, timeout_s)
        except (TimeoutError, asyncio.CancelledError):
            return None
        finally:
            self._futures.pop(key, None)
            for pending_key, (k, _) in list(self._pending.items()):
                if k == key:
                    del self._pending[pending_key]

    def _result(self, key: Hashable, rtt_ms: float | None) -> None:
        future = self._futures.get(key)
        if future is not None:
            if not future.done():
                future.set_result(rtt_ms)
        elif self.on_result is not None:
            self.on_result(key, rtt_ms)

    def _readable(self) -> None:
        now = time.perf_counter_ns()
        while True:
            try:
                packet, (source, _port) = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error queued on the socket: the echo it concerns expires
            if self.raw:
                packet = packet[(packet[0] & 0x0F) * 4 :] if packet else packet
            if len(packet) < _HEADER.size:
                continue
            kind, _code, _sum, ident, seq = _HEADER.unpack_from(packet)
            if kind != ECHO_REPLY or (self.raw and ident != self.ident):
                continue
            waiting = self._pending.pop((source, seq), None)
            if waiting is not None:
                self.received += 1
                self._result(waiting[0], (now - waiting[1]) / 1e6)
