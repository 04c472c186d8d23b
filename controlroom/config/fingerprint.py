"""The digest a conference's snapshots are keyed by."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from controlroom import package_version
from controlroom.config.loader import ConferenceConfig


def config_fingerprint(config: ConferenceConfig) -> str:
    """A digest of everything the initial state is built from (snapshots are keyed by it).

    The code's version is part of it: after an upgrade the state is rebuilt from the
    events once, never read from a snapshot whose shape an older version wrote.
    """
    body = {
        "version": package_version(),
        "conference": asdict(config.conference),
        "settings": asdict(config.settings),
        "sites": [asdict(s) for s in config.sites],
        "agenda": [asdict(a) for a in config.agenda],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
