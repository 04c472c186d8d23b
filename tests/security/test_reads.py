"""Every read of the conference is on its read log: the snapshot a console is sent,
the report, the readiness board, a photo; who, as what, when. The log is a chain:
`audit verify` and `audit reads` find a line altered; the reads are not conference events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from controlroom.store.reads import read_lines, verify_reads
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.server import running_hub


async def test_reads_are_recorded_and_the_record_proves_itself(tmp_path: Path):
    data = tmp_path / "data"
    async with running_hub(DEMO, data, heartbeat_s=30) as hub:
        site = await Client.connect(hub.ws_url, await hub.login("site-hue"))
        await site.close()
        token = await hub.login("operator")
        async with httpx.AsyncClient(
            base_url=hub.url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            assert (await http.get("/api/conferences/demo/report?format=json")).status_code == 200
            assert (await http.get("/api/conferences/demo/readiness")).status_code == 200
            other = await hub.login("site-dng")
            refused = await http.get(
                "/api/conferences/demo/readiness", headers={"Authorization": f"Bearer {other}"}
            )
            assert refused.status_code == 403
        # The reads are not events of the conference.
        names = {r.event.name for r in await hub.runtime.hubs["demo"].events_after(0)}
        assert not any("read" in n or "snapshot" in n for n in names - {"announce.read"})
    path = data / "reads" / "demo.jsonl"
    rows = read_lines(path)
    seen = [(r["account"], r["role"], r["site"], r["what"], r["detail"]) for r in rows]
    assert seen == [
        ("site-hue", "site", "HUE", "snapshot", ""),
        ("operator", "operator", None, "report", "json"),
        ("operator", "operator", None, "readiness", ""),
    ]  # DNG, refused, read nothing
    assert verify_reads(path).ok and verify_reads(path).count == 3

    cli = [sys.executable, "-m", "controlroom", "audit"]
    shown = subprocess.run([*cli, "reads", "--data", str(data)], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "site-hue (site, HUE): snapshot" in shown.stdout
    assert "demo: reads OK, 3 recorded" in shown.stdout

    lines = path.read_text(encoding="utf-8").splitlines()
    forged = json.loads(lines[1])
    forged["account"] = "someone-else"
    lines[1] = json.dumps(forged, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert verify_reads(path).broken_seq == 2
    checked = subprocess.run([*cli, "verify", "--data", str(data)], capture_output=True, text=True)
    assert checked.returncode == 1
    assert "demo: READS BROKEN at line 2: its content was altered" in checked.stdout
