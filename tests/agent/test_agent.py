"""The site agent: one-shot commands, a kept session that resumes, the terminal view."""

import asyncio
import os
import sys

import pytest

from controlroom.agent.session import AgentError, HubSession
from controlroom.domain import Actor
from tests.conftest import DEMO
from tests.support.client import Client
from tests.support.processes import free_port
from tests.support.server import running_hub
from tests.support.timing import timeout


@pytest.fixture
async def fast(tmp_path):
    """A hub pinging every 0.3 s."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=0.3) as running:
        yield running


async def agent(url, *args, password="demo"):
    """Run `controlroom agent` as a subprocess; its exit code, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "controlroom",
        "agent",
        "--server",
        url,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CONTROLROOM_PASSWORD": password},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout(30))
    return proc.returncode, out.decode(), err.decode()


async def test_one_shot_commands_print_the_ack_or_a_clear_error(fast):
    """report-fault, request-speak, status, checkin print ok; a refusal and a bad login do not."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    code, out, _ = await agent(
        fast.url,
        "--username",
        "site-hue",
        "report-fault",
        "--category",
        "audio",
        "--severity",
        "major",
        "Mất tiếng",
    )
    assert code == 0 and out.startswith("ok: fault.report") and '"fault_id"' in out
    await op.event("fault.reported", site="HUE", description="Mất tiếng")
    speak = [
        "--username",
        "site-hue",
        "request-speak",
        "--speaker",
        "Lê Văn Tám",
        "--title",
        "Giám đốc Sở",
    ]
    assert (await agent(fast.url, *speak))[0] == 0
    code, _, err = await agent(fast.url, *speak)
    assert code == 1 and "refused: conflict" in err
    code, out, _ = await agent(
        fast.url,
        "--username",
        "site-hue",
        "status",
        "--audio",
        "ok",
        "--video",
        "fail",
        "--note",
        "Camera hỏng",
    )
    assert code == 0
    await op.event("site.status", site="HUE", video="fail")
    code, _, err = await agent(
        fast.url,
        "--username",
        "site-hue",
        "status",
        "--audio",
        "ok",
        "--video",
        "ok",
        password="wrong",
    )
    assert code == 2 and "login refused" in err


async def test_session_resumes_after_a_drop_with_nothing_lost_or_doubled(fast):
    """Events while the agent is away arrive once after it reconnects; a pending command is sent."""
    seen: list[int] = []
    synced = asyncio.Event()

    def on_frame(frame):
        if frame["type"] == "event":
            seen.append(frame["seq"])
        if frame["type"] == "synced":
            synced.set()

    session = HubSession(fast.url, "site-hni", "demo", on_frame=on_frame)
    runner = asyncio.create_task(session.run())
    async with asyncio.timeout(timeout()):
        await session.connected.wait()
    hub, op = fast.hub, Actor("operator", "operator", None)
    for i in range(3):
        await hub.execute(
            op,
            f"a{i}",
            "fault.report",
            {"site": "HNI", "category": "audio", "severity": "minor", "description": "x"},
        )
    async with asyncio.timeout(timeout()):
        while len([s for s in seen if s <= 3]) < 3:
            await asyncio.sleep(0.02)
    synced.clear()
    await session.drop()
    for i in range(5):
        await hub.execute(
            op,
            f"b{i}",
            "fault.report",
            {"site": "HNI", "category": "video", "severity": "minor", "description": "y"},
        )
    answer = await session.command("site.status", {"audio": "ok", "video": "ok"})
    assert answer["type"] == "ack" and session.reconnects >= 1
    async with asyncio.timeout(timeout()):
        await synced.wait()
    fault_seqs = [
        r.event.seq for r in await hub.events_after(0) if r.event.name == "fault.reported"
    ]
    async with asyncio.timeout(timeout()):
        while not set(fault_seqs) <= set(seen):
            await asyncio.sleep(0.02)
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    session.stop()
    await asyncio.wait_for(runner, timeout())


async def test_wrong_password_is_an_agent_error(fast):
    """A session whose login is refused stops with AgentError instead of retrying for ever."""
    session = HubSession(fast.url, "site-hni", "nope")
    with pytest.raises(AgentError):
        await asyncio.wait_for(session.run(), timeout())


async def test_agent_terminal_shows_link_faults_and_floor(fast):
    """The kept session prints the site's link state, its new fault and who has the floor."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "controlroom",
        "agent",
        "--server",
        fast.url,
        "--username",
        "site-dng",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CONTROLROOM_PASSWORD": "demo"},
    )
    output: list[str] = []

    async def expect(text):
        async with asyncio.timeout(timeout(15)):
            while not any(text in line for line in output):
                line = await proc.stdout.readline()
                if not line:
                    raise AssertionError("agent exited: " + "".join(output))
                output.append(line.decode())

    try:
        await expect("link: online")
        op = Actor("operator", "operator", None)
        await fast.hub.execute(
            op,
            "f",
            "fault.report",
            {"site": "DNG", "category": "power", "severity": "major", "description": "Mất điện"},
        )
        await expect("fault F0001 open: power")
        asst = Actor("assistant", "assistant", None)
        added = await fast.hub.execute(
            asst,
            "add",
            "speak.add",
            {
                "site": "HCM",
                "speaker": "Phan Văn Khải",
                "title": "Phó Chủ tịch",
                "topic": "Kinh tế",
                "kind": "speech",
            },
        )
        await fast.hub.execute(
            asst, "g", "speak.grant", {"request_id": added["result"]["request_id"]}
        )
        await expect("floor: Phan Văn Khải")
    finally:
        proc.terminate()
        await proc.wait()


