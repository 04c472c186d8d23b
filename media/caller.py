"""The calling side of a test call (the hub's): offer, measure, summarise.

Rules:

- The caller offers a tone, a numbered test pattern and a data channel labelled
  ``probe``; it sends and receives both media (``sendrecv``). ICE servers are
  none by default (``iceServers=[]``: host candidates only), configurable.
- aiortc does not trickle: :meth:`TestCaller.offer` returns once ICE gathering is
  complete, so the SDP holds every candidate.
- Set-up time is measured from applying the answer: ``ice_ms`` until ICE is
  connected, ``setup_ms`` until DTLS is done (``connectionState`` ``connected``),
  ``dtls_ms`` the difference. A call not connected within ``connect_timeout_s`` is
  reported with ``connected: False`` and nothing else is measured.
- Then for ``duration_s`` media flows both ways while at least 20 probes
  (``"<n> <monotonic ns>"``) go out on the data channel; the far end echoes each
  unchanged, and their round trips give ``rtt_ms`` (median) and ``rtt_p95_ms``.
- The far end's own report (``site_report()``, the latest ``rtc.stats`` map) is
  folded in under ``site_*`` keys by :func:`site_metrics`.
- The peer connection is always closed by :meth:`TestCaller.close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from media.generators import PatternTrack, ToneTrack
from media.grading import mos
from media.meter import AudioMeter, VideoMeter, consume
from media.stats import rtp_summary


@dataclass
class CallOptions:
    """How a test call is made and how long it measures."""

    duration_s: float = 4.0
    connect_timeout_s: float = 10.0
    probes: int = 25
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    width: int = 320
    height: int = 240
    fps: int = 15
    tone_hz: float = 1000.0
    tone_dbfs: float | None = -20.0


MAX_ICE_SERVERS = 8
_ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


def checked_ice_servers(value: Any) -> list[dict[str, Any]]:
    """ICE servers from an untrusted peer or file, or ValueError saying what is wrong.

    Each entry is ``{"urls": URL or [URL, ...], "username"?: str, "credential"?: str}``
    with stun:/turn: URLs; at most :data:`MAX_ICE_SERVERS` entries.
    """
    if not isinstance(value, list) or len(value) > MAX_ICE_SERVERS:
        raise ValueError(f"ice_servers must be a list of at most {MAX_ICE_SERVERS} servers")
    servers = []
    for entry in value:
        if not isinstance(entry, dict) or not set(entry) <= {"urls", "username", "credential"}:
            raise ValueError("an ICE server is {urls, username?, credential?}")
        urls = entry.get("urls")
        listed = urls if isinstance(urls, list) else [urls]
        if not listed or not all(
            isinstance(u, str) and u.startswith(_ICE_SCHEMES) and len(u) <= 512 for u in listed
        ):
            raise ValueError("an ICE server's urls are stun:, stuns:, turn: or turns: URLs")
        for key in ("username", "credential"):
            if key in entry and not (isinstance(entry[key], str) and len(entry[key]) <= 512):
                raise ValueError(f"an ICE server's {key} is a string")
        servers.append(dict(entry))
    return servers


def rtc_configuration(ice_servers: list[dict[str, Any]]) -> RTCConfiguration:
    """An ``RTCConfiguration`` from ``[{"urls": ..., "username": ..., "credential": ...}]``."""
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in ice_servers
    ]
    return RTCConfiguration(iceServers=servers)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _silence_from_level(level_dbfs: float) -> bool:
    return level_dbfs < -55.0


def site_metrics(report: Mapping[str, Any] | None) -> dict[str, Any]:
    """The far end's report as ``site_*`` metrics (agent and browser spellings accepted)."""
    if not report:
        return {"site_reported": False}
    out: dict[str, Any] = {"site_reported": True}

    def num(*keys: str) -> float | None:
        for key in keys:
            value = report.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        return None

    level = num("audio_level_dbfs")
    if level is None and (linear := num("audio_level")) is not None:
        level = 20 * math.log10(linear) if linear > 0 else -120.0
    packets = num("audio_in_packets", "audio_packets")
    silent = report.get("audio_silent")
    if not isinstance(silent, bool):
        silent = None if level is None else _silence_from_level(level)
    if packets == 0:
        silent = True
    if level is not None:
        out["site_audio_level_dbfs"] = round(level, 1)
    if silent is not None:
        out["site_audio_silent"] = silent
    for key, names in {
        "site_video_fps": ("video_fps", "fps"),
        "site_video_width": ("video_width", "width"),
        "site_video_height": ("video_height", "height"),
        "site_audio_loss_pct": ("audio_in_loss_pct", "audio_loss_pct"),
        "site_audio_jitter_ms": ("audio_in_jitter_ms", "audio_jitter_ms"),
        "site_video_loss_pct": ("video_in_loss_pct", "video_loss_pct"),
        "site_rtt_ms": ("rtt_ms",),
    }.items():
        value = num(*names)
        if value is not None:
            out[key] = round(value, 2)
    if isinstance(report.get("video_frozen"), bool):
        out["site_video_frozen"] = report["video_frozen"]
    return out


