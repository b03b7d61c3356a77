"""The tariff schedule subentry flow: the menu loop, the simple shortcut, errors on fields, reconfigure."""

from __future__ import annotations

import json
from pathlib import Path
import string
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.schedule_flow import SUBENTRY_TYPE
from custom_components.tesla_amber_sync.tariff.schedule_parse import parse_schedule
from custom_components.tesla_amber_sync.tariff.schedule_problems import PROBLEM_MESSAGES

PACKAGE = Path(__file__).parents[1] / "custom_components" / "tesla_amber_sync"
DETAILS = {"name": "Ausgrid EA116", "retailer": "Origin", "daily_supply_charge": 1.1}
SUMMER = {"name": "Summer", "from_month": "11", "from_day": 1, "to_month": "3", "to_day": 31}
WINTER = {"name": "Winter", "from_month": "4", "from_day": 1, "to_month": "10", "to_day": 31}
PEAK = {"name": "Peak", "days": "weekdays", "from": "15:00", "to": "21:00", "buy": 0.55, "sell": 0.05}
OFF_PEAK = {"name": "Off-peak", "days": "every_day", "from": "21:00", "to": "15:00", "buy": 0.2, "sell": 0.05}
WEEKEND = {"name": "Weekend", "days": "weekends", "from": "15:00", "to": "21:00", "buy": 0.25, "sell": 0.04}
SIMPLE = {
    "peak_from": "15:00",
    "peak_to": "21:00",
    "peak_buy": 0.55,
    "peak_sell": 0.05,
    "shoulder_from": "07:00",
    "shoulder_to": "15:00",
    "shoulder_buy": 0.3,
    "shoulder_sell": 0.05,
    "off_peak_buy": 0.2,
    "off_peak_sell": 0.05,
    "weekend_buy": 0.2,
    "weekend_sell": 0.05,
}


