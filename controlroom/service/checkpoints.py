"""The hub's side of signed checkpoints (``controlroom.store.checkpoints``).

Every ``every_s`` seconds, when events were committed since the last checkpoint,
and once more when the hub stops, the durable head of the chain is signed and
recorded as a ``log.checkpoint`` event (and appended to the witness file, when one
is configured). A log that ends with a checkpoint was closed by the hub itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from controlroom.domain import SYSTEM, NewEvent
from controlroom.service.hub import ConferenceHub
from controlroom.store.checkpoints import CHECKPOINT, append_witness, sign

log = logging.getLogger("controlroom.checkpoints")


class Checkpointer:
    """Signs one conference's chain head now and then; :meth:`stop` signs a last time."""

    def __init__(
        self,
        hub: ConferenceHub,
        key: Ed25519PrivateKey,
        every_s: float = 60.0,
        witness: Path | None = None,
    ) -> None:
        self.hub = hub
        self.key = key
        self.every_s = every_s
        self.witness = witness
        self._signed_seq = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin the periodic checkpoints."""
        self._signed_seq = self._last_checkpoint_seq()
        self._task = asyncio.create_task(self._run())

    def _last_checkpoint_seq(self) -> int:
        for record in reversed(self.hub.recent):
            if record.event.name == CHECKPOINT:
                return record.event.seq
        return 0

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.checkpoint()
            except Exception:  # noqa: BLE001 - a failed checkpoint is retried next time
                log.exception("checkpoint of %s failed", self.hub.id)

    async def checkpoint(self) -> int | None:
        """Sign and record the durable head if anything was committed since; its seq."""
        hub = self.hub
        seq = hub.durable_seq
        if seq == 0 or seq <= self._signed_seq:
            return None  # nothing new since the last checkpoint (which is the head)
        data = sign(self.key, hub.id, seq, hub.durable_head_hash, hub.clock_ms())
        recorded = await hub.record(SYSTEM, [NewEvent(CHECKPOINT, data)])
        self._signed_seq = recorded
        if self.witness is not None:
            append_witness(self.witness, hub.id, data)
        return seq

    async def stop(self) -> None:
        """Stop the timer and sign the head a last time (a clean stop ends signed)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        try:
            await self.checkpoint()
        except Exception:  # noqa: BLE001 - stopping goes on
            log.exception("last checkpoint of %s failed", self.hub.id)
