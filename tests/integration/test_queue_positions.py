"""A site learns its requests' places in the whole queue, live, without seeing the queue."""

from __future__ import annotations

from tests.support.client import Client


def _queue_frames(client: Client) -> list[dict]:
    return [f for f in client.frames if f.get("type") == "queue"]


async def test_each_site_hears_where_its_requests_stand(hub):
    assistant = await Client.connect(hub.ws_url, await hub.login("assistant"))
    hue = await Client.connect(hub.ws_url, await hub.login("site-hue"))
    dng = await Client.connect(hub.ws_url, await hub.login("site-dng"))
    ask = {"speaker": "Ông A", "title": "Giám đốc", "topic": "T", "kind": "speech"}
    r_dng = (await dng.cmd("speak.request", ask))["result"]["request_id"]
    r_hue = (await hue.cmd("speak.request", {**ask, "speaker": "Bà B"}))["result"]["request_id"]
    await assistant.cmd("speak.approve", {"request_id": r_dng})
    await assistant.cmd("speak.approve", {"request_id": r_hue})
    frame = await hue.wait_for(lambda f: f.get("type") == "queue" and f["positions"])
    assert frame == {"type": "queue", "positions": {r_hue: 2}, "length": 2}
    assert all(r_dng not in f["positions"] for f in _queue_frames(hue))  # never another's id

    await assistant.cmd("speak.move", {"request_id": r_hue, "position": 1})
    await hue.wait_for(lambda f: f.get("type") == "queue" and f["positions"] == {r_hue: 1})
    await dng.wait_for(lambda f: f.get("type") == "queue" and f["positions"] == {r_dng: 2})

    # A console connecting now starts from the snapshot's positions.
    late = await Client.connect(hub.ws_url, await hub.login("site-dng"))
    assert late.synced is not None
    snapshot = next(f for f in late.frames if f.get("type") == "snapshot")
    assert snapshot["state"]["speaking"]["requests"][r_dng]["position"] == 2

    await assistant.cmd("speak.grant", {"request_id": r_hue})
    await hue.wait_for(lambda f: f.get("type") == "queue" and f["positions"] == {})
    await dng.wait_for(lambda f: f.get("type") == "queue" and f["positions"] == {r_dng: 1})
    for client in (assistant, hue, dng, late):
        await client.close()
