"""What an accepted command answers and stores, beside its events."""

from __future__ import annotations

from typing import Any

from controlroom.domain import AckFaults, NewEvent, ResolveFaults
from controlroom.service.decider import RELAY_ACCOUNT
from controlroom.store.base import Answer

#: The ids an ack's ``result`` carries when the command created one.
RESULT_KEYS = ("fault_id", "request_id", "item_id", "call", "conclusion_id")


def relay_answers(request: str | None, seq: int) -> list[Answer]:
    """What a relayed system command stores, so that a retry finds it decided."""
    return [] if request is None else [Answer(RELAY_ACCOUNT, request, {"seq": seq})]


def ack_result(events: list[NewEvent], command: Any = None) -> dict[str, Any]:
    """The ``result`` map of an ack: the ids the command created, if any."""
    if isinstance(command, AckFaults | ResolveFaults):  # the faults that took the step
        return {"fault_ids": [event.data["fault_id"] for event in events]}
    for event in reversed(events):  # agenda.advance: the item started, not the one finished
        found = {k: event.data[k] for k in RESULT_KEYS if k in event.data}
        if found:
            return found
    return {}
