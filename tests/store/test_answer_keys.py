"""Answers known without a read: never a stored answer missed, a read saved for the rest."""

from __future__ import annotations

import asyncio

import pytest

from controlroom.store.answer_keys import AnswerKeys
from controlroom.store.base import Answer
from controlroom.store.chain import GENESIS
from controlroom.store.sqlite import SqliteEventLog
from tests.store.test_event_log import chain


async def test_keys_appended_while_the_load_reads_are_known_after_it() -> None:
    keys = AnswerKeys()
    reading = asyncio.Event()
    release = asyncio.Event()

    async def read_keys() -> list[tuple[str, str]]:
        reading.set()
        await release.wait()
        return [("op", "old")]  # what the read saw: not the append made meanwhile

    load = asyncio.create_task(keys.load("c", read_keys))
    second = asyncio.create_task(keys.load("c", read_keys))  # waits for the same read
    await reading.wait()
    assert not keys.loaded("c") and not keys.surely_absent("c", "op", "new")
    keys.stored("c", [("op", "new")])
    release.set()
    await asyncio.gather(load, second)
    assert keys.loaded("c")
    assert not keys.surely_absent("c", "op", "old")
    assert not keys.surely_absent("c", "op", "new")
    assert keys.surely_absent("c", "op", "never")
    assert keys.surely_absent("c", "other", "old")
    keys.stored("c", [("other", "old")])
    assert not keys.surely_absent("c", "other", "old")
    assert not keys.surely_absent("d", "op", "never"), "another conference is not loaded"


async def test_a_failed_load_is_retried_by_the_next_lookup() -> None:
    keys = AnswerKeys()
    calls = 0

    async def read_keys() -> list[tuple[str, str]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk")
        return []

    with pytest.raises(OSError):
        await keys.load("c", read_keys)
    assert not keys.loaded("c") and not keys.surely_absent("c", "op", "x")
    await keys.load("c", read_keys)
    assert calls == 2 and keys.surely_absent("c", "op", "x")


async def test_sqlite_reads_only_answers_that_may_be_stored(tmp_path, monkeypatch) -> None:
    path = tmp_path / "events.db"
    first = SqliteEventLog(path)
    await first.open()
    await first.append("c", 0, chain("c", 1, GENESIS, 1), [Answer("op", "before", {"seq": 1})])
    await first.close()

    store = SqliteEventLog(path)  # a restart: the keys come from the file
    await store.open()
    try:
        reads: list[str] = []
        answer = store._answer

        def counted(conference: str, account: str, command_id: str):  # type: ignore[no-untyped-def]
            reads.append(command_id)
            return answer(conference, account, command_id)

        monkeypatch.setattr(store, "_answer", counted)
        assert await store.answer("c", "op", "before") == {"seq": 1}
        assert await store.answer("c", "op", "unknown") is None
        records = await store.read("c", 0)
        more = chain("c", 2, records[-1].hash, 1)
        await store.append("c", 1, more, [Answer("op", "after", {"seq": 2})])
        assert await store.answer("c", "op", "after") == {"seq": 2}
        assert await store.answer("c", "op2", "after") is None
        assert reads == ["before", "after"], "only keys that were stored were read"
    finally:
        await store.close()
