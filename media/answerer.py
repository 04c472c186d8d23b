"""The answering side of a test call (a site's agent, or a test standing in for one).

Rules:

- It answers an offer that holds every candidate, and its answer does too
  (aiortc gathers before ``setLocalDescription`` returns; no trickle).
- It echoes every message on the ``probe`` data channel back unchanged, at once.
- It sends its own audio and video back on the offered transceivers: from a
  device when one is given (aiortc's ``MediaPlayer``: ``v4l2`` camera, ``alsa`` /
  ``pulse`` microphone), else generated (a tone or silence, a test pattern).
- :meth:`TestAnswerer.report` is what it measured of the caller's media so far,
  the map a site sends as ``rtc.stats``: the same keys as the caller's own
  measurement of the site (``audio_level_dbfs``, ``audio_silent``, ``video_fps``,
  ``video_frozen``, ``audio_in_loss_pct`` ...).
- :meth:`TestAnswerer.close` always closes the peer connection and any device.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from media.caller import rtc_configuration
from media.generators import PatternTrack, ToneTrack
from media.meter import AudioMeter, VideoMeter, consume
from media.stats import rtp_summary


@dataclass
class AnswerOptions:
    """What the answering side sends back.

    ``audio``: ``"tone"``, ``"silence"`` or ``"none"``; ``video``: ``"pattern"`` or
    ``"none"``. A ``*_device`` (with its ffmpeg ``*_format``) replaces the generated
    media of that kind.
    """

    audio: str = "tone"
    video: str = "pattern"
    audio_device: str | None = None
    audio_format: str | None = None
    video_device: str | None = None
    video_format: str | None = None
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    width: int = 320
    height: int = 240
    fps: int = 15
    tone_hz: float = 440.0
    tone_dbfs: float = -20.0


class TestAnswerer:
    """A site's peer in one test call."""

    __test__ = False  # not a pytest class

    def __init__(self, options: AnswerOptions | None = None) -> None:
        self.options = options or AnswerOptions()
        self.pc = RTCPeerConnection(rtc_configuration(self.options.ice_servers))
        self.audio_meter = AudioMeter()
        self.video_meter = VideoMeter()
        self.probes = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._players: list[Any] = []
        self._tracks: list[MediaStreamTrack] = []
        self.pc.on("datachannel", self._on_channel)
        self.pc.on("track", self._on_track)

    def _on_channel(self, channel: Any) -> None:
        if channel.label != "probe":
            return

        def echo(message: Any) -> None:
            self.probes += 1
            if channel.readyState == "open":
                channel.send(message)

        channel.on("message", echo)

    def _on_track(self, track: Any) -> None:
        meter: AudioMeter | VideoMeter = (
            self.audio_meter if track.kind == "audio" else self.video_meter
        )
        self._tasks.append(asyncio.ensure_future(consume(track, meter)))

    def _own_tracks(self) -> list[MediaStreamTrack]:
        o = self.options
        tracks: list[MediaStreamTrack] = []
        if o.audio_device:
            tracks.append(self._device(o.audio_device, o.audio_format, "audio"))
        elif o.audio in ("tone", "silence"):
            tracks.append(ToneTrack(o.tone_hz, o.tone_dbfs if o.audio == "tone" else None))
        if o.video_device:
            tracks.append(self._device(o.video_device, o.video_format, "video"))
        elif o.video == "pattern":
            tracks.append(PatternTrack(o.width, o.height, o.fps))
        return tracks

    def _device(self, device: str, fmt: str | None, kind: str) -> MediaStreamTrack:
        from aiortc.contrib.media import MediaPlayer  # only when a device is used

        options = {"video_size": f"{self.options.width}x{self.options.height}"}
        player = MediaPlayer(device, format=fmt, options=options if kind == "video" else {})
        self._players.append(player)
        track = player.audio if kind == "audio" else player.video
        if track is None:
            raise ValueError(f"{device} gives no {kind}")
        return track

    async def answer(self, offer_sdp: str) -> str:
        """Answer an offer; returns the answer's SDP with every ICE candidate in it."""
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        self._tracks = self._own_tracks()
        for track in self._tracks:
            self.pc.addTrack(track)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def report(self) -> dict[str, Any]:
        """What this side measured of the caller's media so far (an ``rtc.stats`` map)."""
        out: dict[str, Any] = {}
        rtp = await rtp_summary(self.pc)
        out.update({k: v for k, v in rtp.items() if "_in_" in k or k == "rtcp_rtt_ms"})
        out.update(self.audio_meter.summary())
        out.update(self.video_meter.summary())
        out["probes_echoed"] = self.probes
        out["connection"] = self.pc.connectionState
        return out

    async def close(self) -> None:
        """Stop our media, close the peer connection, stop the meters."""
        for track in self._tracks:
            track.stop()
        for player in self._players:
            for track in (player.audio, player.video):
                if track is not None:
                    track.stop()
        with contextlib.suppress(Exception):
            await self.pc.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
