"""A TCP connect probe: the time to the peer's SYN-ACK (or its refusal)."""

from __future__ import annotations

import asyncio
import socket
import struct
import time


async def tcp_ping(address: str, port: int, timeout_s: float) -> float | None:
    """Connect to ``address:port``: the RTT in ms, or None when nothing answered in time.

    A refusal (RST) is an answer too: the host and the path to it are up, which is
    what a link probe measures. The connection is reset at once (no TIME_WAIT left).
    """
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    started = time.perf_counter_ns()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout_s)
    except ConnectionRefusedError:
        pass
    except (OSError, TimeoutError):
        return None
    finally:
        sock.close()
    return (time.perf_counter_ns() - started) / 1e6