@pytest.fixture
def entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The Powerwall's entry (not set up: the flow only stores data)."""
    config_entry.add_to_hass(hass)
    return config_entry


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def _configure(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return dict(await hass.config_entries.subentries.async_configure(result["flow_id"], data))


async def _menu(hass: HomeAssistant, result: dict[str, Any], option: str) -> dict[str, Any]:
    assert result["type"] is FlowResultType.MENU
    assert option in result["menu_options"]
    return await _configure(hass, result, {"next_step_id": option})


async def _add(
    hass: HomeAssistant, result: dict[str, Any], option: str, data: dict[str, Any]
) -> dict[str, Any]:
    result = await _menu(hass, result, option)
    assert result["type"] is FlowResultType.FORM
    result = await _configure(hass, result, data)
    assert result["type"] is FlowResultType.MENU, result.get("errors")
    return result


def _schedules(entry: MockConfigEntry) -> list[tuple[str, dict[str, Any]]]:
    return [
        (subentry.title, dict(subentry.data))
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TYPE
    ]


async def test_menu_builds_a_two_season_weekday_weekend_schedule(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Seasons and periods one at a time; the preview says what is missing until Finish is offered."""
    result = await _configure(hass, await _start(hass, entry), DETAILS)
    assert result["menu_options"] == ["add_season", "simple"]
    assert "The schedule needs at least one season." in result["description_placeholders"]["problems"]
    result = await _add(hass, result, "add_season", SUMMER)
    result = await _add(hass, result, "add_period", PEAK)
    placeholders = result["description_placeholders"]
    assert "- Peak: weekdays 15:00 to 21:00, buy 0.55 $/kWh, sell 0.05 $/kWh" in placeholders["schedule"]
    assert (
        "In season Summer, weekdays 00:00 to 15:00 is not covered by any period." in placeholders["problems"]
    )
    assert "No season covers 1 Apr to 31 Oct." in placeholders["problems"]
    assert "finish" not in result["menu_options"]
    result = await _add(hass, result, "add_period", OFF_PEAK)
    result = await _add(hass, result, "add_period", {**WEEKEND, "demand": 0.1})
    result = await _add(hass, result, "add_season", WINTER)
    result = await _add(hass, result, "add_period", {**PEAK, "buy": 0.45})
    result = await _add(hass, result, "add_period", OFF_PEAK)
    result = await _add(
        hass, result, "add_period", {**WEEKEND, "days": "specific", "specific_days": ["sunday", "saturday"]}
    )
    assert result["description_placeholders"]["problems"] == "-"
    result = await _menu(hass, result, "finish")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        **DETAILS,
        "seasons": [
            {
                **{key: int(value) for key, value in SUMMER.items() if key != "name"},
                "name": "Summer",
                "periods": [PEAK, OFF_PEAK, {**WEEKEND, "demand": 0.1}],
            },
            {
                **{key: int(value) for key, value in WINTER.items() if key != "name"},
                "name": "Winter",
                "periods": [{**PEAK, "buy": 0.45}, OFF_PEAK, {**WEEKEND, "days": ["saturday", "sunday"]}],
            },
        ],
    }
    assert _schedules(entry) == [("Ausgrid EA116", expected)]
    parsed = parse_schedule(expected)
    assert parsed.problems == ()
    assert parsed.schedule is not None
    assert [season.name for season in parsed.schedule.seasons] == ["Summer", "Winter"]


async def test_simple_shortcut_expands_to_a_whole_year(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Peak and shoulder on weekdays, off-peak the rest, the weekend at off-peak: one season, stored whole."""
    result = await _configure(hass, await _start(hass, entry), DETAILS)
    result = await _add(hass, result, "simple", SIMPLE)
    assert result["menu_options"] == ["add_period", "add_season", "simple", "start_over", "finish"]
    result = await _menu(hass, result, "finish")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    weekday = {"days": "weekdays", "sell": 0.05}
    expected = {
        **DETAILS,
        "seasons": [
            {
                "name": "All year",
                "from_month": 1,
                "from_day": 1,
                "to_month": 12,
                "to_day": 31,
                "periods": [
                    {"name": "Peak", **weekday, "from": "15:00", "to": "21:00", "buy": 0.55},
                    {"name": "Shoulder", **weekday, "from": "07:00", "to": "15:00", "buy": 0.3},
                    {"name": "Off-peak", **weekday, "from": "00:00", "to": "07:00", "buy": 0.2},
                    {"name": "Off-peak", **weekday, "from": "21:00", "to": "00:00", "buy": 0.2},
                    {
                        "name": "Off-peak",
                        "days": "weekends",
                        "from": "00:00",
                        "to": "00:00",
                        "buy": 0.2,
                        "sell": 0.05,
                    },
                ],
            }
        ],
    }
    assert _schedules(entry) == [("Ausgrid EA116", expected)]
    assert parse_schedule(expected).problems == ()


@pytest.mark.parametrize(
    ("step", "data", "field", "error"),
    [
        ("user", {**DETAILS, "name": "  "}, "name", "schedule_name_missing"),
        ("user", {**DETAILS, "daily_supply_charge": 1.12345}, "daily_supply_charge", "rate_too_precise"),
        ("add_season", {**WINTER, "name": " "}, "name", "season_name_missing"),
        ("add_season", {**SUMMER, "from_month": "2", "from_day": 30}, "from_day", "date_invalid"),
        ("add_season", {**SUMMER, "to_month": "2", "to_day": 31}, "to_day", "date_invalid"),
        ("add_season", {**WINTER, "name": "All year"}, "name", "season_name_repeated"),
        ("add_season", SUMMER, "from_month", "seasons_overlap"),
        ("add_period", {**PEAK, "name": " ", "from": "21:00", "to": "22:00"}, "name", "period_name_missing"),
        ("add_period", {**PEAK, "days": "specific", "specific_days": []}, "specific_days", "days_empty"),
        ("add_period", {**PEAK, "from": "14:00"}, "from", "time_covered_twice"),
        ("add_period", {**PEAK, "from": "21:00", "to": "22:00", "buy": 0.6}, "name", "period_rates_differ"),
        (
            "add_period",
            {**PEAK, "name": "Late", "from": "21:00", "to": "22:00", "buy": 0.12345},
            "buy",
            "rate_too_precise",
        ),
        (
            "add_period",
            {**PEAK, "name": "Late", "from": "21:00", "to": "22:00", "sell": 0.12345},
            "sell",
            "rate_too_precise",
        ),
        (
            "add_period",
            {**PEAK, "name": "Late", "from": "21:00", "to": "22:00", "demand": 0.00001},
            "demand",
            "rate_too_precise",
        ),
        (
            "add_period",
            {**PEAK, "name": "Late", "from": "21:00", "to": "22:00", "sell": 0.9},
            "sell",
            "sell_above_buy",
        ),
        ("simple", {**SIMPLE, "peak_sell": 0.9}, "peak_sell", "sell_above_buy"),
        ("simple", {**SIMPLE, "off_peak_buy": 0.12345}, "off_peak_buy", "rate_too_precise"),
        ("simple", {**SIMPLE, "weekend_buy": 0.3, "weekend_sell": 0.4}, "weekend_sell", "sell_above_buy"),
        ("simple", {**SIMPLE, "shoulder_to": "16:00"}, "shoulder_from", "time_covered_twice"),
        ("simple", {**SIMPLE, "shoulder_2_from": "21:00"}, "shoulder_2_to", "window_incomplete"),
        (
            "simple",
            {k: v for k, v in SIMPLE.items() if k != "shoulder_sell"},
            "shoulder_sell",
            "shoulder_rate_missing",
        ),
    ],
)
async def test_each_problem_is_shown_on_its_field(
    hass: HomeAssistant, entry: MockConfigEntry, step: str, data: dict[str, Any], field: str, error: str
) -> None:
    """A change that would make a problem is refused with a translated error on the field it is about."""
    result = await _start(hass, entry)
    if step != "user":
        result = await _configure(hass, result, DETAILS)
        if step == "add_season":
            result = await _add(hass, result, "add_season", {**SUMMER, "name": "All year"})
        elif step == "add_period":
            result = await _add(hass, result, "add_season", {**SUMMER, "from_month": "1", "to_month": "12"})
            result = await _add(hass, result, "add_period", PEAK)
        result = await _menu(hass, result, step)
    result = await _configure(hass, result, data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    # The step's placeholders fill the error's message.
    template = _strings()["error"][error]
    assert {name for _, name, _, _ in string.Formatter().parse(template) if name} <= set(
        result["description_placeholders"]
    )
    assert _schedules(entry) == []


async def test_name_already_used(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Two schedules of one Powerwall cannot share a name (the select shows them by name)."""
    hass.config_entries.async_add_subentry(entry, _subentry({**DETAILS, "seasons": []}))
    result = await _configure(hass, await _start(hass, entry), {**DETAILS, "name": "ausgrid ea116 "})
    assert result["errors"] == {"name": "name_taken"}
    assert result["description_placeholders"] == {"name": "ausgrid ea116"}


def _subentry(data: dict[str, Any]) -> ConfigSubentry:
    return ConfigSubentry(
        data=MappingProxyType(data), subentry_type=SUBENTRY_TYPE, title=data["name"], unique_id=None
    )


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return dict(result)


async def _saved_simple_schedule(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await _configure(hass, await _start(hass, entry), DETAILS)
    result = await _add(hass, result, "simple", SIMPLE)
    await _menu(hass, result, "finish")
    (subentry_id,) = entry.subentries
    return subentry_id


async def test_reconfigure_changes_the_details_and_keeps_the_periods(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """The details form starts from the saved ones; the seasons stay unless replaced."""
    subentry_id = await _saved_simple_schedule(hass, entry)
    before = dict(entry.subentries[subentry_id].data)
    result = await _reconfigure(hass, entry, subentry_id)
    suggested = {str(key): key.description["suggested_value"] for key in result["data_schema"].schema}
    assert suggested == DETAILS
    result = await _configure(hass, result, {**DETAILS, "name": "EA116", "daily_supply_charge": 1.2})
    result = await _menu(hass, result, "finish")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "schedule_saved"
    assert _schedules(entry) == [("EA116", {**before, "name": "EA116", "daily_supply_charge": 1.2})]


async def test_reconfigure_replaces_the_periods(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Start over, then the same loop: the saved schedule becomes a flat rate all year."""
    subentry_id = await _saved_simple_schedule(hass, entry)
    result = await _configure(hass, await _reconfigure(hass, entry, subentry_id), DETAILS)
    result = await _menu(hass, result, "start_over")
    assert result["menu_options"] == ["add_season", "simple"]
    result = await _add(
        hass, result, "add_season", {**SUMMER, "name": "All year", "from_month": "1", "to_month": "12"}
    )
    flat = {"name": "Flat", "days": "every_day", "from": "00:00", "to": "00:00", "buy": 0.3, "sell": 0.05}
    result = await _add(hass, result, "add_period", flat)
    result = await _menu(hass, result, "finish")
    assert result["reason"] == "schedule_saved"
    season = {
        "name": "All year",
        "from_month": 1,
        "from_day": 1,
        "to_month": 12,
        "to_day": 31,
        "periods": [flat],
    }
    assert _schedules(entry) == [("Ausgrid EA116", {**DETAILS, "seasons": [season]})]


async def test_reconfigure_reruns_the_simple_shortcut(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The shortcut again replaces the seasons; the other schedule's name does not count against itself."""
    subentry_id = await _saved_simple_schedule(hass, entry)
    result = await _configure(hass, await _reconfigure(hass, entry, subentry_id), DETAILS)
    no_shoulder = {k: v for k, v in SIMPLE.items() if not k.startswith("shoulder")}
    result = await _add(hass, result, "simple", {**no_shoulder, "peak_buy": 0.6})
    await _menu(hass, result, "finish")
    ((_, data),) = _schedules(entry)
    parsed = parse_schedule(data)
    assert parsed.schedule is not None
    assert {(period.name, period.rates.buy) for period in parsed.schedule.seasons[0].periods} == {
        ("Peak", 0.6),
        ("Off-peak", 0.2),
    }


def _strings() -> dict[str, Any]:
    strings: dict[str, Any] = json.loads((PACKAGE / "strings.json").read_text())
    return strings["config_subentries"][SUBENTRY_TYPE]


def test_every_problem_has_a_translation_with_its_placeholders() -> None:
    """Each problem of the pure core is translated, with the placeholders of its English template."""

    def names(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    errors = _strings()["error"]
    for key, template in PROBLEM_MESSAGES.items():
        assert names(errors[key]) == names(template), key


async def test_supported_subentry_types(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The config entry offers the schedule subentry."""
    assert entry.supported_subentry_types == {SUBENTRY_TYPE: {"supports_reconfigure": True}}
