"""The session rules of PROTOCOL.md over a real server: hello, codecs, limits, close codes."""

import asyncio
import json
import shutil

import httpx
import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub
from tests.support.timing import timeout


@pytest.mark.parametrize("codec", ["json", "msgpack"])
async def test_hello_gets_welcome_snapshot_synced(hub, codec):
    """A valid hello is answered by welcome, a snapshot of the whole state, then synced."""
    token = await hub.login("operator")
    client = await Client.connect(hub.ws_url, token, codec=codec)
    kinds = [f["type"] for f in client.frames if f["type"] != "ping"]
    assert kinds[:3] == ["welcome", "snapshot", "synced"]
    w = client.welcome
    assert (w["account"], w["role"], w["site"], w["conference"]) == (
        "operator",
        "operator",
        None,
        "demo",
    )
    assert w["heartbeat_s"] == 30 and isinstance(w["server_time"], int)
    state = client.snapshot["state"]
    assert state["conference"]["id"] == "demo"
    assert len(state["sites"]) == 35 and state["sites"]["HNI"]["name"] == "Hà Nội"
    assert len(state["agenda"]["items"]) >= 12
    await client.close()


async def test_json_codec_is_the_default_when_no_subprotocol_is_offered(hub):
    """A client offering no subprotocol is spoken to in JSON text frames."""
    token = await hub.login("chair")
    async with connect(hub.ws_url) as ws:
        assert ws.subprotocol is None
        await ws.send(json.dumps({"type": "hello", "token": token, "conference": "demo"}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), timeout()))
        assert welcome["type"] == "welcome" and welcome["role"] == "chair"


async def test_bad_token_gets_error_then_close_4001(hub):
    """A bad token is told `unauthenticated` and the connection closes with 4001."""
    client = await Client.connect(hub.ws_url, "demo~forged.token")
    assert client.frames[0]["type"] == "error" and client.frames[0]["code"] == "unauthenticated"
    assert await client.wait_closed() == 4001


async def test_revoked_account_is_refused(tmp_path):
    """After `accounts revoke`, the account's existing token no longer opens a session."""
    conference = tmp_path / "conf"
    shutil.copytree(DEMO, conference)  # never change the shipped demo accounts
    async with running_hub(conference, tmp_path / "d", heartbeat_s=30) as h:
        token = await h.login("site-hue")
        h.runtime.accounts["demo"].revoke("site-hue")
        client = await Client.connect(h.ws_url, token)
        assert client.frames[0]["code"] == "unauthenticated"
        assert await client.wait_closed() == 4001


async def test_no_hello_closes_with_4001(tmp_path):
    """A client that never says hello is closed with 4001 when the hello time is up."""
    async with running_hub(DEMO, tmp_path / "d", hello_timeout_s=0.3) as h:
        client = await Client.connect(h.ws_url, None, hello=False)
        assert await client.wait_closed() == 4001
        assert any(f.get("code") == "unauthenticated" for f in client.frames)


async def test_commands_before_hello_are_refused(hub):
    """A cmd before hello gets `unauthenticated` and no effect."""
    client = await Client.connect(hub.ws_url, None, hello=False)
    await client.send(
        {"type": "cmd", "id": "x", "name": "conference.phase", "args": {"phase": "live"}}
    )
    err = await client.wait_for(lambda f: f["type"] == "error")
    assert err["code"] == "unauthenticated" and err["id"] == "x"
    assert hub.hub.durable_seq == 0


@pytest.mark.parametrize("codec", ["json", "msgpack"])
async def test_undecodable_frames_get_bad_frame_and_the_session_lives(hub, codec):
    """Garbage, a non-map and a map without type each get bad_frame; commands still work."""
    token = await hub.login("operator")
    client = await Client.connect(hub.ws_url, token, codec=codec)
    if codec == "json":
        garbage = ["{not json", "[1,2,3]", '{"kind":"x"}']
    else:
        garbage = [b"\xc1\xc1", msgpack.packb([1, 2]), msgpack.packb({"kind": "x"})]
    for payload in garbage:
        start = len(client.frames)
        await client.ws.send(payload)
        err = await client.wait_for(lambda f: f["type"] == "error", start=start)
        assert err["code"] == "bad_frame"
    ack = await client.cmd("conference.phase", {"phase": "rehearsal"})
    assert ack["type"] == "ack"


async def test_unknown_frame_type_is_bad_frame(hub):
    """A frame type the protocol does not know is answered with bad_frame."""
    client = await Client.connect(hub.ws_url, await hub.login("operator"))
    start = len(client.frames)
    await client.send({"type": "teleport"})
    err = await client.wait_for(lambda f: f["type"] == "error", start=start)
    assert err["code"] == "bad_frame"


