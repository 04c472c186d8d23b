"""A real Janus (Debian's ``janus``) for the tests: VideoRoom over HTTP, the Admin API on.

``start_janus(workdir)`` writes a minimal configuration (the VideoRoom plugin and the
HTTP transport only, both bound to 127.0.0.1 on free ports, ICE on loopback only,
an admin secret) and starts ``janus`` in the foreground; ``JanusPeer`` is an aiortc
client that joins a room as a publisher under a display name, as a site's codec
would. Skips (``Unavailable``) when ``janus`` is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import free_port

LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
ADMIN_SECRET = "controlroom-tests"


class Unavailable(Exception):
    """No janus here."""


@dataclass
class Janus:
    """A running janus and where to reach it."""

    proc: subprocess.Popen[bytes]
    url: str
    admin_url: str
    log: Path

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 5 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _lib() -> Path:
    found = shutil.which("janus")
    if found is None:
        raise Unavailable("janus is not installed (apt-get install janus)")
    for candidate in (LIB, *Path("/usr/lib").glob("*/janus")):
        if (candidate / "plugins" / "libjanus_videoroom.so").exists():
            return candidate
    raise Unavailable("the janus VideoRoom plugin is not installed")


async def start_janus(workdir: Path) -> Janus:
    """Write a configuration into ``workdir`` and start janus; wait until it answers."""
    lib = _lib()
    conf = workdir / "janus-conf"
    conf.mkdir(parents=True, exist_ok=True)
    port, admin_port = free_port(), free_port()
    low = 20000 + (os.getpid() % 200) * 100
    (conf / "janus.jcfg").write_text(f"""
general: {{
    configs_folder = "{conf}"
    plugins_folder = "{lib}/plugins"
    transports_folder = "{lib}/transports"
    events_folder = "{lib}/events"
    loggers_folder = "{lib}/loggers"
    debug_level = 3
    admin_secret = "{ADMIN_SECRET}"
    session_timeout = 60
}}
media: {{
    rtp_port_range = "{low}-{low + 99}"
}}
nat: {{
    ice_enforce_list = "lo"
    ignore_mdns = true
}}
plugins: {{
    disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
}}
transports: {{
    disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
events: {{
    broadcast = false
}}
""")  # noqa: E501
    (conf / "janus.transport.http.jcfg").write_text(f"""
general: {{
    base_path = "/janus"
    http = true
    port = {port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_base_path = "/admin"
    admin_http = true
    admin_port = {admin_port}
    admin_ip = "127.0.0.1"
    admin_https = false
}}
""")
    (conf / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    log = workdir / "janus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["janus", "-C", str(conf / "janus.jcfg"), "-F", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    janus = Janus(
        proc, f"http://127.0.0.1:{port}/janus", f"http://127.0.0.1:{admin_port}/admin", log
    )
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            if proc.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                r = await http.post(janus.url, json={"janus": "info", "transaction": "t"})
                if r.status_code == 200:
                    return janus
            await asyncio.sleep(0.1)
    janus.stop()
    raise RuntimeError("janus did not answer:\n" + log.read_text(errors="replace")[-3000:])


class JanusPeer:
    """An aiortc publisher in a VideoRoom, under a display name (a site's codec)."""

    def __init__(self, janus: Janus, room: int, display: str) -> None:
        self.janus = janus
        self.room = room
        self.display = display
        self.http = httpx.AsyncClient(timeout=30)
        self.session: int | None = None
        self.handle: int | None = None
        self.pc: Any = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": uuid.uuid4().hex}
        r = await self.http.post(f"{self.janus.url}{path}", json=body)
        r.raise_for_status()
        return dict(r.json())

    async def _event(self) -> dict[str, Any]:
        for _ in range(50):
            r = await self.http.get(f"{self.janus.url}/{self.session}?maxev=1")
            answer = r.json()
            if answer.get("janus") == "event":
                return dict(answer)
        raise TimeoutError("no event from janus")

    async def create_room(self) -> None:
        """Create the room (ignore 'already exists')."""
        await self._attach()
        await self._post(
            f"/{self.session}/{self.handle}",
            {"janus": "message", "body": {"request": "create", "room": self.room,
                                           "publishers": 64, "is_private": False}},
        )  # fmt: skip

    async def _attach(self) -> None:
        if self.session is None:
            self.session = (await self._post("", {"janus": "create"}))["data"]["id"]
        if self.handle is None:
            answer = await self._post(
                f"/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}
            )
            self.handle = answer["data"]["id"]

    async def join(self) -> None:
        """Join as a publisher with an audio and a video track (aiortc's generators)."""
        from aiortc import RTCPeerConnection, RTCSessionDescription

        from media.generators import PatternTrack, ToneTrack  # the test-call media

        await self._attach()
        self.pc = RTCPeerConnection()
        self.pc.addTrack(ToneTrack())
        self.pc.addTrack(PatternTrack())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription
        await self._post(
            f"/{self.session}/{self.handle}",
            {"janus": "message",
             "body": {"request": "joinandconfigure", "ptype": "publisher", "room": self.room,
                      "display": self.display, "audio": True, "video": True},
             "jsep": {"type": offer.type, "sdp": offer.sdp}},
        )  # fmt: skip
        while True:
            event = await self._event()
            jsep = event.get("jsep")
            if jsep:
                await self.pc.setRemoteDescription(RTCSessionDescription(jsep["sdp"], jsep["type"]))
                return

    def impair(self, loss_pct: float, seed: int = 1) -> None:
        """Drop ``loss_pct`` % of what this peer sends from now on, seeded.

        The packets are dropped where they leave the peer (its DTLS transport's send of
        RTP and RTCP), so Janus never sees them: loss on the path, as Janus measures it.
        """
        import random

        rng = random.Random(seed)
        for sender in self.pc.getSenders():
            transport = sender.transport
            original = getattr(transport, "_controlroom_send", None) or transport._send_rtp
            transport._controlroom_send = original

            async def lossy(data: bytes, original: Any = original) -> None:
                if rng.random() * 100 >= loss_pct:
                    await original(data)

            transport._send_rtp = lossy

    async def leave(self) -> None:
        """Leave the room and close the peer connection and the session."""
        with contextlib.suppress(Exception):
            await self._post(f"/{self.session}/{self.handle}",
                             {"janus": "message", "body": {"request": "leave"}})  # fmt: skip
        if self.pc is not None:
            await self.pc.close()
        with contextlib.suppress(Exception):
            await self._post(f"/{self.session}", {"janus": "destroy"})
        await self.http.aclose()
