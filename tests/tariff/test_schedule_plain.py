"""A custom schedule as plain data: `parse_schedule` reads back exactly what `schedule_data` writes."""

from __future__ import annotations

from hypothesis import given, settings

from custom_components.tesla_amber_sync.tariff.schedule import CustomSchedule
from custom_components.tesla_amber_sync.tariff.schedule_parse import parse_schedule
from custom_components.tesla_amber_sync.tariff.schedule_plain import days_data, schedule_data

from .schedules import example_data, schedules


def test_the_readme_example_round_trips() -> None:
    """The README's example, parsed and written out again, parses to the same schedule."""
    parsed = parse_schedule(example_data())
    assert parsed.schedule is not None
    again = parse_schedule(schedule_data(parsed.schedule))
    assert again.problems == ()
    assert again.schedule == parsed.schedule


def test_days_are_written_by_name() -> None:
    """Named day sets keep their names, whichever way they were given; other sets are day names in order."""
    data = example_data()
    data["seasons"][0]["periods"][2]["days"] = ["sunday", "saturday"]
    data["seasons"][0]["periods"][3]["days"] = [5, "Sunday"]
    parsed = parse_schedule(data)
    assert parsed.schedule is not None
    written = schedule_data(parsed.schedule)["seasons"][0]["periods"]
    assert [period["days"] for period in written] == ["weekdays", "weekdays", "weekends", "weekends"]
    assert written[0]["demand"] == 0.3
    assert "demand" not in written[1]
    assert days_data(frozenset({6, 0, 5})) == ["monday", "saturday", "sunday"]


@settings(max_examples=50)
@given(schedules())
def test_any_schedule_round_trips(schedule: CustomSchedule) -> None:
    """Whatever the schedule, its plain data parses back to an equal schedule."""
    parsed = parse_schedule(schedule_data(schedule))
    assert parsed.problems == ()
    assert parsed.schedule == schedule
