"""Test calls across an impaired link: the site in its own namespace, media through a
user-space "netem" in a middle namespace; the verdict names what the link did.

    test + hub (root ns) --veth-- crt-mid-PID: tun relay --veth-- agent (crt-site-PID)

WebRTC media goes by UDP straight between the hub's aiortc peer and the site's
(ICE host candidates), so impairing the site's TCP connection is not enough. Here
the site gets an address of its own (``site_ip``, in a /30 free in the root
namespace, routed there via the middle namespace), and the middle namespace routes
everything arriving from either side into a TUN device (policy routing, ``ip rule
iif ...``). The relay (``RELAY`` below) reads each IPv4 packet from the TUN, holds
it for the delay of its direction, drops a share of the UDP ones, and writes it
back; the kernel then forwards it on. Every packet between the hub and the site,
the WebSocket included, crosses the relay; its counters prove the media did.

The kernel here has no ``netem`` and no nftables, hence the relay. Needs root,
``ip netns`` and ``/dev/net/tun``; skips with the reason otherwise. Deselect with
``-m 'not netns'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from controlroom.service.testcalls import TestCallSettings
from media.caller import CallOptions
from tests.conftest import DEMO, ROOT
from tests.support.client import Client
from tests.support.netns import MID_SITE_ADDR, Topology, Unavailable, _free_root_subnet
from tests.support.server import RunningHub, running_hub
from tests.support.timing import timeout

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]

TUN = "crt-tun"
TABLE = "213"

# The user-space netem, run inside the middle namespace:
#   python -c RELAY TUN_NAME SITE_IP HUB_IP
# It makes the TUN device, turns on forwarding (rp_filter off), prints "tun NAME"
# (or "error ..." and exits 1), then forwards packets between SITE_IP and HUB_IP
# only and obeys one command a line on stdin, answering "ok ...":
#   delay MS | delay UP_MS DOWN_MS   hold every packet (up: site->hub) that long
#   loss PCT | loss UP_PCT DOWN_PCT  drop that share of UDP packets (seeded random)
#   stats                            "ok stats up_udp=.. down_udp=.. dropped_udp=.. ..."
#   quit                             stop (so does stdin closing)
RELAY = r"""
import asyncio, fcntl, os, random, struct, sys, time

name, site_ip, hub_ip = sys.argv[1:4]
try:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))
    for key, value in (
        ("net/ipv4/ip_forward", "1"),
        ("net/ipv4/conf/all/rp_filter", "0"),
        ("net/ipv4/conf/default/rp_filter", "0"),
        (f"net/ipv4/conf/{name}/rp_filter", "0"),
    ):
        with open(f"/proc/sys/{key}", "w") as f:
            f.write(value)
except OSError as exc:
    print(f"error {exc}", flush=True)
    sys.exit(1)
os.set_blocking(fd, False)
SITE, HUB = (bytes(int(p) for p in a.split(".")) for a in (site_ip, hub_ip))
delay = {"up": 0.0, "down": 0.0}
loss = {"up": 0.0, "down": 0.0}
counts = {k: 0 for k in ("up", "down", "up_udp", "down_udp", "dropped_udp", "foreign")}
rng = random.Random(213)


