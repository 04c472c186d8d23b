"""Every command of version 1 over a real server, and the events each console receives."""

import pytest

from tests.support.client import Client


@pytest.fixture
async def consoles(hub):
    """Operator (msgpack), assistant, chair and two sites (one msgpack), all synced."""
    made = {
        "operator": await Client.connect(hub.ws_url, await hub.login("operator"), codec="msgpack"),
        "assistant": await Client.connect(hub.ws_url, await hub.login("assistant")),
        "chair": await Client.connect(hub.ws_url, await hub.login("chair")),
        "hni": await Client.connect(hub.ws_url, await hub.login("site-hni"), codec="msgpack"),
        "hcm": await Client.connect(hub.ws_url, await hub.login("site-hcm")),
    }
    yield made
    for c in made.values():
        await c.close()


def ok(answer):
    assert answer["type"] == "ack", answer
    return answer


async def test_site_commands_checkin_status_and_fault_cycle(consoles):
    """A site checks in, reports status and a fault; the operator runs the fault to confirmation."""
    op, hni = consoles["operator"], consoles["hni"]
    ok(
        await hni.cmd(
            "site.checkin",
            {"technician": "Nguyễn Văn An", "phone": "0912 345 678", "delegates": 40},
        )
    )
    e = await op.event("site.checked_in", site="HNI")
    assert e["data"]["technician"] == "Nguyễn Văn An" and e["actor"]["account"] == "site-hni"
    ok(await hni.cmd("site.status", {"audio": "ok", "video": "fail", "note": "Camera chính hỏng"}))
    await op.event("site.status", site="HNI", video="fail")

    fault = ok(
        await hni.cmd(
            "fault.report", {"category": "video", "severity": "major", "description": "Mất hình"}
        )
    )
    fid = fault["result"]["fault_id"]
    await op.event("fault.reported", fault_id=fid, site="HNI")
    ok(await op.cmd("fault.ack", {"fault_id": fid, "note": "Đã nhận"}))
    await hni.event("fault.acknowledged", fault_id=fid)
    ok(await op.cmd("fault.assign", {"fault_id": fid, "assignee": "Trần Bình"}))
    await hni.event("fault.assigned", fault_id=fid)
    ok(await op.cmd("fault.note", {"fault_id": fid, "text": "Đang kiểm tra đường truyền"}))
    await hni.event("fault.noted", fault_id=fid)
    ok(await op.cmd("fault.resolve", {"fault_id": fid, "resolution": "Thay cáp HDMI"}))
    await hni.event("fault.resolved", fault_id=fid)
    ok(await hni.cmd("fault.reopen", {"fault_id": fid, "note": "Lại mất hình"}))
    await op.event("fault.reopened", fault_id=fid)
    ok(await op.cmd("fault.resolve", {"fault_id": fid, "resolution": "Khởi động lại codec"}))
    ok(await hni.cmd("fault.confirm", {"fault_id": fid}))
    await op.event("fault.confirmed", fault_id=fid)
    await consoles["chair"].event("fault.confirmed", fault_id=fid)


async def test_operator_reports_for_a_site_and_sees_state_refusals(consoles):
    """The operator may report for a site; acting on a fault in the wrong state is a conflict."""
    op = consoles["operator"]
    fid = ok(
        await op.cmd(
            "fault.report",
            {
                "site": "HCM",
                "category": "network",
                "severity": "critical",
                "description": "Mất kết nối",
            },
        )
    )["result"]["fault_id"]
    await consoles["hcm"].event("fault.reported", fault_id=fid)
    ok(await op.cmd("fault.ack", {"fault_id": fid}))
    again = await op.cmd("fault.ack", {"fault_id": fid})
    assert again["type"] == "error" and again["code"] == "conflict"
    confirm = await consoles["hcm"].cmd("fault.confirm", {"fault_id": fid})
    assert confirm["code"] == "conflict"


