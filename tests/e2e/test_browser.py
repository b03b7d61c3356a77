"""A newcomer's first run, in a real browser: what `scripts/develop` starts, seen through headless Chromium.

It runs `python -m simulator.devhome` (scripts/develop without the install step) in a fresh configuration
folder, logs in through Home Assistant's own login page, and reads what the pages show: the Tesla Sync
dashboard (the price, the sync status, the tariff rows), the integration's page in Settings and one of its
actions in Developer tools. Chromium is Debian's package, driven over the DevTools protocol; nothing is
downloaded. Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import re
from typing import Any

import aiohttp
import pytest

from custom_components.tesla_amber_sync.frontend_assets import content_version
from simulator import dashboard
from simulator.browser import DEEP_QUERY_JS, Page, launch
from simulator.homesetup import HomeAssistantSetup, Owner
from simulator.screenshot import log_in, open_panel

pytestmark = pytest.mark.e2e

STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components" / "tesla_amber_sync" / "strings.json").read_text()
)
# What the console may show that is not ours: the brands proxy cannot reach the internet for Home
# Assistant's own icons here.
OURS = re.compile(r"tesla_amber_sync|tesla-sync|tesla_sync|home_powerwall|amber_electric", re.IGNORECASE)
# The repairs Home Assistant raises about how it was installed (a Python virtual environment), not ours.
NOT_OURS = {("homeassistant", "deprecated_method")}
WITHIN = 60.0
# Defines `card`: the forecast view of the tariff card (inside its shadow root), for expressions to finish.
CARD_JS = (
    f"(() => {{ {DEEP_QUERY_JS} const card = deepQuery('ha-card[data-view=\"forecast\"]');"
    " if (!card) return null;"
)
CARD_TEST_JS = (Path(__file__).parents[1] / "js" / "tariff_card_test.js").read_text()
SLOTS_JS = (
    f"{CARD_JS} return [...card.querySelectorAll('g.slot')].map((slot) => ({{"
    " start: slot.dataset.start, buy: Number(slot.dataset.buy), sell: Number(slot.dataset.sell),"
    " source: slot.dataset.source, current: slot.classList.contains('current'),"
    " fill: slot.querySelector('rect.buy').getAttribute('fill') })); })()"
)


def layout_table() -> dict[str, str | None]:
    """Every reference of the layout and the YAML example's entity id for it."""
    references = re.findall(r'"((?:powerwall|amber):[a-z_]+\.[a-z0-9_]+)"', dashboard.LAYOUT.read_text())
    return {
        reference: dashboard.lookup(*re.split(r"[:.]", reference, maxsplit=2)) for reference in references
    }


async def eventually_draws(page: Page, home: HomeAssistantSetup, also: Any = None) -> list[dict[str, Any]]:
    """Wait until the card draws the 48 slots the tariff sensor holds (and `also(slots)` holds); returns them.

    Equal means the same start, buy, sell and source per slot, with the slot in progress the one marked,
    and its buy the sensor's state.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    drawn: list[dict[str, Any]] | None = None
    while True:
        drawn = await page.evaluate(SLOTS_JS)
        sensor = await home.state("sensor.home_powerwall_tariff")
        if drawn and sensor and len(drawn) == 48 and (also is None or also(drawn)):
            held = {slot["start"][11:16]: slot for slot in sensor["attributes"]["slots"]}
            current = [slot for slot in drawn if slot["current"]]
            if (
                all(
                    (slot["buy"], slot["sell"], slot["source"])
                    == (
                        held[slot["start"][11:16]]["buy"],
                        held[slot["start"][11:16]]["sell"],
                        held[slot["start"][11:16]]["source"],
                    )
                    for slot in drawn
                )
                and len(current) == 1
                and current[0] == drawn[0]
                and float(sensor["state"]) == current[0]["buy"]
            ):
                return drawn
        if loop.time() > deadline:
            pytest.fail(f"the card never drew the tariff sensor's slots: {drawn!r}\nsensor: {sensor!r}")
        await asyncio.sleep(0.5)


async def hass_command(page: Page, message: dict[str, Any]) -> Any:
    """Ask Home Assistant over the page's own websocket connection, as the frontend does."""
    return await page.evaluate(
        f"document.querySelector('home-assistant').hass.connection.sendMessagePromise({json.dumps(message)})"
    )


