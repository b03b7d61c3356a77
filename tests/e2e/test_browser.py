"""A newcomer's first run, in a real browser: what `scripts/develop` starts, seen through headless Chromium.

It runs `python -m simulator.devhome` (scripts/develop without the install step) in a fresh configuration
folder, logs in through Home Assistant's own login page, and reads what the pages show: the Tesla Sync
dashboard (the price, the sync status, the tariff rows), the integration's page in Settings and one of its
actions in Developer tools. Chromium is Debian's package, driven over the DevTools protocol; nothing is
downloaded. Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
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
# A `recorder/statistics_during_period` request of the history view and Home Assistant's reply, recorded from
# `scripts/develop` after it had run for a while (the test's own Home Assistant is too young for statistics).
STATISTICS = json.loads((Path(__file__).parents[1] / "js" / "statistics_during_period.json").read_text())
# What the history view drew: the price and grid points, the battery bars and any error it shows.
HISTORY_JS = (
    f"(() => {{ {DEEP_QUERY_JS} const card = deepQuery('ha-card[data-view=\"history\"]');"
    " const chart = card && card.querySelector('svg.history-chart');"
    " const error = card && card.querySelector('.error');"
    " if (!chart && !error) return null;"
    " const points = (selector) => [...card.querySelectorAll(selector)].reduce((total, shape) =>"
    "   total + (shape.tagName === 'circle' ? 1 : shape.getAttribute('points').split(' ').length), 0);"
    " return { error: error ? error.textContent : null, text: card.textContent,"
    "   price: points('.history-price'), grid: points('.history-grid'),"
    "   battery: card.querySelectorAll('rect.history-battery').length }; })()"
)


def _entities_card(title: str) -> str:
    """JavaScript defining `card`, the dashboard's entities card titled `title` (or undefined), and
    `within(node, selector)`, every element matching `selector` in `node`'s tree, shadow roots included."""
    return f"""const within = (node, selector) => {{
    const found = [];
    const roots = [node.shadowRoot || node];
    while (roots.length) {{
      const root = roots.shift();
      found.push(...root.querySelectorAll(selector));
      for (const element of root.querySelectorAll("*")) {{
        if (element.shadowRoot) roots.push(element.shadowRoot);
      }}
    }}
    return found;
  }};
  const card = within(document, "hui-entities-card")
    .find((each) => each._config?.title === {json.dumps(title)});"""


def entities_card_text(title: str) -> str:
    """JavaScript for the text of the entities card titled `title` as a person reads it (rows' names, states
    and attribute values), or null while it is not there."""
    return f"""(() => {{ {_entities_card(title)}
  if (!card) return null;
  const parts = [];
  const walk = (node) => {{
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) {{
      if (child.nodeType === Node.TEXT_NODE) {{
        const text = child.textContent.trim();
        if (text) parts.push(text);
      }} else if (child.nodeType === Node.ELEMENT_NODE && !["SCRIPT", "STYLE"].includes(child.tagName)) {{
        walk(child);
      }}
    }}
  }};
  walk(card);
  return parts.join("\\n");
}})()"""


def press_in_card(title: str, entity_id: str) -> str:
    """JavaScript that clicks the button row of `entity_id` in the entities card titled `title`, as a person
    does; true once clicked."""
    return f"""(() => {{ {_entities_card(title)}
  if (!card) return false;
  const row = within(card, "hui-button-entity-row")
    .find((each) => each._config?.entity === {json.dumps(entity_id)});
  const button = row && within(row, "ha-button, mwc-button, button")[0];
  if (!button) return false;
  button.click();
  return true;
}})()"""


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


