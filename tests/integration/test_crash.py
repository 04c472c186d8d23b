"""kill -9 of a hub process under load loses nothing that was acknowledged."""

import asyncio
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.support.client import Client
from tests.support.processes import free_port, login, start_hub_process
from tests.support.timing import timeout


@pytest.mark.timeout(120)
async def test_kill_9_under_load_loses_no_acknowledged_command(tmp_path):
    """Every command acked before a SIGKILL is in the log after restart, with the same answer."""
    data, port = tmp_path / "data", free_port()
    url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
    proc = await start_hub_process(data, port)
    acked: dict[tuple[str, str], dict] = {}
    tokens = {u: await login(url, u) for u in ("site-hni", "site-hcm", "site-dng", "site-hue")}
    clients = {u: await Client.connect(ws_url, t, codec="msgpack") for u, t in tokens.items()}

    async def hammer(user, client):
        i = 0
        while True:
            i += 1
            cid = f"{user}-{i}"
            try:
                answer = await client.cmd(
                    "fault.report",
                    {"category": "audio", "severity": "minor", "description": f"{cid}"},
                    id=cid,
                )
            except (ConnectionError, TimeoutError):
                return
            if answer["type"] == "ack":
                acked[(user, cid)] = answer
            else:
                await asyncio.sleep(0.05)  # rate limited: back off a little

    tasks = [asyncio.create_task(hammer(u, c)) for u, c in clients.items()]
    async with asyncio.timeout(timeout(20)):
        while len(acked) < 120:
            await asyncio.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert len(acked) >= 120

    proc = await start_hub_process(data, port)
    try:
        op = await login(url, "operator")
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {op}"}
        ) as http:
            events = (await http.get("/api/conferences/demo/events?after=0&limit=10000")).json()[
                "events"
            ]
        by_seq = {e["seq"]: e for e in events}
        for (user, cid), answer in acked.items():
            event = by_seq[answer["seq"]]
            assert event["actor"]["account"] == user and event["data"]["description"] == cid
        # Repeats after the restart get the stored answer and add nothing.
        sample = list(acked.items())[:: max(1, len(acked) // 20)]
        for (user, cid), answer in sample:
            again = await Client.connect(ws_url, await login(url, user))
            assert (
                await again.cmd(
                    "fault.report",
                    {"category": "audio", "severity": "minor", "description": cid},
                    id=cid,
                )
                == answer
            )
            await again.close()
        audit = subprocess.run(
            [sys.executable, "-m", "controlroom", "audit", "verify", "--data", str(data)],
            capture_output=True,
            text=True,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
        assert "OK" in audit.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
