"""Work in a forked child: its bytes, the state as it was at the fork, failures, a hung child."""

import asyncio
import os
import time

import pytest

from controlroom.service.forked import CAN_FORK, ChildFailed, run_forked

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="no fork on this platform")


async def test_the_child_sees_the_state_as_it_was_when_forked():
    """The parent changes its state at once; the child's bytes are of the state before."""
    state = {"n": 1, "big": list(range(200_000))}
    pending = run_forked(lambda: f"{state['n']}:{sum(state['big'])}:{os.getpid()}".encode())
    # run_forked forks before its first await: change the state while the child works.
    task = asyncio.ensure_future(pending)
    await asyncio.sleep(0)
    state["n"], state["big"] = 2, []
    n, total, pid = (await task).decode().split(":")
    assert (n, int(total)) == ("1", sum(range(200_000)))
    assert int(pid) != os.getpid()


async def test_a_large_result_arrives_whole():
    """More than a pipe holds (64 KiB): the parent reads while the child writes."""
    data = os.urandom(3_000_000)
    assert await run_forked(lambda: data) == data


async def test_a_child_that_raises_is_a_failure_not_a_result():
    def boom() -> bytes:
        raise ValueError("no")

    with pytest.raises(ChildFailed):
        await run_forked(boom)


async def test_a_child_that_hangs_is_killed_at_the_timeout(tmp_path):
    """The wait ends at the timeout, and the child is gone: killed and reaped, no zombie."""
    pid_file = tmp_path / "pid"

    def hang() -> bytes:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)
        return b"late"

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await run_forked(hang, timeout_s=1.0)
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):  # a zombie would still take signal 0
        os.kill(int(pid_file.read_text()), 0)


async def test_the_child_runs_at_the_lowest_priority():
    """Sharing a core with the hub, the child takes only what the hub leaves."""
    assert int(await run_forked(lambda: str(os.nice(0)).encode())) == 19
