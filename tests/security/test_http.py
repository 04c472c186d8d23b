"""Hostile HTTP clients (issue "Hardening", reproductions 5, 6, 7, 9 and 10).

Unauthenticated exhaustion (idle connections, slowloris, huge heads and bodies),
password guessing, refusals that would fill the disk, malformed input that used
to be a 500, and the security headers of every response.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from pathlib import Path

import httpx
import pytest

from controlroom.auth import accounts as accounts_module
from controlroom.service.sessions import AmbiguousLogin
from signaling.http_guard import HttpLimits
from tests.conftest import DEMO
from tests.support.server import RunningHub, running_hub
from tests.support.timing import timeout


def _port(hub: RunningHub) -> int:
    return int(hub.url.rsplit(":", 1)[1])


async def _closed_by_server(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent before it closed the connection (waits for the close)."""
    received = b""
    async with asyncio.timeout(timeout(seconds)):
        with contextlib.suppress(ConnectionResetError):  # closed with unread data: a reset
            while chunk := await reader.read(65536):
                received += chunk
    return received


@pytest.fixture
async def guarded(tmp_path: Path):
    """A hub with a 1 s header deadline, 5 connections per address, loopback not trusted."""
    limits = HttpLimits(header_timeout_s=1.0, max_per_client=5, trusted=frozenset())
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, http_limits=limits) as hub:
        yield hub


async def test_idle_and_slowloris_connections_are_closed(guarded):
    """Silent connections and a head sent a byte at a time are closed at the deadline."""
    port = _port(guarded)
    idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()

    async def trickle() -> None:
        with contextlib.suppress(OSError):
            for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200:
                slow_writer.write(bytes([byte]))
                await slow_writer.drain()
                await asyncio.sleep(0.05)

    dripping = asyncio.create_task(trickle())
    for reader, _writer in idle:
        assert await _closed_by_server(reader, 5) == b""
    assert b"200 OK" not in await _closed_by_server(slow_reader, 5)
    assert time.monotonic() - started < timeout(4)
    dripping.cancel()
    assert guarded.runtime.options.http_limits.timed_out >= 4


async def test_a_complete_request_is_served_and_the_next_one_has_a_deadline_too(guarded):
    """Keep-alive: the first request is answered; silence afterwards closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(guarded))
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    received = await _closed_by_server(reader, 8)
    assert received.startswith(b"HTTP/1.1 200")


async def test_connections_per_address_are_capped(guarded):
    """The sixth connection from one address is refused while five are open."""
    port = _port(guarded)
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
    reader, _ = await asyncio.open_connection("127.0.0.1", port)
    assert await _closed_by_server(reader, 5) == b""
    assert guarded.runtime.options.http_limits.refused == 1
    for _, writer in held:
        writer.close()


async def test_huge_heads_and_bodies_are_refused(hub):
    """A 2 MB header and a half-sent 1 MiB one: 400 or closed; a 10 MB login body: 413."""
    port = _port(hub)
    for head in (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20),
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        with contextlib.suppress(OSError):
            writer.write(head)
            await writer.drain()
        answer = await _closed_by_server(reader, 10)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:80]
    async with httpx.AsyncClient(base_url=hub.url) as http:
        big = await http.post(
            "/api/login", content=b'{"username":"' + b"a" * 10_000_000 + b'"}',
            headers={"content-type": "application/json"},
        )  # fmt: skip
        assert big.status_code == 413

        async def chunks():
            for _ in range(200):
                yield b"a" * 65536

        streamed = await http.post("/api/login", content=chunks())
        assert streamed.status_code == 413


async def test_malformed_bodies_and_tokens_are_4xx(hub):
    """Deep nesting, a lone surrogate password, a non-ASCII bearer token: never a 500."""
    token = await hub.login("operator")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        deep = "[" * 60000
        login = await http.post("/api/login", content=deep)
        assert login.status_code == 413, "a login body is small"
        nested = await http.post("/api/login", content="[" * 4000)
        assert nested.status_code == 400 and nested.json()["code"] == "bad_frame"
        command = await http.post(
            "/api/conferences/demo/commands",
            content=deep,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert command.status_code == 400
        surrogate = await http.post(
            "/api/login", content='{"username":"operator","password":"\\ud800"}'
        )
        assert surrogate.status_code == 422 and surrogate.json()["field"] == "password"
        weird = await http.get(
            "/api/conferences/demo/snapshot",
            headers={"Authorization": "Bearer demo~thông.báo".encode()},
        )
        assert weird.status_code == 401


async def test_every_response_carries_the_security_headers(hub):
    """CSP with frame-ancestors 'none', X-Frame-Options, nosniff; no-store on tokens."""
    async with httpx.AsyncClient(base_url=hub.url) as http:
        for path in ("/", "/app.js", "/style.css", "/healthz"):
            r = await http.get(path)
            assert r.status_code == 200, path
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["x-content-type-options"] == "nosniff"
        login = await http.post("/api/login", json={"username": "operator", "password": "demo"})
        assert login.status_code == 200
        assert login.headers["cache-control"] == "no-store"


async def test_password_guessing_is_throttled_per_account(hub):
    """After 10 wrong passwords a name is refused (429, Retry-After), even the right one."""
    async with httpx.AsyncClient(base_url=hub.url) as http:
        statuses = []
        for _ in range(12):
            r = await http.post("/api/login", json={"username": "chair", "password": "guess"})
            statuses.append(r.status_code)
        assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
        right = await http.post("/api/login", json={"username": "chair", "password": "demo"})
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
        other = await http.post("/api/login", json={"username": "operator", "password": "demo"})
        assert other.status_code == 200, "another account is not locked out"
    metrics = hub.runtime.metrics.render().decode()
    assert 'controlroom_refusals_total{code="rate_limited",kind="login"} 3.0' in metrics


async def test_an_unknown_name_costs_the_same_password_check(hub, monkeypatch):
    """The answer's time must not tell which names exist: one scrypt check either way."""
    calls: list[str] = []
    real = accounts_module.verify_password

    def counting(password: str, stored: str) -> bool:
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(accounts_module, "verify_password", counting)
    monkeypatch.setattr("controlroom.service.sessions.verify_password", counting)
    async with httpx.AsyncClient(base_url=hub.url) as http:
        for username in ("operator", "no-such-user"):
            calls.clear()
            r = await http.post("/api/login", json={"username": username, "password": "wrong"})
            assert r.status_code == 401
            assert len(calls) == 1, (username, calls)


