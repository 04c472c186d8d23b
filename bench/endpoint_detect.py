"""An endpoint going dark, as the consoles see it, with thousands probed (issue "Measure
the conference link itself"): offline on every console within 2 heartbeats + 1 s.

The hub (``controlroom serve``, its own process, the default heartbeat of 2 s) runs a
generated conference of ``--sites`` sites whose endpoints are distinct loopback
addresses probed by ICMP (``icmp:127.1.x.y``: the kernel answers them all) but for
``--dark`` of them, whose endpoints are TCP listeners of this process
(``tcp:127.0.0.1:PORT``). An operator console (a real WebSocket session) waits until
every site is online, then the listeners are closed at once (a refused connection is
no answer) and the time until each site's ``link.changed`` to offline reaches the
console is measured. The heartbeat, measured in the same run as the time between two
probe rounds, is the baseline: the ratio to it is printed, and the target (2 beats +
1 s). The hub's CPU share while it probes every endpoint is printed too.

Usage: ``python -m bench.endpoint_detect [--sites 3000] [--dark 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from bench.common import cpu_seconds, machine, percentile  # noqa: E402
from bench.servers import (  # noqa: E402
    Server,
    _spawn,
    _wait_ready,
    controlroom_exe,
    free_port,
    mint_tokens,
    site_code,
    stop,
    write_conference,
)

HEARTBEAT_S = 2.0


def add_endpoints(conf: Path, ports: dict[str, int]) -> None:
    """An endpoint for every site: a listener's port for the dark ones, else loopback ICMP."""
    path = conf / "sites.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[0].append("endpoint")
    for i, row in enumerate(rows[1:]):
        code = row[0]
        row.append(
            f"tcp:127.0.0.1:{ports[code]}"
            if code in ports
            else f"icmp:127.1.{i // 250}.{i % 250 + 1}"
        )
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--dark", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cr-endpoints-"))
    conf, data = work / "conf", work / "data"
    shared = write_conference(conf, args.sites)
    dark_codes = [site_code(i) for i in range(1, args.dark + 1)]
    listeners = {
        code: await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        for code in dark_codes
    }
    add_endpoints(conf, {c: s.sockets[0].getsockname()[1] for c, s in listeners.items()})
    token = mint_tokens(data, ["operator"], shared)["operator"]
    port = free_port()
    cmd = [controlroom_exe(), "serve", "--config", str(conf), "--data", str(data),
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = _spawn(cmd, work / "hub.log", None)
    server = Server("hub", proc, port, work / "hub.log")
    try:
        await asyncio.to_thread(_wait_ready, server, "/healthz")
        async with connect(f"ws://127.0.0.1:{port}/ws", max_size=None,
                           subprotocols=[Subprotocol("controlroom.v1.json")]) as ws:  # fmt: skip
            await ws.send(json.dumps({"type": "hello", "token": token, "resume_after": None}))
            links: dict[str, str] = {}
            beat = HEARTBEAT_S
            started = time.monotonic()
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "welcome":
                    beat = float(frame.get("heartbeat_s") or HEARTBEAT_S)
                if frame.get("type") == "snapshot":
                    for code, site in frame["state"]["sites"].items():
                        links[code] = site["link"]["state"]
                if frame.get("type") == "links":
                    for code, entry in frame["sites"].items():
                        links[code] = entry["state"]
                if sum(1 for s in links.values() if s == "online") >= args.sites:
                    break
                if time.monotonic() - started > 120:
                    raise SystemExit(
                        f"not all online: {sum(s == 'online' for s in links.values())}"
                    )
            cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
            await asyncio.sleep(10)
            share = (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - wall0)
            dark_at = time.monotonic()
            for s in listeners.values():
                s.close()
            detected: dict[str, float] = {}
            while len(detected) < len(dark_codes):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("type") == "event" and frame.get("name") == "link.changed":
                    d = frame["data"]
                    if d.get("to") == "offline" and d["site"] in listeners:
                        detected.setdefault(d["site"], time.monotonic() - dark_at)
    finally:
        stop(proc)
    times = sorted(detected.values())
    target = 2 * beat + 1
    print(machine())
    print(f"endpoints: {args.sites} probed (ICMP on loopback), {args.dark} made dark at once")
    print(f"  hub CPU while probing them all: {share * 100:.1f} % of one core")
    print(f"  heartbeat (the baseline, from the hub's welcome): {beat:.2f} s")
    print(f"  offline on the console after: p50 {percentile(times, 50):.2f} s,"
          f" worst {times[-1]:.2f} s = {times[-1] / beat:.2f} heartbeats"
          f" (target <= 2 heartbeats + 1 s = {target:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
