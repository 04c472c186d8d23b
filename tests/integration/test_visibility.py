"""Who sees what (PROTOCOL.md): a site never sees another site's faults or requests."""

from tests.support.client import Client


async def test_sites_see_only_their_own_faults_and_requests(hub):
    """HNI's fault and request reach the operator and HNI, never HCM; the floor is public."""
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    asst = await Client.connect(hub.ws_url, await hub.login("assistant"))
    hni = await Client.connect(hub.ws_url, await hub.login("site-hni"))
    hcm = await Client.connect(hub.ws_url, await hub.login("site-hcm"), codec="msgpack")
    fid = (
        await hni.cmd(
            "fault.report", {"category": "audio", "severity": "major", "description": "Mất tiếng"}
        )
    )["result"]["fault_id"]
    rid = (
        await hni.cmd(
            "speak.request",
            {"speaker": "Lê Hoa", "title": "Phó Chủ tịch", "topic": "Y tế", "kind": "speech"},
        )
    )["result"]["request_id"]
    await op.event("fault.reported", fault_id=fid)
    await asst.event("speak.requested", request_id=rid)
    grant = await asst.cmd("speak.grant", {"request_id": rid, "limit_s": 120})
    assert grant["type"] == "ack"
    # A marker event every site sees, so we know HCM has received everything before it.
    await op.cmd("conference.phase", {"phase": "rehearsal"})
    await hcm.event("conference.phase", phase="rehearsal")
    hcm_names = [e["name"] for e in hcm.events]
    assert "fault.reported" not in hcm_names and "speak.requested" not in hcm_names
    assert "speak.granted" in hcm_names  # the public floor
    assert all(
        e["data"].get("site") in (None, "HCM") or e["name"] == "speak.granted" for e in hcm.events
    )
    await asst.event("conference.phase", phase="rehearsal")
    assert not [e for e in asst.events if e["name"].startswith("fault.")]
    # Snapshots obey the same rules.
    fresh = await Client.connect(hub.ws_url, await hub.login("site-hcm"))
    state = fresh.snapshot["state"]
    assert list(state["sites"]) == ["HCM"] and state["faults"] == {}
    assert set(state["speaking"]["requests"]) <= {rid}  # only the public floor
    asst2 = await Client.connect(hub.ws_url, await hub.login("assistant"))
    assert not asst2.snapshot["state"].get("faults")
    op2 = await Client.connect(hub.ws_url, await hub.login("operator"))
    assert fid in op2.snapshot["state"]["faults"]


async def test_site_cannot_touch_another_sites_fault(hub):
    """A site confirming another site's fault is told not_found (existence is not leaked)."""
    hni = await Client.connect(hub.ws_url, await hub.login("site-hni"))
    hcm = await Client.connect(hub.ws_url, await hub.login("site-hcm"))
    op = await Client.connect(hub.ws_url, await hub.login("operator"))
    fid = (
        await hni.cmd(
            "fault.report", {"category": "audio", "severity": "minor", "description": "Tiếng bị rè"}
        )
    )["result"]["fault_id"]
    await op.cmd("fault.resolve", {"fault_id": fid, "resolution": "Đã chỉnh mic"})
    assert (await hcm.cmd("fault.confirm", {"fault_id": fid}))["code"] == "not_found"
    assert (await hcm.cmd("speak.withdraw", {"request_id": "R0001"}))["code"] == "not_found"