async def main():
    loop = asyncio.get_running_loop()
    queues = {"up": asyncio.Queue(), "down": asyncio.Queue()}

    def readable():
        while True:
            try:
                packet = os.read(fd, 65536)
            except BlockingIOError:
                return
            if len(packet) < 20 or packet[0] >> 4 != 4:
                counts["foreign"] += 1
                continue
            src, dst = packet[12:16], packet[16:20]
            way = {(SITE, HUB): "up", (HUB, SITE): "down"}.get((src, dst))
            if way is None:
                counts["foreign"] += 1
                continue
            counts[way] += 1
            if packet[9] == 17:
                counts[way + "_udp"] += 1
                if rng.random() * 100 < loss[way]:
                    counts["dropped_udp"] += 1
                    continue
            queues[way].put_nowait((time.monotonic() + delay[way], packet))

    async def writer(queue):
        while True:
            due, packet = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                os.write(fd, packet)
            except OSError:
                pass

    writers = [asyncio.create_task(writer(q)) for q in queues.values()]
    loop.add_reader(fd, readable)
    print(f"tun {name}", flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        words = line.split()
        try:
            if words[0] in ("delay", "loss") and len(words) in (2, 3):
                target = delay if words[0] == "delay" else loss
                scale = 1000 if words[0] == "delay" else 1
                target["up"] = float(words[1]) / scale
                target["down"] = float(words[-1]) / scale
                answer = f"ok {words[0]} {target['up'] * scale:g} {target['down'] * scale:g}"
            elif words == ["stats"]:
                answer = "ok stats " + " ".join(f"{k}={v}" for k, v in counts.items())
            elif words == ["quit"]:
                break
            else:
                answer = f"error unknown command {line!r}"
        except ValueError:
            answer = f"error bad number in {line!r}"
        print(answer, flush=True)
    loop.remove_reader(fd)
    for task in writers:
        task.cancel()
    print("ok quit", flush=True)


asyncio.run(main())
"""


# `controlroom agent` that also exits when its stdin closes, so it never outlives the test
# (a process left in the site namespace would keep it alive after `ip netns del`).
AGENT = """
import os, sys, threading
from controlroom.cli import main

threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
sys.exit(main(["agent", *sys.argv[1:]]))
"""


def call_settings() -> TestCallSettings:
    """3 s of media (long enough for loss to show), 10 s to answer over a slow link."""
    call = CallOptions(duration_s=3.0, width=320, height=240, fps=12)
    return TestCallSettings(call=call, answer_timeout_s=10.0, retry_delay_s=0.3)


class Process:
    """A child process talked to line by line on stdin/stdout."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name

    @classmethod
    async def start(cls, name: str, argv: list[str], **env: str) -> Process:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        )
        return cls(proc, name)

    async def line(self, seconds: float = 10.0) -> str:
        """The next line it prints; fails with its stderr if it exits first."""
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout(seconds)):
            raw = await self.proc.stdout.readline()
        if not raw:
            await self.proc.wait()
            err = (await self.proc.stderr.read()).decode() if self.proc.stderr else ""
            raise AssertionError(f"{self.name} exited ({self.proc.returncode}): {err}")
        return raw.decode().strip()

    async def tell(self, command: str) -> str:
        """Send one command line; its answer line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        answer = await self.line()
        assert answer.startswith("ok "), f"{self.name}: {command!r} -> {answer!r}"
        return answer

    async def stop(self) -> None:
        """Close its stdin and wait a little; then kill it (this process only)."""
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 3)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def _ip(*args: str) -> None:
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()}")


@pytest.fixture
def topology() -> Iterator[Topology]:
    """root <-> mid <-> site namespaces, deleted afterwards; skips where they cannot be made."""
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun: the user-space link impairer needs a TUN device")
    try:
        topo = Topology.create()
    except Unavailable as exc:
        pytest.skip(f"no network namespaces here: {exc}")
    try:
        yield topo
    finally:
        topo.close()  # the namespaces, the TUN in mid, and the root veth with its route


@dataclass
class Link:
    """The routed, impaired path between the hub (``hub_ip``) and the site (``site_ip``)."""

    relay: Process
    hub_ip: str
    site_ip: str

    async def stats(self) -> dict[str, int]:
        words = (await self.relay.tell("stats")).split()[2:]
        return {k: int(v) for k, v in (w.split("=") for w in words)}


def _keep_test_addresses_inside(topo: Topology) -> None:
    """Never let a packet for the namespaces' inner addresses leave the machine.

    The site's ICE candidates include its mid-side address (10.213.255.2); the hub
    answers such candidates with connectivity checks. Route that /30 into this run's
    mid namespace (a metric per run, so concurrent runs coexist; the route goes with
    the root veth). ``Topology`` keeps a blackhole for the whole test range.
    """
    metric = str(100 + topo.pid % 60000)
    inner = "10.213.255.0/30"
    argv = ["route", "add", inner, "via", topo.mid_addr, "dev", topo.root_if, "metric", metric]
    r = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=20, check=False)
    if r.returncode != 0 and "File exists" not in r.stderr:
        raise RuntimeError(f"ip {' '.join(argv)}: {r.stderr.strip()}")


def _route_site_net(topo: Topology) -> ipaddress.IPv4Network:
    """A /30 for the site's address, routed from root via mid (deleted with the root veth).

    Looked for half the range away from the pid's own /30, where a concurrent test's
    topology is unlikely to be; a lost race (the route exists by now) tries further on.
    """
    for attempt in range(8):
        net = _free_root_subnet(topo.pid + 8160 + 64 * attempt)
        argv = ["ip", "route", "add", str(net), "via", topo.mid_addr, "dev", topo.root_if]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
        if r.returncode == 0:
            return net
        if "File exists" not in r.stderr:
            raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    raise RuntimeError("no free /30 for the site's address in 10.213.0.0/16")


@pytest.fixture
async def link(topology: Topology) -> AsyncIterator[Link]:
    """The TUN relay in mid, and routes making root <-> site cross it (and nothing else)."""
    topo = topology
    _keep_test_addresses_inside(topo)
    net = _route_site_net(topo)
    site_ip = str(net.network_address + 1)
    relay = await Process.start(
        "tun relay",
        topo.exec_in(topo.mid, sys.executable, "-c", RELAY, TUN, site_ip, topo.root_addr),
    )
    try:
        first = await relay.line()
        if first.startswith("error "):
            pytest.skip(f"cannot set up a TUN device in a namespace: {first[6:]}")
        assert first == f"tun {TUN}", first
        mid, site = topo.mid, topo.site
        steps = [
            ("-n", mid, "link", "set", TUN, "up"),
            ("-n", mid, "route", "add", f"{site_ip}/32", "dev", "to-site"),
            ("-n", mid, "route", "add", "default", "dev", TUN, "table", TABLE),
            ("-n", mid, "rule", "add", "iif", "to-site", "lookup", TABLE),
            ("-n", mid, "rule", "add", "iif", "to-root", "lookup", TABLE),
            ("-n", site, "addr", "add", f"{site_ip}/32", "dev", "to-mid"),
            ("-n", site, "route", "add", f"{topo.root_addr}/32", "via", MID_SITE_ADDR,
             "src", site_ip),
        ]  # fmt: skip
        for step in steps:
            _ip(*step)
        yield Link(relay, topo.root_addr, site_ip)
    finally:
        await relay.stop()


@pytest.fixture
async def hub(topology: Topology, tmp_path: Path) -> AsyncIterator[RunningHub]:
    """A hub with short test calls, on loopback and on the root end of the veth."""
    async with running_hub(
        DEMO,
        tmp_path / "data",
        also_on=(topology.root_addr,),
        heartbeat_s=30,
        testcall=call_settings(),
    ) as running:
        yield running


@contextlib.asynccontextmanager
async def site_agent(topology: Topology, hub: RunningHub, link: Link) -> AsyncIterator[Process]:
    """`controlroom agent` for HNI in the site namespace, its session up (from ``site_ip``)."""
    port = hub.url.rsplit(":", 1)[1]
    agent = await Process.start(
        "agent",
        topology.exec_in(
            topology.site,
            sys.executable,
            "-c",
            AGENT,
            "--server",
            f"http://{link.hub_ip}:{port}",
            "--username",
            "site-hni",
        ),
        CONTROLROOM_PASSWORD="demo",
    )
    try:
        async with asyncio.timeout(timeout(20)):  # the agent starts, logs in, says hello
            while not any(
                caps and conn.principal.actor.site == "HNI"
                for conn, caps in hub.runtime.sessions.caps.items()
            ):
                if agent.proc.returncode is not None:
                    await agent.line()  # raises with its stderr
                await asyncio.sleep(0.05)
        conn = next(c for c in hub.runtime.sessions.caps if c.principal.actor.site == "HNI")
        assert conn.peer.startswith(f"{link.site_ip}:"), conn.peer  # through the relay
        yield agent
    finally:
        await agent.stop()  # closing its stdin ends it


async def call(op: Client, site: str = "HNI") -> dict[str, Any]:
    """Start a test call of ``site`` and wait for its result's data."""
    start = len(op.frames)
    ack = await op.cmd("testcall.start", {"site": site})
    assert ack["type"] == "ack", ack
    name = ack["result"]["call"]
    result = await op.wait_for(
        lambda f: (
            f["type"] == "event"
            and f["name"] == "testcall.result"
            and f["data"].get("call") == name
        ),
        30,
        start=start,
    )
    return dict(result["data"])