async def test_speaking_queue_full_cycle(consoles):
    """Request, approve, move, grant, extend, end; reject and withdraw; add by the assistant."""
    asst, hni, hcm, chair = (
        consoles["assistant"],
        consoles["hni"],
        consoles["hcm"],
        consoles["chair"],
    )
    r1 = ok(
        await hni.cmd(
            "speak.request",
            {
                "speaker": "Lê Thị Hoa",
                "title": "Phó Chủ tịch UBND",
                "topic": "Chuyển đổi số",
                "kind": "speech",
            },
        )
    )["result"]["request_id"]
    await asst.event("speak.requested", request_id=r1)
    r2 = ok(
        await hcm.cmd(
            "speak.request",
            {"speaker": "Phạm Minh", "title": "Giám đốc Sở", "topic": "Hạ tầng", "kind": "comment"},
        )
    )["result"]["request_id"]
    r3 = ok(
        await asst.cmd(
            "speak.add",
            {
                "site": "DNG",
                "speaker": "Võ Văn Tâm",
                "title": "Chủ tịch",
                "topic": "Du lịch",
                "kind": "question",
            },
        )
    )["result"]["request_id"]
    ok(await asst.cmd("speak.approve", {"request_id": r1}))
    ok(await asst.cmd("speak.approve", {"request_id": r2, "position": 1}))
    await hni.event("speak.approved", request_id=r1)
    ok(await asst.cmd("speak.move", {"request_id": r1, "position": 1}))
    moved = await asst.event("speak.moved", request_id=r1)
    assert moved["data"]["site"] == "HNI"
    ok(await asst.cmd("speak.grant", {"request_id": r1, "limit_s": 300}))
    granted = await chair.event("speak.granted", request_id=r1)
    assert granted["data"]["limit_s"] == 300 and granted["data"]["speaker"] == "Lê Thị Hoa"
    await hcm.event("speak.granted", request_id=r1)  # the floor is public
    busy = await asst.cmd("speak.grant", {"request_id": r2})
    assert busy["code"] == "conflict"
    ok(await asst.cmd("speak.extend", {"request_id": r1, "add_s": 60}))
    await hni.event("speak.extended", request_id=r1)
    ok(await asst.cmd("speak.end", {"request_id": r1}))
    ended = await hcm.event("speak.ended", request_id=r1)
    assert ended["data"]["duration_s"] >= 0
    ok(await asst.cmd("speak.reject", {"request_id": r3, "reason": "Hết thời gian"}))
    ok(await hcm.cmd("speak.withdraw", {"request_id": r2}))
    await asst.event("speak.withdrawn", request_id=r2)
    dup = ok(
        await hni.cmd(
            "speak.request",
            {"speaker": "Đỗ An", "title": "Trưởng ban", "topic": "X", "kind": "speech"},
        )
    )
    again = await hni.cmd(
        "speak.request", {"speaker": "  đỗ an ", "title": "T", "topic": "Y", "kind": "speech"}
    )
    assert dup["type"] == "ack" and again["code"] == "conflict"


async def test_agenda_and_phase(consoles):
    """The operator sets the phase and walks the run-script; sites and chair follow."""
    op, hni, chair = consoles["operator"], consoles["hni"], consoles["chair"]
    ok(await op.cmd("conference.phase", {"phase": "live"}))
    await hni.event("conference.phase", phase="live")
    items = op.snapshot["state"]["agenda"]["items"]
    ok(await op.cmd("agenda.start", {"item_id": items[0]["item_id"]}))
    await chair.event("agenda.started", item_id=items[0]["item_id"])
    ok(await op.cmd("agenda.advance", {}))
    await hni.event("agenda.finished", item_id=items[0]["item_id"])
    await hni.event("agenda.started", item_id=items[1]["item_id"])
    ok(await op.cmd("agenda.finish", {}))
    await chair.event("agenda.finished", item_id=items[1]["item_id"])
    assert (await op.cmd("agenda.finish", {}))["code"] == "conflict"
    assert (await op.cmd("conference.phase", {"phase": "live"}))["code"] == "conflict"


async def test_testcall_commands_are_validated(consoles):
    """testcall.* are accepted from the operator for known sites and refused otherwise."""
    op = consoles["operator"]
    assert (await op.cmd("testcall.start", {"site": "NOPE"}))["code"] == "not_found"
    assert (await consoles["hni"].cmd("testcall.start", {"site": "HNI"}))["code"] == "forbidden"
    assert (await op.cmd("testcall.campaign", {"concurrency": 0}))["code"] == "invalid_args"


async def test_error_codes_over_websocket(consoles):
    """unknown_command, invalid_args with field, forbidden, not_found, conflict."""
    op, hni, asst = consoles["operator"], consoles["hni"], consoles["assistant"]
    assert (await op.cmd("fault.explode", {}))["code"] == "unknown_command"
    bad = await hni.cmd(
        "fault.report", {"category": "smell", "severity": "major", "description": "x"}
    )
    assert (bad["code"], bad["field"]) == ("invalid_args", "args.category")
    long = await hni.cmd(
        "speak.request", {"speaker": "A" * 201, "title": "t", "topic": "t", "kind": "speech"}
    )
    assert (long["code"], long["field"]) == ("invalid_args", "args.speaker")
    assert (await hni.cmd("fault.ack", {"fault_id": "F0001"}))["code"] == "forbidden"
    assert (await asst.cmd("fault.resolve", {"fault_id": "F1", "resolution": "x"}))[
        "code"
    ] == "forbidden"
    assert (await consoles["chair"].cmd("speak.end", {"request_id": "R1"}))["code"] == "forbidden"
    other = await hni.cmd("site.checkin", {"site": "HCM", "technician": "x", "phone": "1"})
    assert other["code"] == "forbidden"
    assert (await op.cmd("fault.ack", {"fault_id": "F0404"}))["code"] == "not_found"
    assert (await op.cmd("agenda.start", {"item_id": "Z99"}))["code"] == "not_found"
    assert (await asst.cmd("speak.end", {"request_id": "R0001"}))["code"] == "not_found"
