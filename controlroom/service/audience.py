"""Audience keys: the registry of ``controlroom/domain/audiences.py`` as fan-out groups.

Each session subscribes under the keys of its role; each event is published to
the keys of its audience. Both come from the same registry as
``controlroom.domain.visible``, so a session receives an event exactly when it
may see it.
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.audiences import audience, rule_of
from controlroom.domain.model import Actor

ALL = "all"
ASSISTANT = "assistant"
PUBLIC = "public"


def viewer_keys(viewer: Actor) -> tuple[str, ...]:
    """The fan-out keys a session of ``viewer`` subscribes under."""
    if viewer.role == "assistant":
        return (ASSISTANT,)
    if viewer.role == "site":
        return (f"site:{viewer.site}", PUBLIC)
    return (ALL,)


def event_keys(name: str, data: dict[str, Any]) -> list[str]:
    """The fan-out keys an event is published to."""
    who = audience(name, data)
    keys = [ALL]
    if who.assistant:
        keys.append(ASSISTANT)
    if who.every_site:
        keys.append(PUBLIC)
    else:
        keys += [f"site:{site}" for site in who.sites]
    return keys


def _for_listed_sites(name: str) -> bool:
    return rule_of(name).listed_sites


def for_viewer(frame: dict[str, Any], viewer: Actor) -> dict[str, Any]:
    """The event frame as ``viewer`` receives it: a site hears of itself only.

    An event for a list of sites (``announce.sent``) names only the receiving site in
    a site's copy, so no site learns which other sites were told.
    """
    if viewer.role != "site" or not _for_listed_sites(str(frame.get("name"))):
        return frame
    return {**frame, "data": {**frame["data"], "sites": [viewer.site]}}


def publications(frame: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """The frames to publish for one event frame, each with its fan-out keys."""
    keys = event_keys(frame["name"], frame["data"])
    if not _for_listed_sites(frame["name"]):
        return [(frame, keys)]
    shared = [k for k in keys if not k.startswith("site:")]
    own = [
        ({**frame, "data": {**frame["data"], "sites": [k[len("site:") :]]}}, [k])
        for k in keys
        if k.startswith("site:")
    ]
    return [(frame, shared), *own]