def by_code(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in data["reasons"]}


async def test_200_ms_each_way_gives_a_round_trip_time_reason(
    topology: Topology, link: Link, hub: RunningHub
) -> None:
    """Unimpaired: no RTT/loss reason. 200 ms each way: warn or fail, "Round-trip time"."""
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    try:
        async with site_agent(topology, hub, link):
            clean = await call(op)
            assert clean["metrics"].get("connected"), clean
            assert clean["metrics"]["rtt_ms"] < 150, clean["metrics"]
            assert not {"rtt", "loss", "no_media_connection"} & set(by_code(clean)), clean
            before = await link.stats()
            assert before["up_udp"] > 50 and before["down_udp"] > 50, before  # media crossed

            await link.relay.tell("delay 200")
            slow = await call(op)
        after = await link.stats()
    finally:
        await op.close()
    assert after["up_udp"] - before["up_udp"] > 50, (before, after)
    assert slow["verdict"] in ("warn", "fail"), slow
    m, reasons = slow["metrics"], by_code(slow)
    assert m["connected"] and m["rtt_ms"] >= 390, m  # at least the added 400 ms
    assert "rtt" in reasons, slow["reasons"]
    rtt = reasons["rtt"]
    limit = 500 if rtt["level"] == "fail" else 250
    assert rtt["en"] == f"Round-trip time {m['rtt_ms']:.0f} ms > {limit} ms", rtt
    assert rtt["vi"].startswith("Độ trễ khứ hồi "), rtt
    assert slow["verdict"] == (
        "fail" if any(r["level"] == "fail" for r in slow["reasons"]) else "warn"
    )


async def test_10_percent_udp_loss_gives_a_packet_loss_reason(
    topology: Topology, link: Link, hub: RunningHub
) -> None:
    """10 % of UDP packets dropped each way: fail, "Packet loss ... > 3.0 %"."""
    await link.relay.tell("loss 10")
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    try:
        async with site_agent(topology, hub, link):
            lossy = await call(op)
        stats = await link.stats()
    finally:
        await op.close()
    sent = stats["up_udp"] + stats["down_udp"]
    assert sent > 200 and 0.05 < stats["dropped_udp"] / sent < 0.15, stats
    m, reasons = lossy["metrics"], by_code(lossy)
    assert m["connected"], lossy
    assert lossy["verdict"] == "fail", lossy
    assert "loss" in reasons, lossy["reasons"]
    loss = reasons["loss"]
    assert loss["level"] == "fail" and m["loss_pct"] > 3, (loss, m)
    assert loss["en"] == f"Packet loss {m['loss_pct']:.1f} % > 3.0 %", loss
    assert loss["vi"] == f"Mất gói {m['loss_pct']:.1f} % > 3,0 %".replace(".", ","), loss
