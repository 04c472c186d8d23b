"""What one end measures of the media it receives: audio level and silence, video rate.

Rules:

- Audio level is in dBFS where a full-scale sine reads 0 dBFS (AES17):
  ``20·log10(√2·rms / 32768)``. ``level_dbfs`` is the RMS over the whole call;
  ``peak_dbfs`` the loudest 100 ms window. The audio is *silent* when no window
  reaches ``silence_dbfs`` (default -55 dBFS), or when no audio arrived at all.
- Video frame rate is frames received over the time between the first and the
  last; a frame is *fresh* when it differs from the one before: by the pattern's
  counter when it carries one (:func:`media.generators.read_pattern`), else by a
  sample of its luma. The video is *frozen* when no fresh frame came for
  ``freeze_s`` (default 1.5 s) at any point after the first frame, including the
  end of the call.
- Consumers read a remote track until it ends and never raise: a track that stops
  just stops the count. Time comes from ``time.monotonic``.
"""

from __future__ import annotations

import contextlib
import math
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

from media.generators import read_pattern

WINDOW_S = 0.1
SILENCE_DBFS = -55.0
FREEZE_S = 1.5
_FLOOR_DBFS = -120.0


def dbfs(rms: float) -> float:
    """RMS of s16 samples as dBFS (a full-scale sine is 0 dBFS); -120 for silence."""
    if rms <= 0:
        return _FLOOR_DBFS
    return max(_FLOOR_DBFS, 20 * math.log10(math.sqrt(2) * rms / 32768))


@dataclass
class AudioMeter:
    """Level of received audio frames."""

    silence_dbfs: float = SILENCE_DBFS
    frames: int = 0
    _sum_sq: float = 0.0
    _count: int = 0
    _win_sq: float = 0.0
    _win_count: int = 0
    _win_samples: int = 0
    _peak_rms: float = 0.0

    def feed(self, frame: AudioFrame) -> None:
        """Add one decoded frame (s16, any layout)."""
        self.frames += 1
        if frame.format.name != "s16":
            return
        samples = array("h")
        samples.frombytes(bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)])
        sq = float(sum(s * s for s in samples))
        n = len(samples)
        self._sum_sq += sq
        self._count += n
        self._win_sq += sq
        self._win_count += n
        self._win_samples += frame.samples
        if self._win_samples >= WINDOW_S * (frame.sample_rate or 48_000):
            self._close_window()

    def _close_window(self) -> None:
        if self._win_count:
            self._peak_rms = max(self._peak_rms, math.sqrt(self._win_sq / self._win_count))
        self._win_sq, self._win_count, self._win_samples = 0.0, 0, 0

    def summary(self) -> dict[str, Any]:
        """``audio_frames``, ``audio_level_dbfs``, ``audio_peak_dbfs``, ``audio_silent``."""
        self._close_window()
        level = dbfs(math.sqrt(self._sum_sq / self._count)) if self._count else _FLOOR_DBFS
        peak = dbfs(self._peak_rms)
        return {
            "audio_frames": self.frames,
            "audio_level_dbfs": round(level, 1),
            "audio_peak_dbfs": round(peak, 1),
            "audio_silent": self.frames == 0 or peak < self.silence_dbfs,
        }


@dataclass
class VideoMeter:
    """Rate, size and freshness of received video frames."""

    freeze_s: float = FREEZE_S
    frames: int = 0
    fresh: int = 0
    width: int = 0
    height: int = 0
    pattern: bool = False
    skipped: int = 0
    first_at: float | None = None
    last_at: float | None = None
    last_fresh_at: float | None = None
    longest_stall_s: float = 0.0
    _signature: Any = None
    _counter: int | None = None
    _marks: list[float] = field(default_factory=list)

    def feed(self, frame: VideoFrame, now: float | None = None) -> None:
        """Add one decoded frame received at ``now`` (monotonic seconds)."""
        now = time.monotonic() if now is None else now
        self.frames += 1
        self.width, self.height = frame.width, frame.height
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        code = read_pattern(frame)
        if code is not None:
            self.pattern = True
            counter = code[0]
            if self._counter is not None and counter > self._counter + 1:
                self.skipped += counter - self._counter - 1
            signature: Any = counter
            self._counter = counter
        else:
            signature = _luma_sample(frame)
        if signature != self._signature:
            self.fresh += 1
            if self.last_fresh_at is not None:
                self.longest_stall_s = max(self.longest_stall_s, now - self.last_fresh_at)
            self.last_fresh_at = now
        self._signature = signature

    def summary(self, now: float | None = None) -> dict[str, Any]:
        """``video_frames``, ``video_fps``, ``video_width``/``height``, ``video_frozen``."""
        now = time.monotonic() if now is None else now
        span = (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0
        fps = (self.frames - 1) / span if span > 0 else 0.0
        stall = self.longest_stall_s
        if self.last_fresh_at is not None:
            stall = max(stall, now - self.last_fresh_at)
        return {
            "video_frames": self.frames,
            "video_fps": round(fps, 1),
            "video_width": self.width,
            "video_height": self.height,
            "video_frozen": self.frames > 0 and stall >= self.freeze_s,
            "video_skipped": self.skipped,
        }


def _luma_sample(frame: VideoFrame) -> bytes:
    """64 luma bytes from a grid over the frame: enough to see whether it changed."""
    plane = frame.planes[0]
    data = bytes(plane)
    stride, w, h = plane.line_size, frame.width, frame.height
    return bytes(
        data[(h * (2 * i + 1) // 16) * stride + w * (2 * j + 1) // 16]
        for i in range(8)
        for j in range(8)
    )


async def consume(track: MediaStreamTrack, meter: AudioMeter | VideoMeter) -> None:
    """Feed every frame of a remote track to ``meter`` until the track ends."""
    with contextlib.suppress(MediaStreamError):
        while True:
            frame = await track.recv()
            if isinstance(meter, AudioMeter) and isinstance(frame, AudioFrame):
                meter.feed(frame)
            elif isinstance(meter, VideoMeter) and isinstance(frame, VideoFrame):
                meter.feed(frame)
