"""The bridge poller: display names to sites, joins and leaves, and [bridge] in config."""

from __future__ import annotations

import pytest

from controlroom.config.conference import BridgeSettings
from controlroom.config.errors import ConfigError
from controlroom.domain.model import SiteInfo
from controlroom.service.bridge_poll import BridgePoller, fold
from tests.cli.test_commands import conf  # noqa: F401 - the fixture (a copy of the demo)

SITES = (
    SiteInfo("TW", "Trung ương", "central"),
    SiteInfo("HUE", "Huế"),
    SiteInfo("DNG", "Đà Nẵng"),
)


class Monitor:
    def __init__(self) -> None:
        self.reports: list[list[dict]] = []

    def bridge_report(self, samples: list[dict]) -> list[str]:
        self.reports.append(samples)
        return []


class Admin:
    def __init__(self) -> None:
        self.now: dict = {}

    async def poll(self) -> dict:
        return self.now

    async def close(self) -> None:
        pass


def test_display_names_fold_to_sites():
    assert fold("  Đà   Nẵng ") == "da nang" and fold("HUẾ") == "hue"
    poller = BridgePoller(Monitor(), BridgeSettings("janus", "http://x/admin"), SITES, 1.0)
    assert [poller.site_of(d) for d in ("hue", "Huế", "Da Nang", "dng", "TW ", "Hà Nội")] == [
        "HUE", "HUE", "DNG", "DNG", "TW", None
    ]  # fmt: skip


async def test_a_site_seen_and_gone_is_out_of_the_call_and_one_never_seen_is_not_told():
    monitor = Monitor()
    poller = BridgePoller(monitor, BridgeSettings("janus", "http://x/admin"), SITES, 1.0)
    poller.admin = Admin()  # type: ignore[assignment]
    rx = {"loss_pct": 0.5, "jitter_ms": 3.0, "bitrate_kbps": 1500.0}
    poller.admin.now = {"Huế": {"rx": rx}, "Someone else": {"rx": rx}}
    assert await poller.poll_once() == [{"site": "HUE", "in_call": True, "rx": rx}]
    poller.admin.now = {}
    assert await poller.poll_once() == [{"site": "HUE", "in_call": False}]
    # What the bridge says is checked like a post to the ingest route: NaN drops the poll.
    poller.admin.now = {"HUE": {"rx": {**rx, "loss_pct": float("nan")}}}
    assert await poller.poll_once() == []
    assert len(monitor.reports) == 2


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('kind = "pexip"\nadmin_url = "http://x"', "bridge.kind"),
        ('kind = "janus"\nadmin_url = "ftp://x"', "bridge.admin_url"),
        ('kind = "janus"\nadmin_url = "http://x"\nroom = "a"', "bridge.room"),
        ('kind = "janus"\nadmin_url = "http://x"\nsecret = "s"', "bridge.secret"),
    ],
)
def test_a_wrong_bridge_table_names_its_key(conf, table, key):  # noqa: F811
    from controlroom.config import load_conference

    with (conf / "conference.toml").open("a", encoding="utf-8") as f:
        f.write(f"\n[bridge]\n{table}\n")
    with pytest.raises(ConfigError) as err:
        load_conference(conf)
    assert key in str(err.value)
