"""A log that proves itself (issue "Hardening", reproduction 8).

Broken rows are named, never a traceback; signed checkpoints written by a real hub
detect a rewrite re-hashed to the end and, with the witness, a cut-off end, naming
the last good checkpoint.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.domain.model import Actor, Event
from controlroom.store.chain import link_hash
from controlroom.store.checkpoints import generate_key
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controlroom", "audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
async def signed_log(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A data directory written by a hub that signs checkpoints; the key pair's dir, witness."""
    keys = tmp_path / "keys"
    generate_key(keys)
    witness = tmp_path / "witness.jsonl"
    data = tmp_path / "data"
    options = {
        "heartbeat_s": 30,
        "checkpoint_key": keys / "checkpoint.key",
        "checkpoint_witness": witness,
        "checkpoint_every_s": 3600,
    }
    async with running_hub(DEMO, data, **options) as hub:
        site = await Client.connect(hub.ws_url, await hub.login("site-hue"))
        for i in range(5):
            ack = await site.cmd(
                "fault.report", {"category": "audio", "severity": "minor", "description": f"số {i}"}
            )
            assert ack["type"] == "ack"
        (signer,) = hub.runtime.checkpointers
        assert await signer.checkpoint() is not None  # a checkpoint in the middle
        for i in range(3):
            await site.cmd("site.status", {"audio": "ok", "video": "ok", "note": f"n{i}"})
        await site.close()
    return data, keys, witness  # the hub signed once more when it stopped


def _rows(data: Path) -> list[tuple]:
    db = sqlite3.connect(data / "events.db")
    try:
        return db.execute(
            "SELECT seq, at, name, actor, data, prev_hash, hash FROM events ORDER BY seq"
        ).fetchall()
    finally:
        db.close()


def test_a_clean_signed_log_verifies_to_its_end(signed_log):
    """verify --key --witness: the chain and every checkpoint; the log ends signed."""
    data, keys, witness = signed_log
    rows = _rows(data)
    assert rows[-1][2] == "log.checkpoint", "a clean stop ends with a checkpoint"
    r = audit("verify", "--data", str(data), "--key", str(keys / "checkpoint.pub"),
              "--witness", str(witness))  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"signed through seq {len(rows) - 1} (2 checkpoints" in r.stdout
    assert "0 later events not signed" in r.stdout


def test_a_rewrite_rehashed_to_the_end_is_caught_by_the_checkpoints(signed_log):
    """Rewrite one fault and re-hash every later event: the chain verifies, the key does not."""
    data, keys, _ = signed_log
    rows = _rows(data)
    target = next(r for r in rows if r[2] == "fault.reported")
    db = sqlite3.connect(data / "events.db")
    prev = None
    for seq, at, name, actor, text, prev_hash, _hash in rows:
        if seq < target[0]:
            continue
        payload = json.loads(text)
        if seq == target[0]:
            payload["description"] = "không có gì"
        prev = prev_hash if prev is None else prev
        event = Event(seq, at, name, Actor.from_wire(json.loads(actor)), payload)
        digest = link_hash(prev, "demo", event)
        db.execute(
            "UPDATE events SET data=?, prev_hash=?, hash=? WHERE seq=?",
            (json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
             prev, digest, seq),
        )  # fmt: skip
        prev = digest
    db.commit()
    db.close()
    plain = audit("verify", "--data", str(data))
    assert plain.returncode == 0, "re-chained: the chain alone cannot tell"
    keyed = audit("verify", "--data", str(data), "--key", str(keys / "checkpoint.pub"))
    assert keyed.returncode == 1
    assert "CHECKPOINT" in keyed.stdout and "rewritten" in keyed.stdout
    assert "no earlier checkpoint verifies" in keyed.stdout


def test_a_cut_off_end_is_caught_with_the_witness(signed_log):
    """Delete the last events (the final checkpoint among them): the witness knows."""
    data, keys, witness = signed_log
    db = sqlite3.connect(data / "events.db")
    last = db.execute("SELECT max(seq) FROM events").fetchone()[0]
    db.execute("DELETE FROM events WHERE seq > ?", (last - 3,))
    db.commit()
    db.close()
    assert audit("verify", "--data", str(data)).returncode == 0, "a shorter chain still chains"
    keyed = audit("verify", "--data", str(data), "--key", str(keys / "checkpoint.pub"),
                  "--witness", str(witness))  # fmt: skip
    assert keyed.returncode == 1
    assert "events were removed from its end" in keyed.stdout
    assert "last good checkpoint: seq" in keyed.stdout


def test_another_key_does_not_verify(signed_log, tmp_path):
    """Checkpoints are checked against the key given, not any key."""
    data, _keys, _ = signed_log
    generate_key(tmp_path / "other")
    r = audit("verify", "--data", str(data), "--key", str(tmp_path / "other" / "checkpoint.pub"))
    assert r.returncode == 1 and "not signed by this key" in r.stdout


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [("data", "{not json", "not a readable event"), ("data", b"\xff\xfe", "not UTF-8")],
)
def test_a_broken_row_is_named_not_a_traceback(signed_log, column, value, says):
    """A row whose JSON or UTF-8 is broken: BROKEN at its seq, one line, exit 1."""
    data, _, _ = signed_log
    db = sqlite3.connect(data / "events.db")
    db.execute(f"UPDATE events SET {column}=? WHERE seq=4", (value,))
    db.commit()
    db.close()
    r = audit("verify", "--data", str(data))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "BROKEN at seq 4" in r.stdout and says in r.stdout


def test_the_key_may_not_live_in_the_data_directory(tmp_path):
    """serve refuses a checkpoint key inside --data: it would prove nothing."""
    data = tmp_path / "data"
    generate_key(data / "keys")
    r = subprocess.run(
        [sys.executable, "-m", "controlroom", "serve", "--config", str(DEMO), "--data", str(data),
         "--port", "0", "--checkpoint-key", str(data / "keys" / "checkpoint.key")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "inside the data directory" in r.stderr


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path):
    """audit keygen: checkpoint.key 0600 and checkpoint.pub; never over an existing key."""
    r = audit("keygen", "--out", str(tmp_path / "k"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "k" / "checkpoint.key").stat().st_mode & 0o077 == 0
    again = audit("keygen", "--out", str(tmp_path / "k"))
    assert again.returncode == 2 and "exists already" in again.stderr
