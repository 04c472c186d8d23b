"""Simulated bridge sites, so that the demo looks like a conference in progress.

Every simulated site is a real client (``HubSession``) of the hub over loopback: it
logs in, checks in, answers pings after a delay that is its simulated RTT, sends its
own ``stats``, and now and then reports a fault or registers a speaker, in
Vietnamese. Profiles: most sites are steady; a few go through congestion (RTT over
the threshold, so they turn ``degraded``); one flaps (drops every half minute);
one drops out for 45 s every four minutes. A resolved fault is usually confirmed
by its site a little later, sometimes reopened; a "you are next" cue is answered
within a minute, usually ready.

Each site also impersonates its room's endpoint: a TCP listener on loopback (the
port the demo wrote into its ``sites.csv``) that the hub probes, closed while the
site is "down". And one simulated bridge posts what a conference bridge would see
of every site (in the call or not, per-direction RTT, jitter, loss, bitrate) to the
hub's ingest route, as the demo's ``bridge`` account: all three sources are live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from controlroom.agent.session import AgentError, HubSession, HubUnreachable, http_json, login

log = logging.getLogger("controlroom.simulator")

FAULTS = [
    ("audio", "major", "Mất tiếng từ điểm cầu trung tâm"),
    ("video", "major", "Mất hình"),
    ("video", "minor", "Hình bị giật, vỡ hình"),
    ("audio", "minor", "Tiếng bị rè, có tiếng vọng"),
    ("equipment", "minor", "Micro bàn đại biểu không hoạt động"),
    ("equipment", "major", "Máy chiếu phòng họp không lên hình"),
    ("power", "major", "Mất điện phòng họp, đang chạy UPS"),
]
NAMES = [
    "Nguyễn Văn Hùng",
    "Trần Thị Mai",
    "Lê Minh Tuấn",
    "Phạm Thu Hà",
    "Hoàng Đức Anh",
    "Vũ Thị Lan",
    "Đặng Quốc Bảo",
    "Bùi Thanh Sơn",
    "Đỗ Thị Hương",
    "Ngô Văn Nam",
]
TITLES = [
    "Chủ tịch UBND tỉnh",
    "Phó Chủ tịch UBND tỉnh",
    "Giám đốc Sở Tài chính",
    "Giám đốc Sở Kế hoạch và Đầu tư",
    "Giám đốc Sở Nội vụ",
    "Phó Bí thư Tỉnh ủy",
]
TOPICS = [
    "Kết quả thực hiện nhiệm vụ năm 2026",
    "Chuyển đổi số trong cơ quan nhà nước",
    "Giải ngân vốn đầu tư công",
    "Cải cách thủ tục hành chính",
    "Phòng chống thiên tai",
]
TECHNICIANS = ["Nguyễn Văn Long", "Trần Quang Huy", "Lê Thị Thu", "Phạm Văn Đức", "Võ Minh Khoa"]


@dataclass
class Profile:
    """How one simulated site's link behaves over time (t in seconds since start)."""

    kind: str  # steady | congested | flappy | dropout
    base_rtt_ms: float
    phase_s: float

    def rtt_ms(self, t: float, rng: random.Random) -> float:
        """The simulated round-trip time now."""
        rtt = self.base_rtt_ms + rng.gauss(0, 3)
        if self.kind == "congested" and (t + self.phase_s) % 180 > 120:
            rtt = 380 + rng.uniform(0, 120)
        return max(1.0, rtt)

    def loss_pct(self, t: float, rng: random.Random) -> float:
        """The simulated media packet loss now."""
        if self.kind == "congested" and (t + self.phase_s) % 180 > 120:
            return round(rng.uniform(3.5, 6.0), 1)
        return round(max(0.0, rng.gauss(0.1, 0.1)), 2)

    def offline_for(self, t: float) -> float:
        """Seconds left of the current outage (0 when connected)."""
        if self.kind == "flappy":
            cycle = (t + self.phase_s) % 30
            return 8 - cycle if cycle < 8 else 0.0
        if self.kind == "dropout":
            cycle = (t + self.phase_s) % 240
            return 195 - cycle if 150 <= cycle < 195 else 0.0
        return 0.0