def _second_conference(tmp_path: Path) -> Path:
    """A copy of the demo under another id and title: the same accounts in two conferences."""
    other = tmp_path / "other"
    shutil.copytree(DEMO, other)
    toml = (other / "conference.toml").read_text(encoding="utf-8")
    toml = toml.replace('id = "demo"', 'id = "other"').replace("title = ", 'title = "Khác" #', 1)
    (other / "conference.toml").write_text(toml, encoding="utf-8")
    return other


async def test_tokens_are_bound_to_their_conference(tmp_path):
    """A token signed for one conference is refused when presented for another."""
    other = _second_conference(tmp_path)
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, extra_configs=[other]) as hub:
        auth = hub.runtime.auth
        assert auth is not None
        with pytest.raises(AmbiguousLogin) as several:
            auth.login("operator", "demo")
        assert sorted(several.value.conferences) == ["demo", "other"]
        issued = auth.login("operator", "demo", "other")
        assert issued is not None and issued[1].conference == "other"
        token = issued[0]
        carried = "demo~" + token.split("~", 1)[1]
        assert auth.principal(token) is not None
        assert auth.principal(carried) is None


async def test_login_offers_the_conferences_when_one_account_is_in_several(tmp_path):
    """Over HTTP: 409 with the conferences and their titles; with a choice, a token."""
    other = _second_conference(tmp_path)
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=30, extra_configs=[other]) as hub:
        async with httpx.AsyncClient(base_url=hub.url) as http:
            r = await http.post("/api/login", json={"username": "operator", "password": "demo"})
            assert r.status_code == 409
            body = r.json()
            assert body["code"] == "conflict" and body["field"] == "conference"
            assert {c["id"] for c in body["conferences"]} == {"demo", "other"}
            chosen = await http.post(
                "/api/login",
                json={"username": "operator", "password": "demo", "conference": "other"},
            )
            assert chosen.status_code == 200 and chosen.json()["conference"] == "other"


async def test_refused_commands_are_rate_limited_before_they_are_stored(hub):
    """The chair's flood of refused commands: stored up to the burst, then rate_limited."""
    token = await hub.login("chair")
    answers = []
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=hub.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for i in range(60):
            r = await http.post(
                "/api/conferences/demo/commands",
                json={"id": f"flood-{i}", "name": "conference.phase", "args": {"phase": "ended"}},
            )
            answers.append(r.json()["code"])
    elapsed = time.monotonic() - started
    assert answers[:20] == ["forbidden"] * 20
    assert set(answers[20:]) <= {"forbidden", "rate_limited"} and "rate_limited" in answers
    stored = [
        i
        for i in range(60)
        if await hub.hub.store.answer("demo", "chair", f"flood-{i}") is not None
    ]
    options = hub.runtime.options
    allowed = options.refusal_burst + options.refusal_rate * elapsed + 1
    assert 20 <= len(stored) <= allowed, "refusals past the burst are not written"


async def test_a_refused_hello_is_counted(hub):
    """A hello with a bad token is counted in /metrics with its code."""
    from tests.support.client import Client

    client = await Client.connect(hub.ws_url, "demo~bad.token")
    assert await client.wait_closed() == 4001
    metrics = hub.runtime.metrics.render().decode()
    assert 'controlroom_refusals_total{code="unauthenticated",kind="hello"} 1.0' in metrics
