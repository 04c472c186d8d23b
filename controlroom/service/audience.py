"""Audience keys: PROTOCOL.md's "who sees what" as fan-out groups.

Each session subscribes under the keys of its role; each event is published to
the keys of its name and site. A session receives an event exactly when
``controlroom.domain.visible`` says it may (a test checks the two agree).
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.faults import is_internal_note
from controlroom.domain.model import Actor

ALL = "all"
ASSISTANT = "assistant"
PUBLIC = "public"
ASSISTANT_PREFIXES = (
    "speak.", "agenda.", "conference.", "site.", "link.", "announce.", "cue."
)  # fmt: skip
#: Events for the sites listed in ``data.sites`` (not for any one ``data.site``).
SITE_LIST_NAMES = frozenset({"announce.sent"})
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
    if name in SITE_LIST_NAMES:
        sites = data.get("sites")
        keys += (
            [f"site:{s}" for s in sites if isinstance(s, str)] if isinstance(sites, list) else []
        )
        return keys
    site = data.get("site")
    if (
        isinstance(site, str)
        and not name.startswith(OPERATOR_ONLY_PREFIXES)
        and not is_internal_note(name, data)
    ):
        keys.append(f"site:{site}")
    return keys


def for_viewer(frame: dict[str, Any], viewer: Actor) -> dict[str, Any]:
    """The event frame as ``viewer`` receives it: a site hears of itself only.

    An event for a list of sites (``announce.sent``) names only the receiving site in
    a site's copy, so no site learns which other sites were told.
    """
    if viewer.role != "site" or frame.get("name") not in SITE_LIST_NAMES:
        return frame
    return {**frame, "data": {**frame["data"], "sites": [viewer.site]}}


def publications(frame: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """The frames to publish for one event frame, each with its fan-out keys."""
    keys = event_keys(frame["name"], frame["data"])
    if frame["name"] not in SITE_LIST_NAMES:
        return [(frame, keys)]
    shared = [k for k in keys if not k.startswith("site:")]
    own = [
        ({**frame, "data": {**frame["data"], "sites": [k[len("site:") :]]}}, [k])
        for k in keys
        if k.startswith("site:")
    ]
    return [(frame, shared), *own]