def assign_profiles(codes: list[str], seed: int) -> dict[str, Profile]:
    """Give every site a profile: a few congested, one flappy, one dropping out."""
    rng = random.Random(seed)
    out = {}
    for i, code in enumerate(codes):
        kind = "steady"
        if len(codes) >= 8:
            kind = {
                3: "congested",
                11: "congested",
                20: "congested",
                7: "flappy",
                15: "dropout",
            }.get(i, kind)
        out[code] = Profile(kind, rng.uniform(15, 90), rng.uniform(0, 180))
    return out


class SimulatedSite:
    """One site's simulated technician and link."""

    def __init__(
        self,
        server: str,
        username: str,
        code: str,
        profile: Profile,
        rng: random.Random,
        fault_per_min: float,
        speak_per_min: float,
        endpoint_port: int | None = None,
    ) -> None:
        self.code = code
        self.endpoint_port = endpoint_port
        self.profile = profile
        self.rng = rng
        self.fault_per_min = fault_per_min
        self.speak_per_min = speak_per_min
        self.started = time.monotonic()
        self.session = HubSession(
            server,
            username,
            "demo",
            client="controlroom-simulator/0.1",
            on_frame=self._on_frame,
            pong_delay=self._pong_delay,
        )
        self._tasks: set[asyncio.Task[Any]] = set()

    def _t(self) -> float:
        return time.monotonic() - self.started

    def _pong_delay(self) -> float:
        return self.profile.rtt_ms(self._t(), self.rng) / 1000

    def _offline(self) -> float:
        return self.profile.offline_for(self._t())

    def bridge_sample(self) -> dict[str, Any]:
        """What the bridge sees of this site now: out of the call while it is down."""
        t = self._t()
        if self._offline() > 0:
            return {"site": self.code, "in_call": False}
        rtt = round(self.profile.rtt_ms(t, self.rng), 1)

        def direction(kbps: float) -> dict[str, float]:
            return {
                "rtt_ms": rtt,
                "jitter_ms": round(abs(self.rng.gauss(4, 2)), 1),
                "loss_pct": self.profile.loss_pct(t, self.rng),
                "bitrate_kbps": round(self.rng.uniform(0.8, 1.2) * kbps),
            }

        return {"site": self.code, "in_call": True, "rx": direction(1800), "tx": direction(2200)}

    async def _endpoint(self) -> None:
        """Answer the hub's TCP probes on the endpoint port, except while "down"."""
        if self.endpoint_port is None:
            return
        server: asyncio.Server | None = None
        try:
            while True:
                down = self._offline() > 0
                if down and server is not None:
                    server.close()
                    server = None
                elif not down and server is None:
                    with contextlib.suppress(OSError):  # the port taken: try again later
                        server = await asyncio.start_server(
                            _hang_up, "127.0.0.1", self.endpoint_port, reuse_address=True
                        )
                await asyncio.sleep(0.5)
        finally:
            if server is not None:
                server.close()

    def _on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("type") != "event" or (frame.get("data") or {}).get("site") != self.code:
            return
        if frame.get("name") == "fault.resolved":
            self._spawn(self._answer_resolution(frame["data"]["fault_id"]))
        elif frame.get("name") == "cue.sent":
            self._spawn(self._answer_cue(frame["data"]["cue_id"]))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_resolution(self, fault_id: str) -> None:
        await asyncio.sleep(self.rng.uniform(5, 20))
        if self.rng.random() < 0.85:
            await self.session.command("fault.confirm", {"fault_id": fault_id})
        else:
            await self.session.command(
                "fault.reopen", {"fault_id": fault_id, "note": "Sự cố vẫn còn"}
            )

    async def _answer_cue(self, cue_id: str) -> None:
        # A technician reads the cue and answers within a minute; now and then not ready yet.
        await asyncio.sleep(self.rng.uniform(3, 40))
        ready = self.rng.random() < 0.8
        await self.session.command("cue.answer", {"cue_id": cue_id, "ready": ready})

    async def run(self) -> None:
        """Connect, check in, then report stats and now and then act, until cancelled."""
        runner = asyncio.create_task(self.session.run(offline=self._offline))
        self._spawn(self._endpoint())
        try:
            await self.session.connected.wait()
            tech = self.rng.choice(TECHNICIANS)
            digits = [
                self.rng.randint(10, 99),
                self.rng.randint(100, 999),
                self.rng.randint(100, 999),
            ]
            phone = "09{} {} {}".format(*digits)
            await self.session.command(
                "site.checkin",
                {"technician": tech, "phone": phone, "delegates": self.rng.randint(15, 80)},
            )
            await self.session.command("site.status", {"audio": "ok", "video": "ok", "note": ""})
            while not runner.done():
                await asyncio.sleep(2.0)
                t = self._t()
                await self.session.send_stats(
                    {
                        "rtt_ms": round(self.profile.rtt_ms(t, self.rng), 1),
                        "jitter_ms": round(abs(self.rng.gauss(4, 2)), 1),
                        "loss_pct": self.profile.loss_pct(t, self.rng),
                        "bitrate_kbps": round(self.rng.uniform(1500, 2500)),
                        "audio": "ok",
                        "video": "ok",
                    }
                )
                if self.rng.random() < self.fault_per_min / 30:
                    category, severity, text = self.rng.choice(FAULTS)
                    self._spawn(
                        self.session.command(
                            "fault.report",
                            {"category": category, "severity": severity, "description": text},
                        )
                    )
                if self.rng.random() < self.speak_per_min / 30:
                    self._spawn(
                        self.session.command(
                            "speak.request",
                            {
                                "speaker": self.rng.choice(NAMES),
                                "title": self.rng.choice(TITLES),
                                "topic": self.rng.choice(TOPICS),
                                "kind": self.rng.choice(["speech", "comment"]),
                            },
                        )
                    )
        finally:
            self.session.stop()
            runner.cancel()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(BaseException):
                await runner


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


