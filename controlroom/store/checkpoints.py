"""Signed checkpoints of the chain head: a log that proves itself.

The hash chain shows that no event was changed *in place*, but someone who can
write the data directory could rewrite an event and re-hash every later one, or
cut off the last events, and the chain would still verify. So the hub signs the
head of its chain from time to time with an Ed25519 key kept **apart from the data
directory** (``controlroom audit keygen``), and writes the signature into the log as
a ``log.checkpoint`` event ``{seq, hash, at, key, signature}`` (and, when given, as a
line in a witness file kept elsewhere too).

``audit verify --key PUBLIC`` then checks every checkpoint: its signature, and that
the chain's hash at ``seq`` is the one signed. A rewrite before a checkpoint breaks
it (the last good checkpoint is named); events after the last checkpoint are
reported as not yet signed; with ``--witness``, a log that ends before a checkpoint
the witness holds was truncated. The signed message is the canonical JSON of
``{"conference", "seq", "hash", "at"}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from controlroom.store.chain import Record

CHECKPOINT = "log.checkpoint"
PRIVATE_NAME = "checkpoint.key"
PUBLIC_NAME = "checkpoint.pub"


class CheckpointKeyError(ValueError):
    """A key file that is missing, unreadable or not an Ed25519 key (the message says which)."""


def generate_key(directory: Path) -> tuple[Path, Path]:
    """Write a new key pair into ``directory`` (private 0600); refuse to overwrite one."""
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    if private.exists() or public.exists():
        raise CheckpointKeyError(
            f"{private} or {public} exists already; keep the old key or move it"
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path`` (PEM, PKCS#8)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise CheckpointKeyError(f"cannot read the checkpoint key {path}: {exc.strerror}") from None
    except ValueError:
        raise CheckpointKeyError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The verifying key in ``path`` (PEM); a private key file is accepted too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointKeyError(f"cannot read the key {path}: {exc.strerror}") from None
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise CheckpointKeyError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key (the first 16 hex digits of its SHA-256)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def message(conference: str, seq: int, head: str, at: int) -> bytes:
    """The bytes a checkpoint signs."""
    body = {"conference": conference, "seq": seq, "hash": head, "at": at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(key: Ed25519PrivateKey, conference: str, seq: int, head: str, at: int) -> dict[str, Any]:
    """The data of a ``log.checkpoint`` event for the chain head ``(seq, head)``."""
    signature = key.sign(message(conference, seq, head, at))
    return {
        "seq": seq,
        "hash": head,
        "at": at,
        "key": key_id(key.public_key()),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def signature_ok(key: Ed25519PublicKey, conference: str, data: dict[str, Any]) -> bool:
    """Whether a checkpoint's signature is the key's over its own seq, hash and time."""
    try:
        signature = base64.b64decode(str(data["signature"]), validate=True)
        key.verify(
            signature, message(conference, int(data["seq"]), str(data["hash"]), int(data["at"]))
        )
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True


def append_witness(path: Path, conference: str, data: dict[str, Any]) -> None:
    """Add a checkpoint to the witness file (one JSON line, flushed to disk)."""
    line = json.dumps({"conference": conference, **data}, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_witness(path: Path, conference: str) -> Iterator[dict[str, Any]]:
    """The witness file's checkpoints of ``conference`` (unreadable lines are skipped)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("conference") == conference:
                yield entry


@dataclass
class CheckpointCheck:
    """What the checkpoints of one conference's log prove."""

    ok: bool = True
    count: int = 0
    #: The newest checkpoint that verifies: seq signed, its time, its key.
    signed_seq: int | None = None
    signed_at: int | None = None
    key: str | None = None
    #: Events after the newest good checkpoint (not proven yet).
    unsigned: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        """Record a problem: the log is not what its checkpoints signed."""
        self.ok = False
        self.problems.append(text)

    def to_dict(self) -> dict[str, Any]:
        """For the CLI and the report."""
        return {
            "ok": self.ok,
            "count": self.count,
            "signed_seq": self.signed_seq,
            "signed_at": self.signed_at,
            "key": self.key,
            "unsigned": self.unsigned,
            "problems": list(self.problems),
        }


def check(
    conference: str,
    records: Iterable[Record],
    key: Ed25519PublicKey | None,
    witness: Iterable[dict[str, Any]] = (),
) -> CheckpointCheck:
    """Check every ``log.checkpoint`` in ``records`` (in seq order) against the chain.

    ``key`` None checks only that each checkpoint names the chain's own hash (the
    report does that without a key); with a key, each signature too.
    """
    result = CheckpointCheck()
    hashes: dict[int, str] = {}
    last_seq = 0
    for record in records:
        event = record.event
        last_seq = event.seq
        hashes[event.seq] = record.hash
        if event.name != CHECKPOINT:
            continue
        result.count += 1
        data = event.data if isinstance(event.data, dict) else {}
        signed = data.get("seq")
        good = isinstance(signed, int) and hashes.get(signed) == data.get("hash")
        if not good:
            result.fail(
                f"the checkpoint at seq {event.seq} signed seq {signed} with a hash the log no"
                " longer has: the events before it were rewritten" + _last_good(result)
            )
            continue
        if key is not None and (
            data.get("key") != key_id(key) or not signature_ok(key, conference, data)
        ):
            result.fail(
                f"the checkpoint at seq {event.seq} is not signed by this key" + _last_good(result)
            )
            continue
        if result.ok:
            result.signed_seq, result.signed_at, result.key = (
                signed,
                data.get("at"),
                data.get("key"),
            )
    if key is not None and result.count == 0 and last_seq > 0:
        result.fail(f"the log has {last_seq} events and no signed checkpoint: nothing proves it")
    for entry in witness:
        seq = entry.get("seq")
        if not isinstance(seq, int):
            continue
        if seq > last_seq:
            result.fail(
                f"the witness holds a checkpoint of seq {seq} but the log ends at seq {last_seq}:"
                " events were removed from its end" + _last_good(result)
            )
        elif hashes.get(seq) != entry.get("hash"):
            result.fail(
                f"the witness signed seq {seq} with another hash: the log was rewritten"
                + _last_good(result)
            )
    if result.signed_seq is not None:
        result.unsigned = max(0, last_seq - result.signed_seq - 1)  # the checkpoint itself
    elif last_seq:
        result.unsigned = last_seq
    return result


def _last_good(result: CheckpointCheck) -> str:
    if result.signed_seq is None:
        return " (no earlier checkpoint verifies)"
    return f" (last good checkpoint: seq {result.signed_seq})"