async def test_oversized_frame_closes_1009(hub):
    """A frame over 64 KiB closes the connection with 1009."""
    client = await Client.connect(hub.ws_url, await hub.login("operator"))
    await client.send(
        {"type": "cmd", "id": "big", "name": "fault.note", "args": {"text": "x" * 70_000}}
    )
    assert await client.wait_closed() == 1009


async def test_rate_limit_answers_rate_limited_without_disconnecting(hub):
    """A burst past the per-session rate gets rate_limited errors; the session stays open."""
    client = await Client.connect(hub.ws_url, await hub.login("site-hni"))
    for i in range(60):
        await client.send(
            {
                "type": "cmd",
                "id": f"r{i}",
                "name": "site.status",
                "args": {"audio": "ok", "video": "ok", "note": str(i)},
            }
        )
    answers = [await client.wait_for(lambda f, i=i: f.get("id") == f"r{i}") for i in range(60)]
    codes = [a.get("code") for a in answers if a["type"] == "error"]
    assert codes and set(codes) == {"rate_limited"}
    assert sum(a["type"] == "ack" for a in answers) >= 40
    assert client.closed_code is None


async def test_foreign_origin_is_refused_and_own_origin_accepted(hub):
    """A browser page from another origin cannot open /ws; our own origin can."""
    host = hub.url.removeprefix("http://")
    with pytest.raises(InvalidStatus) as err:
        async with connect(hub.ws_url, origin="http://evil.example"):
            pass
    assert err.value.response.status_code == 403
    async with connect(hub.ws_url, origin=f"http://{host}") as ws:
        await ws.send(json.dumps({"type": "hello", "token": await hub.login("chair")}))
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout()))["type"] == "welcome"


async def test_http_routes_login_conferences_snapshot_events_health(hub):
    """Login, conferences, snapshot, events and healthz answer as PROTOCOL.md says."""
    async with httpx.AsyncClient(base_url=hub.url) as http:
        assert (
            await http.post("/api/login", json={"username": "operator", "password": "x"})
        ).status_code == 401
        assert (await http.get("/api/conferences")).status_code == 401
        r = await http.post("/api/login", json={"username": "site-hue", "password": "demo"})
        body = r.json()
        assert (body["role"], body["site"]) == ("site", "HUE")
        auth = {"Authorization": f"Bearer {body['token']}"}
        confs = (await http.get("/api/conferences", headers=auth)).json()
        assert confs[0]["id"] == "demo" and confs[0]["phase"] == "planned"
        snap = (await http.get("/api/conferences/demo/snapshot", headers=auth)).json()
        assert list(snap["state"]["sites"]) == ["HUE"]
        cmd = {
            "id": "h1",
            "name": "fault.report",
            "args": {"category": "video", "severity": "minor", "description": "Hình bị giật"},
        }
        ack = (await http.post("/api/conferences/demo/commands", json=cmd, headers=auth)).json()
        assert ack["type"] == "ack" and ack["result"]["fault_id"]
        events = (await http.get("/api/conferences/demo/events?after=0", headers=auth)).json()
        assert [e["name"] for e in events["events"]] == ["fault.reported"] and events["seq"] == ack[
            "seq"
        ]
        assert (await http.get("/api/conferences/nope/snapshot", headers=auth)).status_code == 404
        assert (await http.get("/healthz")).status_code == 200


async def test_http_command_errors_map_to_statuses(hub):
    """HTTP answers errors with 4xx statuses: 401, 403, 404, 409, 413, 422, 400."""
    op = {"Authorization": f"Bearer {await hub.login('operator')}"}
    site = {"Authorization": f"Bearer {await hub.login('site-hni')}"}
    url = "/api/conferences/demo/commands"
    async with httpx.AsyncClient(base_url=hub.url) as http:

        async def post(body, headers):
            return await http.post(url, json=body, headers=headers)

        assert (await post({"id": 1, "name": "agenda.advance"}, {})).status_code == 401
        assert (
            await post({"id": 2, "name": "agenda.advance", "args": {}}, site)
        ).status_code == 403
        assert (
            await post({"id": 3, "name": "fault.ack", "args": {"fault_id": "F9999"}}, op)
        ).status_code == 404
        assert (await post({"id": 4, "name": "agenda.finish", "args": {}}, op)).status_code == 409
        assert (
            await post({"id": 5, "name": "fault.report", "args": {"site": "HNI"}}, op)
        ).status_code == 422
        assert (await post({"id": 6, "name": "no.such", "args": {}}, op)).status_code == 400
        big = await http.post(
            url, content=b'{"id":7,"name":"x","args":{"t":"' + b"x" * 70_000 + b'"}}', headers=op
        )
        assert big.status_code == 413 and big.json()["code"] == "too_large"
        assert (await http.post(url, content=b"{oops", headers=op)).status_code == 400