async def test_first_run_in_a_browser(dev_home: tuple[str, Path]) -> None:
    hass_url, log = dev_home
    async with aiohttp.ClientSession() as session, launch(width=1400, height=1000) as page:
        home = HomeAssistantSetup(session, hass_url)
        await home.sign_in(Owner())
        await log_in(page, hass_url, Owner())

        # The dashboard the integration's strategy builds from the entity registry, the tariff card on top.
        await open_panel(page, "/tesla-sync/home-powerwall")
        await page.wait_for_text(
            "Price now", "Power now", "Energy today", "Powerwall", "Overrides", within=WITHIN
        )
        tariff = await eventually_draws(page, home)
        assert {"forecast", "fallback"} >= {slot["source"] for slot in tariff}
        assert await page.evaluate(f"{CARD_JS} return !!card.querySelector('polyline.forecast'); }})()")
        assert "c/kWh" in await page.evaluate(f"{CARD_JS} return card.textContent; }})()")
        # A tooltip per slot, in c/kWh.
        tip = await page.evaluate(
            f"""{CARD_JS} const slot = card.querySelectorAll('g.slot')[5];
            const box = slot.querySelector('rect.hit').getBoundingClientRect();
            slot.dispatchEvent(new PointerEvent('pointermove', {{bubbles: true, composed: true,
              clientX: box.x + box.width / 2, clientY: box.y + box.height / 2}}));
            const tip = card.querySelector('.tooltip'); return tip.hidden ? '' : tip.textContent; }})()"""
        )
        assert f"Buy {100 * tariff[5]['buy']:.2f} c/kWh" in tip, tip

        # A spike: the slots it prices turn spike-coloured, the rest keep Amber's.
        await hass_command(
            page,
            {
                "type": "call_service",
                "domain": "tesla_amber_sync",
                "service": "simulate_spike",
                "service_data": {"price": 15000, "duration": 10},
            },
        )
        spiked = await eventually_draws(page, home, lambda slots: slots[0]["source"] == "spike")
        assert spiked[0]["fill"].startswith("var(--tesla-sync-spike")
        assert spiked[0]["buy"] == 15.0
        assert any(slot["source"] != "spike" for slot in spiked)

        # The card's own tests, in this browser, against the files the integration serves.
        base = f"/tesla_amber_sync/frontend/{content_version()}"
        example = {
            "layout": json.loads(dashboard.LAYOUT.read_text()),
            "table": layout_table(),
            "dashboard": dashboard.dashboard(),
        }
        failures = await page.evaluate(f"({CARD_TEST_JS})({json.dumps(base)}, {json.dumps(example)})")
        assert failures == [], failures

        # Settings: the integration's page with both devices, its brand icon loaded, and Reconfigure.
        await open_panel(page, "/config/integrations/integration/tesla_amber_sync")
        settings = await page.wait_for_text("Tesla Sync", "Home Powerwall", "Amber Electric", within=WITHIN)
        assert "Electricity site" in settings
        assert await page.wait_for(
            "(() => { const icon = deepQuery('img[src*=\"brands/integration/tesla_amber_sync/icon\"]');"
            " return !!icon && icon.complete && icon.naturalWidth > 0; })()",
            within=WITHIN,
        )

        # Developer tools: one of our actions, with its translated name and description.
        await open_panel(page, "/developer-tools/action?service=tesla_amber_sync.sync_now")
        action = STRINGS["services"]["sync_now"]
        await page.wait_for_text(action["name"], action["description"], "Perform action", within=WITHIN)

        # Home Assistant runs on its confirmed HTTP settings: this machine only, nothing waiting to revert.
        http = await hass_command(page, {"type": "http/config"})
        assert http["active_config_type"] == "stable"
        assert http["stable"]["server_host"] == ["127.0.0.1"]
        assert (http["pending"], http["revert_at"]) == (None, None)

        # No "Invalid config" notification, no repair of ours, no console error from our code.
        notifications = await hass_command(page, {"type": "persistent_notification/get"})
        assert not [n for n in notifications if "config" in n["notification_id"] or OURS.search(str(n))]
        issues = (await hass_command(page, {"type": "repairs/list_issues"}))["issues"]
        assert {(issue["domain"], issue["issue_id"]) for issue in issues} <= NOT_OURS
        ours = [error for error in page.console_errors if OURS.search(error)]
        assert not ours, page.console_errors
    errors = [line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line]
    assert not [line for line in errors if "tesla_amber_sync" in line], errors
