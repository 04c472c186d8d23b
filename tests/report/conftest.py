"""A scripted demo conference with known times, shared by the report tests."""

from __future__ import annotations

import pytest

from controlroom.config import ConferenceConfig, load_conference
from tests.conftest import DEMO
from tests.report.script import ADMIN, ASSISTANT, OPERATOR, Script, local_ms, site_actor


def scripted(config: ConferenceConfig) -> Script:
    """The morning of the demo conference, every step at an explicit local time."""
    s = Script(config)

    def at(hhmmss: str, day: int = 0) -> int:
        return local_ms(config, hhmmss, day)

    hni, hue = site_actor("HNI"), site_actor("HUE")
    # The day before: test calls (HUE needed a second call).
    s.record("testcall.started", {"call": "C1", "site": "HNI"}, at("16:30", -1))
    metrics = {"mos": 4.2, "rtt_ms": 35, "loss_pct": 0.0}
    s.record(
        "testcall.result",
        {"call": "C1", "site": "HNI", "verdict": "pass", "metrics": metrics, "reasons": []},
        at("16:31", -1),
    )
    s.record("testcall.started", {"call": "C2", "site": "HUE"}, at("16:32", -1))
    s.record(
        "testcall.result",
        {"call": "C2", "site": "HUE", "verdict": "fail", "metrics": {}, "reasons": ["no audio"]},
        at("16:33", -1),
    )
    s.record("testcall.started", {"call": "C3", "site": "HUE"}, at("16:40", -1))
    s.record(
        "testcall.result",
        {
            "call": "C3",
            "site": "HUE",
            "verdict": "warn",
            "metrics": {"mos": 3.6},
            "reasons": ["loss 2.5 %"],
        },
        at("16:41", -1),
    )
    # The morning: roll call and links.
    s.cmd(hni, "site.checkin", {"technician": "Trần Quốc Khánh", "phone": "0903"}, at("07:30"))
    s.cmd(hue, "site.checkin", {"technician": "Lê Văn Huế", "phone": "0905"}, at("07:40"))
    s.link("HNI", "online", at("07:50"), rtt=40)
    s.link("HUE", "online", at("07:55"), rtt=80)
    s.cmd(ADMIN, "conference.phase", {"phase": "live"}, at("08:00:00"))
    # Run-script: A01 at 08:00:30, A02 at 08:06, A03 (planned 08:15) at 08:17.
    s.cmd(OPERATOR, "agenda.advance", {}, at("08:00:30"))
    s.cmd(OPERATOR, "agenda.advance", {}, at("08:06:00"))
    s.cmd(OPERATOR, "agenda.advance", {}, at("08:17:00"))
    # Speaking.
    s.cmd(hni, "speak.request", _speech("Nguyễn Văn A"), at("08:20"))
    s.cmd(ASSISTANT, "speak.approve", {"request_id": "R0001"}, at("08:21"))
    s.cmd(hue, "speak.request", _speech("Lê Thị B"), at("08:22"))
    s.cmd(ASSISTANT, "speak.reject", {"request_id": "R0002", "reason": "hết giờ"}, at("08:23"))
    s.cmd(hni, "speak.request", _speech("Phạm Văn C"), at("08:24"))
    s.cmd(hni, "speak.withdraw", {"request_id": "R0003"}, at("08:25"))
    s.cmd(ASSISTANT, "speak.grant", {"request_id": "R0001", "limit_s": 300}, at("08:30:00"))
    # HUE drops out at 08:30 (an automatic critical network fault F0001), escalates.
    s.link("HUE", "offline", at("08:30:00"))
    s.tick(at("08:31:00"))
    s.cmd(OPERATOR, "fault.ack", {"fault_id": "F0001"}, at("08:32:00"))
    s.tick(at("08:35:00"))
    s.cmd(ASSISTANT, "speak.end", {"request_id": "R0001"}, at("08:35:30"))
    s.link("HUE", "online", at("08:40:00"), rtt=100)
    s.link("HUE", "degraded", at("08:50:00"), rtt=400, loss=5.0)
    s.link("HUE", "online", at("08:55:00"), rtt=90)
    # A fault reported at 09:00:00, acknowledged at 09:00:45, resolved at 09:05.
    fault = {"category": "audio", "severity": "major", "description": "Mất tiếng"}
    s.cmd(hni, "fault.report", fault, at("09:00:00"))
    s.cmd(OPERATOR, "fault.ack", {"fault_id": "F0002"}, at("09:00:45"))
    s.cmd(OPERATOR, "fault.resolve", {"fault_id": "F0002", "resolution": "ok"}, at("09:05:00"))
    s.cmd(ADMIN, "conference.phase", {"phase": "ended"}, at("10:00:00"))
    return s


def _speech(speaker: str) -> dict[str, str]:
    return {"speaker": speaker, "title": "Giám đốc Sở", "topic": "Kế hoạch", "kind": "speech"}


@pytest.fixture(scope="session")
def demo_config() -> ConferenceConfig:
    """The demo conference's configuration."""
    return load_conference(DEMO)


@pytest.fixture
def script(demo_config: ConferenceConfig) -> Script:
    """The scripted morning."""
    return scripted(demo_config)
