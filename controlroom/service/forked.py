"""Work done in a forked child, so that it takes neither the event loop nor the GIL.

A snapshot of a large state is tens of milliseconds of pure Python (the view and its
MessagePack); in the hub's process that held every command and every console's
frame behind it. A child made by ``fork`` has the state exactly as it was at that
instant (copy-on-write: the parent goes on changing its own), encodes it on
another core (or, at the lowest priority, in what the hub leaves of its own),
writes the bytes to a pipe and exits; the hub only reads them.
The precedent is Redis's ``BGSAVE``.

The child touches nothing a thread of the parent could have been holding at the
fork (no SQLite, no logging, no event loop): plain Python, ``os.write`` and
``os._exit``, which runs no handlers and flushes no inherited buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

#: Whether this platform can fork (Linux, where the hub runs; elsewhere, in-process).
CAN_FORK = hasattr(os, "fork")


class ChildFailed(RuntimeError):
    """The child exited without handing over its result."""


def _child(work: Callable[[], bytes], fd: int) -> None:  # pragma: no cover - in the child
    code = 1
    try:
        # The lowest priority: where the child shares the parent's core (a pinned hub,
        # a busy box), the hub goes first and the child takes what it leaves.
        os.nice(19)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        view = memoryview(work())
        while view:
            view = view[os.write(fd, view) :]
        code = 0
    finally:
        os._exit(code)


async def run_forked(work: Callable[[], bytes], timeout_s: float = 120.0) -> bytes:
    """``work()`` run in a forked child; its bytes. Raises ``OSError`` if no child could be
    made, ``ChildFailed`` if it failed, or ``TimeoutError`` (the child is then killed)."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # pragma: no cover - in the child
        os.close(read_fd)
        _child(work, write_fd)
    os.close(write_fd)

    def collect() -> bytes:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise ChildFailed(f"child {pid} exited with {os.waitstatus_to_exitcode(status)}")
        return data

    collecting = asyncio.get_running_loop().run_in_executor(None, collect)
    try:
        return await asyncio.wait_for(asyncio.shield(collecting), timeout_s)
    except BaseException:
        # Timed out or cancelled: the child must not outlive the wait (its pipe then
        # closes, and the collecting thread reaps it).
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(BaseException):
            await collecting
        raise
