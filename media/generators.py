"""Generated media for test calls: a tone (or silence) and a numbered test pattern.

Rules:

- Frames are paced in real time from the track's own start, as aiortc's own
  ``AudioStreamTrack`` / ``VideoStreamTrack`` do, so a slow consumer never makes
  the track run ahead of the clock.
- The tone is 48 kHz mono s16 in 20 ms frames at a known level (default
  -20 dBFS, where a full-scale sine is 0 dBFS, AES17).
- The pattern (yuv420p) carries a 64-bit code on its two top rows of 10×10-pixel
  blocks: an 8-bit marker, a 24-bit frame counter and the low 32 bits of the
  sender's Unix time in ms, most significant bit first; below it a bar moves one
  step per frame. :func:`read_pattern` decodes it again from a received frame, so
  the far end can tell a fresh frame from a repeated one.
- No numpy: planes are built and read as bytes. Nothing here imports controlroom.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import struct
import time

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

SAMPLE_RATE = 48_000
AUDIO_PTIME = 0.020
VIDEO_CLOCK = 90_000
MARKER = 0b1011_0010
BLOCK = 10
BITS = 64
_BLACK, _WHITE, _GREY = 16, 235, 96


class ToneTrack(MediaStreamTrack):
    """A sine tone at ``level_dbfs`` (``None``: digital silence), 48 kHz mono."""

    kind = "audio"

    def __init__(self, frequency_hz: float = 1000.0, level_dbfs: float | None = -20.0) -> None:
        super().__init__()
        self.samples = int(SAMPLE_RATE * AUDIO_PTIME)
        self._payload = _tone_frame(self.samples, frequency_hz, level_dbfs)
        self._phase = 0
        self._start: float | None = None
        self._pts = 0
        self._time_base = fractions.Fraction(1, SAMPLE_RATE)

    async def recv(self) -> AudioFrame:
        """The next 20 ms frame, when it is due."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._pts += self.samples
            wait = self._start + self._pts / SAMPLE_RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = AudioFrame(format="s16", layout="mono", samples=self.samples)
        frame.planes[0].update(self._payload)
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = self._time_base
        return frame


def _tone_frame(samples: int, frequency_hz: float, level_dbfs: float | None) -> bytes:
    """One frame's samples; the frequency is rounded so every frame starts at phase 0."""
    if level_dbfs is None:
        return bytes(2 * samples)
    cycles = max(1, round(frequency_hz * samples / SAMPLE_RATE))
    amplitude = 32767 * 10 ** (level_dbfs / 20)
    values = [int(amplitude * math.sin(2 * math.pi * cycles * i / samples)) for i in range(samples)]
    return struct.pack(f"<{samples}h", *values)


class PatternTrack(MediaStreamTrack):
    """A numbered test pattern, ``width``×``height`` at ``fps`` frames per second."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        if width < BLOCK * BITS // 2 or height < 4 * BLOCK:
            raise ValueError(f"a test pattern needs at least {BLOCK * BITS // 2}×{4 * BLOCK}")
        self.width, self.height, self.fps = width, height, fps
        self.counter = 0
        self._start: float | None = None
        self._background = bytes([_GREY]) * (width * height)
        self._chroma = bytes([128]) * ((width // 2) * (height // 2))
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK)

    async def recv(self) -> VideoFrame:
        """The next frame, when it is due."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self.counter += 1
            wait = self._start + self.counter / self.fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = VideoFrame(self.width, self.height, "yuv420p")
        luma = self._draw(self.counter, int(time.time() * 1000))
        _fill_plane(frame, 0, luma, self.width)
        _fill_plane(frame, 1, self._chroma, self.width // 2)
        _fill_plane(frame, 2, self._chroma, self.width // 2)
        frame.pts = int(self.counter * VIDEO_CLOCK / self.fps)
        frame.time_base = self._time_base
        return frame

    def _draw(self, counter: int, now_ms: int) -> bytearray:
        w, h = self.width, self.height
        y = bytearray(self._background)
        code = (MARKER << 56) | ((counter & 0xFFFFFF) << 32) | (now_ms & 0xFFFFFFFF)
        per_row = BITS // 2
        for row in range(2):
            line = bytearray()
            for k in range(per_row):
                bit = (code >> (BITS - 1 - (row * per_row + k))) & 1
                line += bytes([_WHITE if bit else _BLACK]) * BLOCK
            for r in range(row * BLOCK, (row + 1) * BLOCK):
                y[r * w : r * w + len(line)] = line
        bar = bytes([_WHITE]) * (2 * BLOCK)
        x = (counter * 4) % (w - len(bar))
        for r in range(3 * BLOCK, h):
            y[r * w + x : r * w + x + len(bar)] = bar
        return y


def _fill_plane(frame: VideoFrame, index: int, data: bytes | bytearray, width: int) -> None:
    plane = frame.planes[index]
    stride = plane.line_size
    if stride == width:
        plane.update(bytes(data))
        return
    rows = len(data) // width
    padded = bytearray(stride * rows)
    for r in range(rows):
        padded[r * stride : r * stride + width] = data[r * width : (r + 1) * width]
    plane.update(bytes(padded))


def read_pattern(frame: VideoFrame) -> tuple[int, int] | None:
    """``(counter, sent_ms_low32)`` from a frame of :class:`PatternTrack`, else None."""
    if frame.format.name not in ("yuv420p", "yuvj420p") or frame.width < BLOCK * BITS // 2:
        return None
    plane = frame.planes[0]
    data = bytes(plane)
    stride = plane.line_size
    per_row = BITS // 2
    code = 0
    for row in range(2):
        r = row * BLOCK + BLOCK // 2
        for k in range(per_row):
            value = data[r * stride + k * BLOCK + BLOCK // 2]
            code = (code << 1) | (1 if value > 128 else 0)
    if code >> 56 != MARKER:
        return None
    return (code >> 32) & 0xFFFFFF, code & 0xFFFFFFFF
