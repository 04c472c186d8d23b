"""The configured conference bridge, read every heartbeat and fed to the link monitor.

``[bridge]`` in conference.toml names the bridge (``kind = "janus"``, its Admin API).
Each heartbeat the adapter (``bridges/``) lists the participants and their media
statistics; a participant is a site when its display name is the site's code or its
name (case and diacritics aside, so "Huế", "HUE" and "hue" are one). What comes out
is checked like a bridge's own post to the ingest route (``controlroom/ingest.py``)
and handed to ``LinkMonitor.bridge_report``: a site in the room is in the call with
its figures; a site seen in the room since the hub started and gone from it now is
out of the call (offline at once). A site never seen in the room is not reported:
its link follows its endpoint or its console.

The bridge not answering is logged once per reason; its sites then go offline after
two heartbeats without a report (the bridge is down, or the hub cannot tell).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
from typing import Any

from bridges.janus import JanusAdmin, JanusError
from controlroom.config.conference import BridgeSettings
from controlroom.domain.model import SiteInfo
from controlroom.ingest import BadSamples, parse_samples

log = logging.getLogger("controlroom.bridge")


def fold(text: str) -> str:
    """Lower case without diacritics ("Huế" → "hue", "Đà Nẵng" → "da nang")."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


class BridgePoller:
    """Reads one conference's bridge and reports what it sees to the link monitor."""

    def __init__(
        self, monitor: Any, settings: BridgeSettings, sites: tuple[SiteInfo, ...], every_s: float
    ) -> None:
        self.monitor = monitor
        self.every_s = every_s
        self.admin = JanusAdmin(settings.admin_url, settings.admin_secret, settings.room)
        self.names: dict[str, str] = {}
        for site in sites:
            self.names.setdefault(fold(site.name), site.code)
        for site in sites:
            self.names[fold(site.code)] = site.code  # a code wins over a name
        self.seen: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._last_error = ""

    def site_of(self, display: str) -> str | None:
        """The site a participant's display name stands for, or None."""
        return self.names.get(fold(display))

    def start(self) -> None:
        """Poll every ``every_s`` until stopped."""
        self._task = asyncio.create_task(self._run(), name="bridge-poll")

    async def stop(self) -> None:
        """Stop polling and close the adapter."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        await self.admin.close()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.poll_once()
            except Exception as exc:  # noqa: BLE001 - a bad poll never stops the polling
                if str(exc) != self._last_error:
                    self._last_error = str(exc)
                    log.warning("the bridge did not answer: %s", exc)

    async def poll_once(self) -> list[dict[str, Any]]:
        """One poll: the samples given to the monitor (for tests and the log)."""
        try:
            participants = await self.admin.poll()
        except JanusError:
            raise
        self._last_error = ""
        samples: list[dict[str, Any]] = []
        present: set[str] = set()
        for display, figures in participants.items():
            code = self.site_of(display)
            if code is None or code in present:
                continue
            present.add(code)
            samples.append({"site": code, "in_call": True, **figures})
        samples += [{"site": code, "in_call": False} for code in sorted(self.seen - present)]
        self.seen |= present
        try:
            checked = parse_samples({"samples": samples})
        except BadSamples as exc:  # the bridge said something out of range: drop this poll
            log.warning("bridge samples refused (%s: %s)", exc.field, exc)
            return []
        self.monitor.bridge_report(checked)
        return checked