class TestCaller:
    """The hub's peer in one test call."""

    __test__ = False  # not a pytest class

    def __init__(self, options: CallOptions | None = None) -> None:
        self.options = options or CallOptions()
        self.pc = RTCPeerConnection(rtc_configuration(self.options.ice_servers))
        self.audio_meter = AudioMeter()
        self.video_meter = VideoMeter()
        self.states: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._tracks = [
            ToneTrack(self.options.tone_hz, self.options.tone_dbfs),
            PatternTrack(self.options.width, self.options.height, self.options.fps),
        ]
        self._connected = asyncio.Event()
        self._ice_connected_at: float | None = None
        self._rtts: list[float] = []
        self._open = asyncio.Event()
        self.channel = self.pc.createDataChannel("probe")
        self.channel.on("open", self._open.set)
        self.channel.on("message", self._on_echo)
        self.pc.on("connectionstatechange", self._on_state)
        self.pc.on("iceconnectionstatechange", self._on_ice)
        self.pc.on("track", self._on_track)

    def _on_state(self) -> None:
        self.states.append(self.pc.connectionState)
        if self.pc.connectionState == "connected":
            self._connected.set()

    def _on_ice(self) -> None:
        if self.pc.iceConnectionState in ("connected", "completed") and not self._ice_connected_at:
            self._ice_connected_at = time.monotonic()

    def _on_track(self, track: Any) -> None:
        meter: AudioMeter | VideoMeter = (
            self.audio_meter if track.kind == "audio" else self.video_meter
        )
        self._tasks.append(asyncio.ensure_future(consume(track, meter)))

    def _on_echo(self, message: Any) -> None:
        if not isinstance(message, str):
            return
        _, _, sent = message.partition(" ")
        with contextlib.suppress(ValueError):
            self._rtts.append((time.monotonic_ns() - int(sent)) / 1e6)

    async def offer(self) -> str:
        """Create the offer; returns its SDP with every ICE candidate in it."""
        for track in self._tracks:
            self.pc.addTrack(track)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def measure(
        self, answer_sdp: str, site_report: Callable[[], Mapping[str, Any] | None] = lambda: None
    ) -> dict[str, Any]:
        """Apply the answer, wait for the connection, measure for ``duration_s``; the metrics."""
        opts = self.options
        started = time.monotonic()
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
        try:
            async with asyncio.timeout(opts.connect_timeout_s):
                await self._connected.wait()
        except TimeoutError:
            return {
                "connected": False,
                "connect_timeout_s": opts.connect_timeout_s,
                "states": list(self.states),
            }
        connected = time.monotonic()
        metrics: dict[str, Any] = {
            "connected": True,
            "setup_ms": round((connected - started) * 1000),
        }
        if self._ice_connected_at is not None:
            metrics["ice_ms"] = round((self._ice_connected_at - started) * 1000)
            metrics["dtls_ms"] = metrics["setup_ms"] - metrics["ice_ms"]
        sent = await self._probe(connected + opts.duration_s)
        metrics.update(self._probe_metrics(sent))
        metrics.update(await rtp_summary(self.pc))
        metrics.update(self.audio_meter.summary())
        metrics.update(self.video_meter.summary())
        metrics.update(site_metrics(site_report()))
        metrics.update(summarise(metrics))
        metrics["duration_s"] = round(time.monotonic() - connected, 2)
        return metrics

    async def _probe(self, until: float) -> int:
        """Send probes evenly until ``until`` (monotonic); how many were sent."""
        opts = self.options
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.1, until - time.monotonic())):
                await self._open.wait()
        sent = 0
        if self._open.is_set():
            interval = max(0.02, (until - time.monotonic() - 0.3) / opts.probes)
            for n in range(opts.probes):
                if self.channel.readyState != "open":
                    break
                self.channel.send(f"{n} {time.monotonic_ns()}")
                sent += 1
                await asyncio.sleep(interval)
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        return sent

    def _probe_metrics(self, sent: int) -> dict[str, Any]:
        out: dict[str, Any] = {"probes_sent": sent, "probes_answered": len(self._rtts)}
        if self._rtts:
            out["rtt_ms"] = round(statistics.median(self._rtts), 1)
            out["rtt_p95_ms"] = round(percentile(self._rtts, 95), 1)
        return out

    async def close(self) -> None:
        """Stop the tracks and meters and close the peer connection."""
        for track in self._tracks:
            track.stop()
        with contextlib.suppress(Exception):
            await self.pc.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task


def summarise(m: Mapping[str, Any]) -> dict[str, Any]:
    """``loss_pct`` (worst direction), ``jitter_ms`` (worst audio direction), ``mos``."""
    out: dict[str, Any] = {}
    losses = [
        float(m[k])
        for k in (
            "audio_in_loss_pct",
            "audio_out_loss_pct",
            "video_in_loss_pct",
            "video_out_loss_pct",
            "site_audio_loss_pct",
        )
        if isinstance(m.get(k), int | float)
    ]
    jitters = [
        float(m[k])
        for k in ("audio_in_jitter_ms", "audio_out_jitter_ms", "site_audio_jitter_ms")
        if isinstance(m.get(k), int | float)
    ]
    if losses:
        out["loss_pct"] = round(max(losses), 2)
    if jitters:
        out["jitter_ms"] = round(max(jitters), 1)
    rtt = m.get("rtt_ms", m.get("rtcp_rtt_ms"))
    if isinstance(rtt, int | float):
        out["mos"] = mos(float(rtt), out.get("jitter_ms", 0.0), out.get("loss_pct", 0.0))
    return out
