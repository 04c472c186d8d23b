"""Each role logs in through the login form on the demo conference with simulated
sites; each console shows what the role may do and nothing else; a 1920×1080
screenshot of each is saved to artifacts/screenshots/ (with
CONTROLROOM_UPDATE_SCREENSHOTS=1, to docs/screenshots/, which README.md shows)."""

from __future__ import annotations

import asyncio
import contextlib
import re

from controlroom.agent.simulator import simulate
from controlroom.auth.accounts import AccountStore
from tests.conftest import DEMO
from tests.e2e.conftest import SCREENSHOTS, VIEWPORT, command, console, expect
from tests.support.server import running_hub
from tests.support.timing import timeout


async def shot(page, name: str) -> None:
    """Saves a viewport screenshot as <SCREENSHOTS>/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.mouse.move(0, 0)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


async def test_each_role_console_on_the_live_demo(browser, tmp_path):
    """Login page; operator (grid, inbox, run-script, detail with link history);
    assistant; chair; site: each console, its actions by role, and a screenshot."""
    async with running_hub(DEMO, tmp_path / "data", heartbeat_s=0.5) as hub:
        sites = [
            (a.username, a.site, None)
            for a in AccountStore(DEMO / "accounts.toml").all()
            if a.role == "site" and a.site and a.site != "TW"
        ][:30]
        sim = asyncio.create_task(simulate(hub.url, sites, fault_per_min=0, speak_per_min=0))
        try:
            await command(hub, "operator", "conference.phase", {"phase": "live"})
            await command(hub, "operator", "agenda.advance", {})
            await command(hub, "operator", "agenda.advance", {})
            await command(
                hub,
                "site-hue",
                "fault.report",
                {
                    "category": "audio",
                    "severity": "critical",
                    "description": "Micro bàn chủ tọa bị rè",
                },
            )
            f2 = await command(
                hub,
                "site-dng",
                "fault.report",
                {
                    "category": "video",
                    "severity": "major",
                    "description": "Máy chiếu không lên hình",
                },
            )
            await command(
                hub, "operator", "fault.ack", {"fault_id": f2["fault_id"], "note": "Đã tiếp nhận"}
            )
            reqs = []
            for user, speaker, title in [
                ("site-hni", "Trần Văn Bình", "Giám đốc Sở Tài chính"),
                ("site-hcm", "Phạm Thị Thu", "Phó Chủ tịch UBND"),
                ("site-cto", "Lê Minh Tâm", "Giám đốc Sở Nông nghiệp"),
                ("site-hpg", "Vũ Đức Hải", "Chánh Văn phòng"),
                ("site-lci", "Hoàng Thị Mai", "Giám đốc Sở KH&CN"),
            ]:
                reqs.append(
                    (
                        await command(
                            hub,
                            user,
                            "speak.request",
                            {
                                "speaker": speaker,
                                "title": title,
                                "topic": "Chuyển đổi số cấp cơ sở",
                                "kind": "comment",
                            },
                        )
                    )["request_id"]
                )
            for rid in reqs[:4]:
                await command(hub, "assistant", "speak.approve", {"request_id": rid})
            await command(hub, "assistant", "speak.grant", {"request_id": reqs[0], "limit_s": 420})

            # The login page.
            context = await browser.new_context(viewport=VIEWPORT)
            login = await context.new_page()
            await login.goto(hub.url + "/")
            await expect(login.locator("form.login")).to_be_visible()
            await shot(login, "login")
            await context.close()

            op = await console(browser, hub, "operator")
            tiles = op.locator(".site-grid .tile")
            await expect(tiles).to_have_count(35)
            await expect(op.locator(".site-grid .tile.link-online")).to_have_count(
                30, timeout=15000
            )
            # A few links frames, so the sparklines have a line.
            # Polled with evaluate: wait_for_function's string predicate is an eval, which
            # the consoles' Content-Security-Policy (rightly) refuses.
            async with asyncio.timeout(timeout(15)):
                while not await op.evaluate(
                    "window.__controlroom.store.history.get('HNI').length >= 4"
                ):
                    await asyncio.sleep(0.1)
            ranks = await op.evaluate("""async () => {
                const { troubleRank } = await import('/sitegrid.js');
                const st = window.__controlroom.store.state;
                const open = (code) => Object.values(st.faults).filter((f) => f.site === code
                    && ['open', 'acknowledged', 'reopened'].includes(f.state)).length;
                const tiles = [...document.querySelectorAll('.site-grid .tile')]
                    .map((el, i) => [Number(getComputedStyle(el).order), i, el])
                    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);  // the order on screen
                return tiles.map(([, , el]) =>
                    troubleRank(st.sites[el.dataset.site], open(el.dataset.site)));
            }""")
            assert ranks == sorted(ranks) and ranks[0] < ranks[-1], "trouble first"
            await expect(op.locator("article.fault")).to_have_count(2)
            await expect(op.get_by_role("button", name="Trao lời")).to_have_count(0)
            await shot(op, "operator")

            await op.locator(".tile[data-site=HNI]").click()
            detail = op.locator("dialog.site-detail")
            # The link's own history, and one card per source (the simulated bridge
            # reports every site; the console is the technician's).
            await expect(
                detail.locator(".detail-body > .history-chart polyline.rtt")
            ).to_be_attached()
            await expect(detail.locator(".source-card")).to_have_count(2)
            await expect(detail.locator(".source-card.follows")).to_contain_text("Cầu truyền hình")
            await expect(detail).to_contain_text("Kỹ thuật viên")
            await shot(op, "operator-site-detail")
            await op.context.close()

            asst = await console(browser, hub, "assistant")
            await expect(asst.locator(".queue .req")).to_have_count(3)
            await expect(asst.locator(".incoming .req")).to_have_count(1)
            await expect(asst.locator(".floor .countdown")).to_have_text(
                re.compile(r"^0[67]:[0-5]\d$")
            )
            await expect(asst.locator("article.fault, .site-grid")).to_have_count(0)
            await expect(asst.get_by_role("button", name="Tiếp nhận")).to_have_count(0)
            await shot(asst, "assistant")
            await asst.context.close()

            chair = await console(browser, hub, "chair")
            await expect(chair.locator(".chair-speaker")).to_have_text("Trần Văn Bình")
            await expect(chair.locator(".chair-next-list li")).to_have_count(3)
            await expect(chair.locator(".trouble-count")).to_have_text(re.compile(r"^\d+$"))
            assert await chair.locator("main button, main input, main select").count() == 0
            await shot(chair, "chair")
            await chair.context.close()

            site = await console(browser, hub, "site-hue")
            await expect(site.locator(".site-banner .code")).to_have_text("HUE")
            await expect(site.locator(".my-faults article.fault")).to_have_count(1)
            await expect(site.locator(".banner-floor .speaker")).to_have_text("Trần Văn Bình")
            await expect(site.locator(".site-grid, .assistant-grid, .chair-grid")).to_have_count(0)
            await shot(site, "site")

            admin = await console(browser, hub, "admin")
            await expect(admin.locator(".site-grid .tile")).to_have_count(35)
            await expect(admin.locator(".assistant-grid")).to_be_visible()
            for page in (site, admin):
                assert page.errors == []
        finally:
            sim.cancel()
            with contextlib.suppress(BaseException):
                await sim
