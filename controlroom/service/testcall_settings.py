"""How the hub calls sites: call options, grading thresholds, timeouts, ICE servers.

``TestCallSettings.from_env()`` is what ``controlroom serve`` uses: the defaults, with
the ICE (STUN/TURN) servers of ``CONTROLROOM_ICE_SERVERS`` checked when the hub starts
(docs/deploy.md, "TURN").
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from media.caller import CallOptions, checked_ice_servers
from media.grading import Thresholds


@dataclass
class TestCallSettings:
    """How the hub calls sites (``CONTROLROOM_ICE_SERVERS``: a JSON list of ICE servers)."""

    __test__ = False

    call: CallOptions = field(default_factory=CallOptions)
    thresholds: Thresholds = field(default_factory=Thresholds)
    answer_timeout_s: float = 15.0
    retry_delay_s: float = 30.0
    test_at_grace_s: float = 600.0

    @classmethod
    def from_env(cls) -> TestCallSettings:
        """Defaults, with ICE servers from ``CONTROLROOM_ICE_SERVERS`` when set."""
        settings = cls()
        raw = os.environ.get("CONTROLROOM_ICE_SERVERS")
        if raw:
            try:
                settings.call.ice_servers = checked_ice_servers(json.loads(raw))
            except ValueError as exc:  # JSONDecodeError is a ValueError too
                raise ValueError(f"CONTROLROOM_ICE_SERVERS: {exc}") from None
        return settings
