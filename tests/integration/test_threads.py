"""A site's thread over the wire: a message with a photo round-trips; no other site sees it."""

from __future__ import annotations

import struct
import zlib

import httpx

from tests.support.client import Client


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, tiny PNG (grey pixels), made with the standard library."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def _upload(hub, token: str, body: bytes, site: str | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=hub.url) as http:
        return await http.post(
            "/api/conferences/demo/photos",
            params={"site": site} if site else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
            content=body,
        )


async def _photo(hub, token: str, photo_id: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=hub.url) as http:
        return await http.get(
            f"/api/conferences/demo/photos/{photo_id}", headers={"Authorization": f"Bearer {token}"}
        )


async def test_a_message_with_a_photo_reaches_the_centre_and_only_its_own_site(hub):
    hue_token, dng_token = await hub.login("site-hue"), await hub.login("site-dng")
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    assistant = await Client.connect(hub.ws_url, await hub.login("assistant"))
    hue = await Client.connect(hub.ws_url, hue_token)
    dng = await Client.connect(hub.ws_url, dng_token)
    picture = png()
    r = await _upload(hub, hue_token, picture)
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["type"] == "image/png" and photo["size"] == len(picture)
    ack = await hue.cmd("msg.send", {"text": "Micro bàn chủ tọa bị rè", "photo": photo["photo_id"]})
    assert ack["type"] == "ack", ack
    seen = await op.event("msg.sent", site="HUE")
    assert seen["data"]["photo"] == photo["photo_id"] and seen["data"]["side"] == "site"

    # The centre sees the photo; another site, and the assistant, are told it does not exist.
    got = await _photo(hub, await hub.login("operator"), photo["photo_id"])
    assert got.status_code == 200 and got.content == picture
    assert got.headers["content-type"] == "image/png"
    assert (await _photo(hub, hue_token, photo["photo_id"])).content == picture
    assert (await _photo(hub, dng_token, photo["photo_id"])).status_code == 404
    assert (await _photo(hub, await hub.login("assistant"), photo["photo_id"])).status_code == 404

    # The centre answers; DNG writes too. DNG's own message arriving proves it was
    # not sent HUE's before it; the assistant hears of neither thread.
    await op.cmd("msg.send", {"site": "HUE", "text": "Đã cử kỹ thuật hỗ trợ"})
    await hue.event("msg.sent", side="centre")
    await dng.cmd("msg.send", {"text": "Điểm cầu Đà Nẵng sẵn sàng"})
    await dng.event("msg.sent", site="DNG")
    assert all(e["data"].get("site") != "HUE" for e in dng.events)
    await assistant.cmd("announce.send", {"text": "Mốc", "sites": ["DNG"]})
    await assistant.event("announce.sent")
    assert not [e for e in assistant.events if e["name"].startswith("msg.")]
    for client in (op, assistant, hue, dng):
        await client.close()


async def test_what_is_not_a_photo_or_not_ones_own_is_refused(hub):
    hue_token = await hub.login("site-hue")
    r = await _upload(hub, hue_token, b"<svg onload=alert(1)></svg>")
    assert r.status_code == 415 and r.json()["code"] == "invalid_args"
    r = await _upload(hub, hue_token, png(), site="DNG")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await _upload(hub, hue_token, b"\xff\xd8\xff" + b"\0" * (7 << 20))
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    op_token = await hub.login("operator")
    r = await _upload(hub, op_token, png())
    assert r.status_code == 404 and r.json()["field"] == "site"  # the operator names the site
    r = await _upload(hub, op_token, png(), site="HUE")
    assert r.status_code == 201
    assert (await _photo(hub, op_token, "../../events.db")).status_code == 404
    assert (await _photo(hub, op_token, "0" * 32)).status_code == 404
