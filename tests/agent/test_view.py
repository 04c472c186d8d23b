"""The agent's terminal view: a fault the hub opened reads in the agent's English."""

from __future__ import annotations

from controlroom.agent.view import SiteView, render


def test_a_fault_the_hub_opened_is_rendered_from_its_code():
    view = SiteView()
    view.feed({"type": "welcome", "site": "HUE"})
    view.feed(
        {
            "type": "event",
            "name": "fault.reported",
            "data": {
                "fault_id": "F0001",
                "site": "HUE",
                "category": "network",
                "description": "Mất kết nối đường truyền tới Huế (phiên kết nối đã đóng).",
                "description_code": {
                    "code": "link_lost",
                    "site": "HUE",
                    "cause": {"code": "connection_closed"},
                },
            },
        }
    )
    (line,) = [x for x in render(view, 0) if "F0001" in x]
    assert "Link to HUE lost (the connection closed)." in line
    assert "Mất" not in line


def test_announcements_messages_and_the_cue_show_in_the_terminal():
    view = SiteView()
    view.feed({"type": "welcome", "site": "HUE"})
    view.feed({"type": "snapshot", "state": {"cues": {}, "threads": {}, "announcements": {}}})
    for name, data in (
        (
            "announce.sent",
            {"announcement_id": "A0001", "text": "Kết nối lại lúc 13:30", "sites": ["HUE"]},
        ),
        (
            "msg.sent",
            {"message_id": "M00001", "site": "HUE", "side": "centre", "text": "Kiểm tra micro"},
        ),
        (
            "msg.sent",
            {"message_id": "M00002", "site": "HUE", "side": "site", "text": "Đã kiểm tra"},
        ),
        ("cue.sent", {"cue_id": "Q0001", "site": "HUE", "reason": "next", "item_id": "A05"}),
    ):
        shown = view.feed({"type": "event", "name": name, "data": data})
        assert shown is (data.get("side") != "site")  # its own message changes nothing shown
    lines = render(view, 0)
    assert "  announcement A0001: Kết nối lại lúc 13:30" in lines
    assert [x for x in lines if "centre says" in x] == ["  centre says: Kiểm tra micro"]
    assert any("YOU ARE NEXT (next A05): not answered" in x for x in lines)
    view.feed(
        {
            "type": "event",
            "name": "announce.read",
            "data": {"announcement_id": "A0001", "site": "HUE"},
        }
    )
    view.feed({"type": "event", "name": "cue.answered", "data": {"cue_id": "Q0001", "ready": True}})
    lines = render(view, 0)
    assert not [x for x in lines if "announcement" in x]
    assert any("YOU ARE NEXT (next A05): ready" in x for x in lines)