async def test_agent_started_before_the_hub_waits_for_it(tmp_path):
    """A site agent started first says the hub cannot be reached yet, then connects."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "controlroom", "agent", "--server", f"http://127.0.0.1:{port}",
        "--username", "site-hue", "--no-testcalls",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CONTROLROOM_PASSWORD": "demo"},
    )  # fmt: skip
    assert proc.stdout is not None
    try:

        async def line_with(text: str) -> str:
            async with asyncio.timeout(timeout(20)):
                while True:
                    line = (await proc.stdout.readline()).decode()
                    assert line, "the agent exited"
                    if text in line:
                        return line

        waiting = await line_with("could not reach")
        assert "Connection refused; retrying" in waiting and "urlopen" not in waiting
        async with running_hub(DEMO, tmp_path / "data", heartbeat_s=0.3, port=port) as hub:
            op = await Client.connect(hub.ws_url, await hub.login("operator"))
            await op.event("link.changed", seconds=20, site="HUE", to="online")
    finally:
        proc.terminate()
        await proc.wait()


async def test_the_agent_replies_to_the_centre_and_answers_its_cue(fast):
    """`agent reply` writes in the site's thread; `agent ready` answers the latest cue."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    code, _, err = await agent(fast.url, "--username", "site-hue", "ready")
    assert code != 0 and "no cue" in err  # nothing to answer yet
    code, out, _ = await agent(fast.url, "--username", "site-hue", "reply", "Đã thay micro")
    assert code == 0 and out.startswith("ok: msg.send")
    await op.event("msg.sent", site="HUE", side="site", text="Đã thay micro")
    # A cue for HUE: its speaker heads the queue while the conference is live.
    await op.cmd("conference.phase", {"phase": "live"})
    assistant = await Client.connect(fast.ws_url, await fast.login("assistant"))
    args = {"site": "HUE", "speaker": "Ông A", "title": "Giám đốc", "topic": "T", "kind": "speech"}
    assert (await assistant.cmd("speak.add", args))["type"] == "ack"
    cue = await op.event("cue.sent", site="HUE", reason="speaker")
    code, out, _ = await agent(fast.url, "--username", "site-hue", "ready", "--not")
    assert code == 0 and out.startswith("ok: cue.answer")
    answered = await op.event("cue.answered", site="HUE")
    assert answered["data"] == {"cue_id": cue["data"]["cue_id"], "site": "HUE", "ready": False}
    for client in (op, assistant):
        await client.close()


async def test_the_agent_reports_progress_on_a_conclusion(fast):
    """`agent progress K001 --percent 60 TEXT`, then `--done`: the centre sees both."""
    op = await Client.connect(fast.ws_url, await fast.login("operator"))
    deadline = fast.runtime.options.clock_ms() + 7 * 86_400_000
    ack = await op.cmd(
        "conclusion.add", {"text": "Báo cáo chuyển đổi số", "sites": ["HUE"], "deadline": deadline}
    )
    cid = ack["result"]["conclusion_id"]
    code, out, _ = await agent(
        fast.url, "--username", "site-hue", "progress", cid, "Đã giao Sở", "--percent", "60"
    )
    assert code == 0 and out.startswith("ok: conclusion.report")
    first = await op.event("conclusion.reported", site="HUE")
    assert (first["data"]["percent"], first["data"]["done"]) == (60, False)
    code, _, _ = await agent(fast.url, "--username", "site-hue", "progress", cid, "--done")
    assert code == 0
    done = await op.event("conclusion.reported", site="HUE", done=True)
    assert done["data"]["percent"] == 100
    code, _, err = await agent(fast.url, "--username", "site-dng", "progress", cid, "--done")
    assert code == 1 and "conflict" in err  # DNG is not responsible for it
    await op.close()


async def test_the_agent_sends_its_report_on_the_next_pong(fast):
    """One frame a heartbeat: the report rides the pong, and the hub takes it as a report."""
    sent: list[dict] = []
    session = HubSession(fast.url, "site-hni", "demo")
    send = session._send

    async def spy(frame):
        sent.append(frame)
        await send(frame)

    session._send = spy
    runner = asyncio.create_task(session.run())
    async with asyncio.timeout(timeout()):
        await session.connected.wait()
    stats = {"rtt_ms": 20.0, "jitter_ms": 77.0, "loss_pct": 0.5, "audio": "ok", "video": "ok"}
    await session.send_stats(stats)
    monitor = fast.runtime.links["demo"]
    async with asyncio.timeout(timeout()):
        while (monitor.sites["HNI"].reported or {}).get("jitter_ms") != 77.0:
            await asyncio.sleep(0.02)
    carried = [f for f in sent if f["type"] == "pong" and "stats" in f]
    assert len(carried) == 1 and carried[0]["stats"] == stats
    assert not [f for f in sent if f["type"] == "stats"]
    session.stop()
    await asyncio.wait_for(runner, timeout())