class SimulatedBridge:
    """The conference bridge's view of the simulated sites, posted every two seconds."""

    def __init__(self, server: str, sims: list[SimulatedSite], username: str = "bridge") -> None:
        self.server = server.rstrip("/")
        self.sims = sims
        self.username = username

    async def run(self) -> None:
        """Log in as the bridge account and post samples until cancelled."""
        token: str | None = None
        while True:
            await asyncio.sleep(2.0)
            try:
                if token is None:
                    token = str((await login(self.server, self.username, "demo"))["token"])
                samples = [sim.bridge_sample() for sim in self.sims]
                conference = "demo"
                url = f"{self.server}/api/conferences/{conference}/bridge/samples"
                status, _ = await asyncio.to_thread(http_json, url, {"samples": samples}, token)
                if status == 401:
                    token = None
            except HubUnreachable:
                token = None
            except (AgentError, OSError, ValueError) as exc:
                log.warning("simulated bridge: %s", exc)
                return  # no bridge account (an older demo copy): the demo runs without it


async def simulate(
    server: str,
    sites: list[tuple[str, str, int | None]],
    *,
    seed: int = 7,
    fault_per_min: float = 1 / 60,
    speak_per_min: float = 1 / 90,
) -> None:
    """Run simulated sites (username, site code) against ``server`` until cancelled."""
    rng = random.Random(seed)
    profiles = assign_profiles([code for _, code, _ in sites], seed)
    sims = [
        SimulatedSite(
            server,
            user,
            code,
            profiles[code],
            random.Random(rng.random()),
            fault_per_min,
            speak_per_min,
            port,
        )
        for user, code, port in sites
    ]
    tasks = [asyncio.create_task(SimulatedBridge(server, sims).run())]
    for sim in sims:
        tasks.append(asyncio.create_task(sim.run()))
        await asyncio.sleep(0.05)  # a gentle ramp, as sites join one after another
    try:
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, AgentError):
                log.error("simulated site stopped: %s", result)
    finally:
        for task in tasks:
            task.cancel()
