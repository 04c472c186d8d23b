"""``/api/conferences/{C}/photos``: a photo for a site's thread, taken in and served.

- ``POST /photos`` (site, operator; ``?site=CODE`` for an operator): the body is the
  image itself (JPEG, PNG or WebP, read from its bytes; at most
  :data:`~controlroom.store.photos.MAX_PHOTO_BYTES`). Answer 201 ``{photo_id, type,
  size}``; the photo is then attached with ``msg.send {photo: photo_id}``.
- ``GET /photos/{id}``: the image, to its own site and the central team (admin,
  operator, chair) only; to anyone else it does not exist (404), as another site's
  fault does not.

Refusals use the error frame: 413 ``too_large``, 415 ``invalid_args`` (not an image
we take), 404 ``not_found``, 403 ``forbidden``, 429 ``rate_limited``, 408 for a body
that comes too slowly.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from controlroom.http_body import BadBody, client_address, error, read_body
from controlroom.service.hub import ConferenceHub
from controlroom.service.sessions import Principal
from controlroom.store.photos import MAX_PHOTO_BYTES, Photo, photo_id, photo_type

if TYPE_CHECKING:
    from controlroom.http_api import HttpApi

PHOTO_ID = re.compile(r"[0-9a-f]{32}")
UPLOADERS = frozenset({"site", "operator", "admin"})
CENTRAL = frozenset({"operator", "admin", "chair"})
BODY_TIMEOUT_S = 30.0  # a phone on a slow link sends a photo of a megabyte


async def upload(
    api: HttpApi, request: Request, principal: Principal, hub: ConferenceHub
) -> Response:
    """Take in one photo for a site's thread."""
    actor = principal.actor
    asked = request.query_params.get("site", "").strip()
    if actor.role == "site":
        if asked and asked != actor.site:
            return error("forbidden", f"site {actor.site} may send photos only for itself", 403)
        site = actor.site or ""
    else:
        site = asked
    if site not in hub.durable.sites:
        return error("not_found", f"no site {site!r}", 404, "site")
    if not api.command_buckets.allow(actor.account, time.monotonic()):
        api.runtime.refused("http", "rate_limited", actor.account, client_address(request))
        return error("rate_limited", "too many uploads; slow down", 429)
    try:
        data = await read_body(request, MAX_PHOTO_BYTES, BODY_TIMEOUT_S)
    except BadBody as refused:
        return refused.response
    kind = photo_type(data)
    if kind is None:
        api.runtime.refused("http", "invalid_args", actor.account, client_address(request))
        return error("invalid_args", "the body is not a JPEG, PNG or WebP image", 415, "body")
    photo = Photo(photo_id(site, data), site, kind, data)
    await api.runtime.photos.put(hub.id, photo)
    return JSONResponse(
        {"photo_id": photo.photo_id, "type": kind, "size": len(data)}, status_code=201
    )


async def serve(
    api: HttpApi, request: Request, principal: Principal, hub: ConferenceHub
) -> Response:
    """One photo, to those who may see its site's thread."""
    wanted = request.path_params["photo"]
    actor = principal.actor
    photo = None
    if PHOTO_ID.fullmatch(wanted) and (actor.role in CENTRAL or actor.role == "site"):
        photo = await api.runtime.photos.get(hub.id, wanted)
    if photo is None or (actor.role == "site" and photo.site != actor.site):
        return error("not_found", "no such photo", 404)
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={
            "Cache-Control": "private, max-age=86400, immutable",
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
