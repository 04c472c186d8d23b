"""The hub's own commands: issued by ``SYSTEM`` only, never parsed from the wire.

:class:`Tick` (timers), :class:`LinkChange` and :class:`LinkFlap` (the link monitor),
and the test-call runner's :class:`CallSite`, :class:`FinishTestCall`,
:class:`InterruptTestCalls` and :class:`AutoCampaign`. ``decide`` refuses them from
any other actor.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from .commands import Command, Ident, LinkState, OptText


class Tick(Command):
    """The clock: emit every timer event due at ``now`` (SYSTEM only)."""

    name: ClassVar[str] = "tick"


class LinkChange(Command):
    """The link monitor saw a site's link state change (SYSTEM only).

    ``decide`` emits ``link.changed`` and, when the site goes ``offline`` while the
    conference is ``live``, a ``network`` fault unless the site has one open already.
    """

    name: ClassVar[str] = "link.change"
    site: Ident
    to: LinkState
    reason: OptText = ""
    #: Why, as a code with parameters (``{"code": "no_answer", "seconds": 6}``).
    cause: dict[str, Any] | None = None
    rtt_ms: float | None = None
    loss_pct: float | None = None
    jitter_ms: float | None = None
    flapping: bool = False
    #: The source judged: the best configured of bridge, endpoint, console.
    source: Literal["bridge", "endpoint", "console"] = "console"


class LinkFlap(Command):
    """The link monitor marks a site as flapping, or clears it (SYSTEM only)."""

    name: ClassVar[str] = "link.flap"
    site: Ident
    flapping: bool
    reason: OptText = ""
    cause: dict[str, Any] | None = None


class LinkPresence(Command):
    """The technician's console of a site with a conference-path source came or went.

    SYSTEM only. The site's link does not change: presence is recorded apart, for the
    report's "technician online" time, once it has held for a few heartbeats.
    """

    name: ClassVar[str] = "link.presence"
    site: Ident
    presence: Literal["online", "away", "offline"]


class CallSite(Command):
    """The media runner calls one site of a running campaign (SYSTEM only)."""

    name: ClassVar[str] = "testcall.call"
    site: Ident
    campaign: Ident
    attempt: Annotated[int, Field(ge=1, le=10)] = 1


class FinishTestCall(Command):
    """The media runner's verdict on a running call (SYSTEM only)."""

    name: ClassVar[str] = "testcall.finish"
    call: Ident
    verdict: Literal["pass", "warn", "fail"]
    metrics: dict[str, Any] = Field(default_factory=dict)
    reasons: list[dict[str, Any]] = Field(default_factory=list)


class InterruptTestCalls(Command):
    """At start-up: calls and a campaign the hub was running before it stopped fail."""

    name: ClassVar[str] = "testcall.interrupt"


class AutoCampaign(Command):
    """The conference's ``test_at`` has come: start its campaign, once (SYSTEM only)."""

    name: ClassVar[str] = "testcall.auto_campaign"
    concurrency: Annotated[int, Field(ge=1, le=64)] | None = None


#: Commands only the hub itself (``SYSTEM``) issues.
SYSTEM_COMMANDS: frozenset[type[Command]] = frozenset(
    {
        Tick,
        LinkChange,
        LinkFlap,
        LinkPresence,
        CallSite,
        FinishTestCall,
        InterruptTestCalls,
        AutoCampaign,
    }
)
