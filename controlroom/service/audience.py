"""Audience keys: PROTOCOL.md's "who sees what" as fan-out groups.

Each session subscribes under the keys of its role; each event is published to
the keys of its name and site. A session receives an event exactly when
``controlroom.domain.visible`` says it may (a test checks the two agree).
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.model import Actor

ALL = "all"
ASSISTANT = "assistant"
PUBLIC = "public"
ASSISTANT_PREFIXES = ("speak.", "agenda.", "conference.", "site.", "link.")
PUBLIC_NAMES = frozenset({"speak.granted", "speak.extended", "speak.ended"})
PUBLIC_PREFIXES = ("agenda.", "conference.")
#: Events that name a site but are for the central operators only.
OPERATOR_ONLY_PREFIXES = ("campaign.",)


def viewer_keys(viewer: Actor) -> tuple[str, ...]:
    """The fan-out keys a session of ``viewer`` subscribes under."""
    if viewer.role == "assistant":
        return (ASSISTANT,)
    if viewer.role == "site":
        return (f"site:{viewer.site}", PUBLIC)
    return (ALL,)


def event_keys(name: str, data: dict[str, Any]) -> list[str]:
    """The fan-out keys an event is published to."""
    keys = [ALL]
    if name.startswith(ASSISTANT_PREFIXES):
        keys.append(ASSISTANT)
    if name in PUBLIC_NAMES or name.startswith(PUBLIC_PREFIXES):
        keys.append(PUBLIC)
    site = data.get("site")
    if isinstance(site, str) and not name.startswith(OPERATOR_ONLY_PREFIXES):
        keys.append(f"site:{site}")
    return keys
