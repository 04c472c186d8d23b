"""A TCP connect probe: the time until the endpoint's port accepts the connection."""

from __future__ import annotations

import asyncio
import socket
import struct
import time


async def tcp_ping(address: str, port: int, timeout_s: float) -> float | None:
    """Connect to ``address:port``: the RTT in ms, or None when it did not accept in time.

    A refusal (RST) counts as no answer: the port named is the endpoint's own service
    (its call signalling, its web interface), and a codec whose service is down is
    out of service however well its network answers. The connection is reset
    at once, so no TIME_WAIT is left behind.
    """
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    started = time.perf_counter_ns()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout_s)
    except (OSError, TimeoutError):
        return None
    finally:
        sock.close()
    return (time.perf_counter_ns() - started) / 1e6
