"""Idempotency: the same command id from the same account gives the same answer, once."""

import httpx

from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub


async def test_repeat_over_websocket_and_http_returns_the_same_ack(hub):
    """A repeated id yields the identical ack and no new event, whichever transport."""
    token = await hub.login("site-hni")
    site = await Client.connect(hub.ws_url, token)
    args = {"category": "audio", "severity": "major", "description": "Mất tiếng"}
    first = await site.cmd("fault.report", args, id="same-id")
    second = await site.cmd("fault.report", args, id="same-id")
    assert first == second and hub.hub.durable_seq == 1
    async with httpx.AsyncClient(base_url=hub.url) as http:
        r = await http.post(
            "/api/conferences/demo/commands",
            headers={"Authorization": f"Bearer {token}"},
            json={"id": "same-id", "name": "fault.report", "args": args},
        )
    assert r.json() == first
    assert hub.hub.durable_seq == 1


async def test_the_same_id_from_another_account_is_a_new_command(hub):
    """Ids are unique per account: another account's same id is its own command."""
    a = await Client.connect(hub.ws_url, await hub.login("site-hni"))
    b = await Client.connect(hub.ws_url, await hub.login("site-hcm"))
    args = {"category": "audio", "severity": "minor", "description": "x"}
    ra, rb = await a.cmd("fault.report", args, id="k"), await b.cmd("fault.report", args, id="k")
    assert ra["result"]["fault_id"] != rb["result"]["fault_id"]


async def test_errors_are_remembered_too(hub):
    """A refused command repeated with its id gets the same refusal, even if it could now pass."""
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    first = await op.cmd("agenda.finish", {}, id="fin")
    assert first["code"] == "conflict"
    await op.cmd("agenda.advance", {})
    assert await op.cmd("agenda.finish", {}, id="fin") == first


async def test_repeat_after_restart_returns_the_stored_answer(tmp_path):
    """After the hub restarts on the same data, a repeat returns the stored ack, no new event."""
    data = tmp_path / "data"
    async with running_hub(DEMO, data, heartbeat_s=30) as h:
        token = await h.login("site-hue")
        site = await Client.connect(h.ws_url, token)
        first = await site.cmd(
            "speak.request",
            {"speaker": "Hồ Xuân", "title": "Chủ tịch", "topic": "Di sản", "kind": "speech"},
            id="again",
        )
        await site.close()
    async with running_hub(DEMO, data, heartbeat_s=30) as h:
        site = await Client.connect(h.ws_url, token)
        assert (
            await site.cmd(
                "speak.request",
                {"speaker": "Hồ Xuân", "title": "Chủ tịch", "topic": "Di sản", "kind": "speech"},
                id="again",
            )
            == first
        )
        names = [r.event.name for r in await h.hub.events_after(0)]
        assert names.count("speak.requested") == 1
