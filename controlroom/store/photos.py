"""Photos attached to a site's messages: checked once, stored where every instance reads.

A photo is stored under an id derived from its bytes and its site (the first 32 hex
digits of ``sha256(site NUL bytes)``): the same picture sent twice is stored once,
and an id says nothing a site could use to guess another site's photos. Beside the
bytes are the site it belongs to and its type, which decide who may see it.

- :class:`FilePhotos`: the embedded default, files in ``<data>/photos``.
- :class:`RedisPhotos`: for Redis deployments, ``cr:{C}:photo:<id>`` hashes, so that
  any instance serves a photo another instance took in.

The type is read from the bytes (JPEG, PNG or WebP), never from a header the sender
chose; anything else is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: A phone's photo after the console scales it down is 0.2 to 1 MB; a camera's original
#: sent by the agent may be larger. More than this is refused (413).
MAX_PHOTO_BYTES = 6 << 20
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def photo_type(data: bytes) -> str | None:
    """The image type of ``data`` by its first bytes, or None if it is not a photo we take."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_id(site: str, data: bytes) -> str:
    """The id a photo of ``site`` is stored under."""
    return hashlib.sha256(site.encode() + b"\0" + data).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Photo:
    """A stored photo: its bytes, type and the site it belongs to."""

    photo_id: str
    site: str
    content_type: str
    data: bytes


class PhotoStore(Protocol):
    """Where the photos of every conference are kept."""

    async def put(self, conference: str, photo: Photo) -> None:
        """Keep ``photo`` (storing the same id again changes nothing)."""

    async def get(self, conference: str, photo_id: str) -> Photo | None:
        """The photo of that id, or None."""

    async def close(self) -> None:
        """Release connections."""


class FilePhotos:
    """Photos as files: ``<root>/<conference>/<id>`` and ``<id>.json`` beside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _paths(self, conference: str, photo_id: str) -> tuple[Path, Path]:
        folder = self.root / conference
        return folder / photo_id, folder / f"{photo_id}.json"

    async def put(self, conference: str, photo: Photo) -> None:
        """Write the bytes, then the metadata (a photo without it is never served)."""
        await asyncio.to_thread(self._put, conference, photo)

    def _put(self, conference: str, photo: Photo) -> None:
        data_path, meta_path = self._paths(conference, photo.photo_id)
        if meta_path.exists():
            return
        data_path.parent.mkdir(parents=True, exist_ok=True)
        for path, body in (
            (data_path, photo.data),
            (meta_path, json.dumps({"site": photo.site, "type": photo.content_type}).encode()),
        ):
            partial = path.with_name(path.name + ".part")
            with open(partial, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)

    async def get(self, conference: str, photo_id: str) -> Photo | None:
        """The photo, read in a thread."""
        return await asyncio.to_thread(self._get, conference, photo_id)

    def _get(self, conference: str, photo_id: str) -> Photo | None:
        data_path, meta_path = self._paths(conference, photo_id)
        try:
            meta = json.loads(meta_path.read_bytes())
            data = data_path.read_bytes()
        except (OSError, ValueError):
            return None
        return Photo(photo_id, str(meta["site"]), str(meta["type"]), data)

    async def close(self) -> None:
        """Nothing to release."""


class RedisPhotos:
    """Photos in Redis, beside the conference's log (the same hash tag)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(url)

    @staticmethod
    def _key(conference: str, photo_id: str) -> str:
        return f"cr:{{{conference}}}:photo:{photo_id}"

    async def put(self, conference: str, photo: Photo) -> None:
        """One HSET of bytes, site and type (all or nothing)."""
        mapping = {"data": photo.data, "site": photo.site, "type": photo.content_type}
        await self._redis.hset(self._key(conference, photo.photo_id), mapping=mapping)  # type: ignore[arg-type]

    async def get(self, conference: str, photo_id: str) -> Photo | None:
        """The photo, or None."""
        fields: dict[bytes, bytes] = await self._redis.hgetall(  # type: ignore[misc,assignment]
            self._key(conference, photo_id)
        )
        if not fields or b"data" not in fields:
            return None
        site, kind = fields[b"site"].decode(), fields[b"type"].decode()
        return Photo(photo_id, site, kind, fields[b"data"])

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
