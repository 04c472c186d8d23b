"""Sites judged by their endpoints alone (no technician's console at all), on loopback.

Each site's endpoint is a TCP listener of the test (``tcp:127.0.0.1:PORT`` in
sites.csv); closing it makes the endpoint's service silent (a refusal is no answer).
Runs anywhere: no namespace, no root.
"""

from __future__ import annotations

import asyncio
import shutil

from controlroom.demo import assign_endpoints
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub


async def test_no_console_at_all_the_endpoints_alone_make_the_link(tmp_path):
    conf = tmp_path / "conf"
    shutil.copytree(DEMO, conf)
    ports = assign_endpoints(conf, ["HUE", "DNG"])
    servers = {
        code: await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
        for code, port in ports.items()
    }
    try:
        async with running_hub(conf, tmp_path / "data", heartbeat_s=0.3) as hub:
            op = await Client.connect(hub.ws_url, await hub.login("operator"))
            await op.cmd("conference.phase", {"phase": "live"})

            def both_online(frame: dict) -> bool:
                link = hub.runtime.links["demo"].sites
                return frame.get("type") == "links" and all(
                    link[c].health.state == "unknown"  # no console ever
                    and link[c].endpoint is not None
                    and link[c].endpoint.health.state == "online"
                    for c in ports
                )

            await op.wait_for(both_online, seconds=10)
            mark = len(op.frames)
            servers["HUE"].close()
            ev = await op.wait_for(
                lambda f: (
                    f.get("type") == "event"
                    and f.get("name") == "link.changed"
                    and f["data"].get("site") == "HUE"
                    and f["data"].get("to") == "offline"
                ),
                seconds=10,
                start=mark,
            )
            assert ev["data"]["source"] == "endpoint"
            fault = await op.event("fault.reported", seconds=5, site="HUE")
            code = fault["data"]["description_code"]
            assert code["source"] == "endpoint" and code["cause"]["code"] == "no_answer"
            snapshot_link = hub.runtime.links["demo"].sites["DNG"].frame()
            assert snapshot_link["state"] == "online" and snapshot_link["presence"] == "offline"
            await op.close()
    finally:
        for server in servers.values():
            server.close()