async def overrides_show(page: Page, *needles: str) -> str:
    """Wait until the Overrides card shows every one of `needles`; returns its text."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    while True:
        text = await page.evaluate(entities_card_text("Overrides")) or ""
        if all(needle in text for needle in needles):
            return str(text)
        if loop.time() > deadline:
            pytest.fail(f"the Overrides card never showed {needles}: {text!r}")
        await asyncio.sleep(0.25)


async def home_state_eventually(home: HomeAssistantSetup, entity_id: str, state: str) -> dict[str, Any]:
    """Wait until `entity_id` is in `state`; returns it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    while True:
        current = await home.state(entity_id)
        if current and current["state"] == state:
            return current
        if loop.time() > deadline:
            pytest.fail(f"{entity_id} never became {state!r}: {current!r}")
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

        # The dashboard the integration's strategy builds from the entity registry, the tariff card on top.
        await open_panel(page, "/tesla-sync/home-powerwall")
        await page.wait_for_text(
            "Price now", "Power now", "Energy today", "Powerwall", "Overrides", within=WITHIN
        )
        # scripts/develop set up the Energy dashboard, so the strategy adds Home Assistant's
        # energy-distribution card (it leaves it out where the Energy dashboard is not set up); no card of the
        # view is an error.
        assert await page.wait_for(
            "!!deepQuery('hui-energy-distribution-card')?.shadowRoot?.querySelector('ha-card')", within=WITHIN
        )
        tariff = await eventually_draws(page, home)
        assert not await page.evaluate(
            f"(() => {{ {DEEP_QUERY_JS} return !!deepQuery('hui-error-card'); }})()"
        )
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

        # What happened: the history view asks the recorder for the last 24 hours of this Powerwall's price,
        # battery and grid power and draws every 5-minute mean it gets. This Home Assistant is minutes old,
        # so it may have none yet and must say so; tests/js checks a recorded reply point by point.
        history = await page.wait_for(HISTORY_JS, within=WITHIN)
        assert history["error"] is None, history
        ids = {key: f"sensor.home_powerwall_{key}" for key in ("tariff", "battery_power", "grid_power")}
        end = datetime.now(UTC)
        reply = await hass_command(
            page,
            {
                **STATISTICS["request"],
                "start_time": (end - timedelta(hours=24)).isoformat(),
                "end_time": end.isoformat(),
            },
        )
        assert set(STATISTICS["request"]["statistic_ids"]) == set(ids.values())
        counts = {
            key: len([point for point in reply.get(entity_id, []) if point.get("mean") is not None])
            for key, entity_id in ids.items()
        }
        drawn = {
            "tariff": history["price"],
            "battery_power": history["battery"],
            "grid_power": history["grid"],
        }
        # The recorder may have compiled another 5 minutes since the card asked.
        assert all(counts[key] - 1 <= drawn[key] <= counts[key] for key in ids), (drawn, counts)
        if not any(drawn.values()):
            assert "No statistics yet" in history["text"], history

        # Overrides: the battery command in force, when it ends and what it will restore, with the buttons
        # that start and end one, pressed as a person does.
        await overrides_show(
            page,
            "Battery command",
            "Command now",
            "None",
            "Charge for an hour",
            "Discharge for 30 minutes",
            "Hold for 2 hours",
            "End the command",
        )
        assert await page.evaluate(press_in_card("Overrides", "button.home_powerwall_charge_for_an_hour"))
        command = await home_state_eventually(home, "sensor.home_powerwall_battery_command", "charging")
        restores = command["attributes"]["restores"]
        assert restores, command
        shown = await overrides_show(page, "Charging", "Ends at", "Will restore")
        # Home Assistant shows the attribute's mapping as "setting: value" lines.
        for setting, value in restores.items():
            expected = f"{setting}: {value:g}" if isinstance(value, float) else f"{setting}: {value}"
            assert expected in shown, (expected, shown)
        assert await page.evaluate(press_in_card("Overrides", "button.home_powerwall_end_battery_command"))
        await home_state_eventually(home, "sensor.home_powerwall_battery_command", "none")
        await overrides_show(page, "None")
        await eventually_draws(page, home, lambda slots: slots[0]["source"] != "command")

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
            "statistics": STATISTICS,
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
