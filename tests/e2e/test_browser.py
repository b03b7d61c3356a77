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

from simulator.browser import Page, launch
from simulator.homesetup import HomeAssistantSetup, Owner
from simulator.screenshot import log_in, open_panel

pytestmark = pytest.mark.e2e

STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components" / "tesla_amber_sync" / "strings.json").read_text()
)
SYNC_STATUS_NAMES: dict[str, str] = STRINGS["entity"]["sensor"]["sync_status"]["state"]
# What the console may show that is not ours: the brands proxy cannot reach the internet for Home
# Assistant's own icons here.
OURS = re.compile(r"tesla_amber_sync|tesla-sync|tesla_sync|home_powerwall|amber_electric", re.IGNORECASE)
# The repairs Home Assistant raises about how it was installed (a Python virtual environment), not ours.
NOT_OURS = {("homeassistant", "deprecated_method")}
SLOT_ROW = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d$")
WITHIN = 60.0


def line_after(text: str, label: str) -> str:
    """The line a card shows right after `label` (an entity row's value follows its name)."""
    lines = text.splitlines()
    return lines[lines.index(label) + 1]


async def eventually_shows(page: Page, check: Any, what: str) -> str:
    """Poll the page's text until `check(text)` holds; returns that text."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    while True:
        text = await page.text()
        if check(text):
            return text
        if loop.time() > deadline:
            pytest.fail(f"the page never showed {what}; it shows:\n{text[-3000:]}")
        await asyncio.sleep(0.25)


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

        # The dashboard: every card, then the price and the sync status as Home Assistant holds them.
        await open_panel(page, "/tesla-sync/overview")
        await page.wait_for_text(
            "Price now", "Power now", "Energy today", "Powerwall", "Overrides", within=WITHIN
        )

        async def state(entity_id: str) -> str:
            found = await home.state(entity_id)
            assert found is not None, entity_id
            return str(found["state"])

        buy = await state("sensor.amber_electric_general_price")
        assert buy not in {"unknown", "unavailable"}
        await eventually_shows(
            page, lambda text: line_after(text, "Buy") == f"{float(buy):.4f} $/kWh", f"Buy {buy} $/kWh"
        )
        synced = await eventually_shows(
            page,
            lambda text: (
                "Home Powerwall Sync status" in text
                and line_after(text, "Home Powerwall Sync status") in SYNC_STATUS_NAMES.values()
            ),
            "a sync status",
        )
        status = await state("sensor.home_powerwall_sync_status")
        assert line_after(synced, "Home Powerwall Sync status") == SYNC_STATUS_NAMES[status]
        assert "not available" not in synced.lower()
        assert "Entity not found" not in synced

        # The tariff: a row for each of the 48 half-hours, each with buy and sell $/kWh and its source.
        await open_panel(page, "/tesla-sync/tariff")
        tariff = await eventually_shows(
            page, lambda text: "Slot" in text and "Buy $/kWh" in text, "the tariff table"
        )
        lines = tariff.splitlines()
        rows = [index for index, line in enumerate(lines) if SLOT_ROW.match(line)]
        assert len(rows) == 48
        for index in rows:
            buy_cell, sell_cell, source = lines[index + 1 : index + 4]
            assert re.fullmatch(r"\d+\.\d{4}", buy_cell), lines[index : index + 4]
            assert re.fullmatch(r"\d+\.\d{4}", sell_cell), lines[index : index + 4]
            assert float(sell_cell) <= float(buy_cell)
            assert source in {"forecast", "fallback"}
        sources = [lines[index + 3] for index in rows]
        assert line_after(tariff, "·") == f"{sources.count('forecast')} slots from forecast,"
        # The rate in force now is the tariff sensor's (read again should the half-hour turn meanwhile).
        for _ in range(3):
            if (
                line_after(await page.text(), "Now:")
                == f"{await state('sensor.home_powerwall_tariff')} $/kWh"
            ):
                break
            await asyncio.sleep(1)
        else:
            pytest.fail("the tariff's current rate is not the tariff sensor's")

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
