"""The documented deployment, run for real: nginx with TLS in front of a hub.

``deploy/nginx-controlroom.conf`` itself is used (only its ports and certificate
paths replaced): a console logs in over HTTPS, keeps a ``wss://`` session with a
browser's Origin, a site's fault reaches the operator, and a test call is set up
through the proxy (its media flows directly, as it would with TURN or on a LAN).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import os
import re
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from controlroom.agent.session import HubSession
from controlroom.agent.testcall import CAPS, CallAnswerer
from media.answerer import AnswerOptions
from tests.conftest import DEMO, ROOT
from tests.integration.test_testcalls import settings
from tests.support.client import Client
from tests.support.processes import free_port
from tests.support.server import running_hub
from tests.support.timing import timeout

SITE_CONF = ROOT / "deploy" / "nginx-controlroom.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/test does)")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "controlroom test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_config(hub_port: int, tls_port: int, http_port: int, cert: Path, key: Path) -> str:
    """The shipped site file with this test's ports and certificate."""
    text = SITE_CONF.read_text(encoding="utf-8")
    replacements = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{hub_port};"),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;"),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"\s*listen \[::\]:(80|443)( ssl http2)?;", ""),
        (r"/etc/ssl/controlroom/fullchain\.pem", str(cert)),
        (r"/etc/ssl/controlroom/privkey\.pem", str(key)),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx-controlroom.conf no longer has {pattern!r}"
    return text


@contextlib.asynccontextmanager
async def nginx(directory: Path, site: str, tls_port: int) -> AsyncIterator[None]:
    """nginx in the foreground with ``site`` in its http block; stopped afterwards."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "site.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {directory / sub};\n"
        for kind, sub in [
            ("client_body", "body"),
            ("proxy", "proxy"),
            ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"),
            ("scgi", "scgi"),
        ]
    )
    (directory / "nginx.conf").write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log off;\n{temp}    include {directory / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    assert NGINX is not None
    args = [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf")]
    checked = subprocess.run([*args, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    try:
        async with asyncio.timeout(timeout(10)):  # until nginx accepts connections
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", tls_port)
                    writer.close()
                    break
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                await asyncio.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(10)


async def test_consoles_sessions_and_a_test_call_through_nginx_with_tls(tmp_path, monkeypatch):
    """Login over HTTPS, wss:// sessions with an Origin, a fault, a test call: all via nginx."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the agent trusts it as a site would a CA
    context = ssl.create_default_context(cafile=str(cert))
    tls_port, http_port = free_port(), free_port()
    base = f"https://127.0.0.1:{tls_port}"
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=2, testcall=settings()) as hub:
        hub_port = int(hub.url.rsplit(":", 1)[1])
        site = site_config(hub_port, tls_port, http_port, cert, key)
        async with nginx(tmp_path / "nginx", site, tls_port):
            async with httpx.AsyncClient(base_url=base, verify=context) as http:
                page = await http.get("/")
                assert page.status_code == 200 and "<html" in page.text.lower()
                plain = await httpx.AsyncClient().get(f"http://127.0.0.1:{http_port}/x")
                assert plain.status_code == 301
                assert plain.headers["location"].startswith("https://127.0.0.1")
                login = await http.post(
                    "/api/login", json={"username": "operator", "password": "demo"}
                )
                token = login.json()["token"]
            wss = f"wss://127.0.0.1:{tls_port}/ws"
            op = await Client.connect(wss, token, ssl=context, origin=base)
            assert op.synced is not None, op.frames[-1]
            session = HubSession(base, "site-hni", "demo", caps=CAPS)
            answerer = CallAnswerer(session, AnswerOptions(fps=12))
            runner = asyncio.create_task(session.run())
            try:
                await asyncio.wait_for(session.connected.wait(), timeout(10))
                ack = await session.command(
                    "fault.report",
                    {"category": "audio", "severity": "major", "description": "Mất tiếng"},
                )
                assert ack["type"] == "ack", ack
                fault = await op.event("fault.reported", seconds=10)
                assert fault["data"]["site"] == "HNI"
                assert (await op.cmd("testcall.start", {"site": "HNI"}))["type"] == "ack"
                result = await op.event("testcall.result", seconds=30, site="HNI")
                assert result["data"]["verdict"] == "pass", result["data"]["reasons"]
            finally:
                await answerer.close()
                session.stop()
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(runner, timeout(5))
                await op.close()
