"""Which command answers a single-writer log holds, known without reading it.

Every new command is first looked up among the stored answers (a retry after a
restart or a lost ``ack`` gets the same answer). Almost every lookup finds nothing,
and each one was a hop to the store's thread and back: under a ramp of thousands
of commands a second, the largest cost of the hub after the fan-out, and a wait
for the GIL each time the loop was busy.

Where this process is the log's only writer (the embedded SQLite log), the hashes
of the stored keys are kept in memory: loaded once per conference (one read of
the keys), and added to as this process appends. A key whose hash is not there was
surely never stored, so the lookup answers at once; one that is there (stored, or
a hash collision) is read as before. Keys are only ever added, so the set is never
missing a stored key: a key removed from the log (purge) at worst costs a read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable


def _key(account: str, command_id: str) -> int:
    return hash((account, command_id))


class AnswerKeys:
    """Per conference: the hashes of the answer keys in the log, once loaded."""

    def __init__(self) -> None:
        self._loaded: dict[str, set[int]] = {}
        #: Loads in progress, and the keys appended meanwhile (the load may not see them).
        self._loading: dict[str, tuple[asyncio.Future[None], list[int]]] = {}

    def surely_absent(self, conference: str, account: str, command_id: str) -> bool:
        """True when no answer with this key is stored; False: it may be (read it)."""
        keys = self._loaded.get(conference)
        return keys is not None and _key(account, command_id) not in keys

    def loaded(self, conference: str) -> bool:
        """Whether the conference's keys are known."""
        return conference in self._loaded

    def stored(self, conference: str, keys: Iterable[tuple[str, str]]) -> None:
        """This process committed answers with these (account, command id) keys."""
        known = self._loaded.get(conference)
        loading = self._loading.get(conference)
        if known is None and loading is None:
            return  # read in full when first needed
        for account, command_id in keys:
            key = _key(account, command_id)
            if known is not None:
                known.add(key)
            if loading is not None:
                loading[1].append(key)

    async def load(
        self, conference: str, read_keys: Callable[[], Awaitable[Iterable[tuple[str, str]]]]
    ) -> None:
        """Read the conference's keys once (concurrent callers wait for the same read)."""
        if conference in self._loaded:
            return
        running = self._loading.get(conference)
        if running is not None:
            await asyncio.shield(running[0])
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        appended: list[int] = []
        self._loading[conference] = (done, appended)
        try:
            rows = await read_keys()
            keys = {_key(account, command_id) for account, command_id in rows}
            keys.update(appended)
            self._loaded[conference] = keys
            done.set_result(None)
        except BaseException as exc:
            done.set_exception(exc)
            done.exception()  # retrieved: a waiter may not exist
            raise
        finally:
            del self._loading[conference]
