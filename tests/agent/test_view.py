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
