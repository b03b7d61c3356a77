"""The subentry flow for an owner's own time-of-use schedule ("tariff_schedule").

Name, retailer and daily supply charge first; then a menu that adds seasons and periods one at a time (or
expands the simple time-of-use shortcut), showing what is covered so far and what is still missing. What is
stored is the plain data `parse_schedule` reads, so every check is the pure core's: each problem a change
brings is shown, translated, on the field it comes from, and the schedule is saved once it has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import copy
from datetime import date, time, timedelta
from typing import Any, Final, Literal

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigSubentryFlow,
    SubentryFlowContext,
    SubentryFlowResult,
)
from homeassistant.data_entry_flow import FlowContext, FlowHandler, FlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.translation import async_get_translations
import probatio

from .const import DOMAIN
from .tariff.schedule import (
    DAY_NAMES,
    LEAP_YEAR,
    RateSet,
    date_label,
    days_label,
    time_label,
)
from .tariff.schedule_parse import NAMED_DAY_SETS, parse_schedule
from .tariff.schedule_plain import schedule_data
from .tariff.schedule_problems import ScheduleProblem, problem
from .tariff.simple_tou import ALL_YEAR, OFF_PEAK, PEAK, SHOULDER, WEEKEND, TimeWindow, simple_time_of_use

SUBENTRY_TYPE: Final = "tariff_schedule"

CONF_NAME: Final = "name"
CONF_RETAILER: Final = "retailer"
CONF_SUPPLY: Final = "daily_supply_charge"
CONF_SEASONS: Final = "seasons"
CONF_PERIODS: Final = "periods"
CONF_FROM_MONTH: Final = "from_month"
CONF_FROM_DAY: Final = "from_day"
CONF_TO_MONTH: Final = "to_month"
CONF_TO_DAY: Final = "to_day"
CONF_DAYS: Final = "days"
CONF_SPECIFIC_DAYS: Final = "specific_days"
CONF_FROM: Final = "from"
CONF_TO: Final = "to"
CONF_BUY: Final = "buy"
CONF_SELL: Final = "sell"
CONF_DEMAND: Final = "demand"
DAYS_SPECIFIC: Final = "specific"
BASE: Final = "base"

MENU_ADD_PERIOD: Final = "add_period"
MENU_ADD_SEASON: Final = "add_season"
MENU_SIMPLE: Final = "simple"
MENU_START_OVER: Final = "start_over"
MENU_FINISH: Final = "finish"

# The simple shortcut's fields, each prefixed by the period it prices.
NOTHING: Final = "-"
SIMPLE_PREFIXES: Final = {PEAK: "peak", SHOULDER: "shoulder", OFF_PEAK: "off_peak", WEEKEND: "weekend"}
SIMPLE_SHOULDER_WINDOWS: Final = (("shoulder_from", "shoulder_to"), ("shoulder_2_from", "shoulder_2_to"))

# Problems of a schedule still being built: the preview lists them and Finish waits for them.
INCOMPLETE: Final = frozenset({"no_seasons", "season_without_periods", "season_gap", "time_not_covered"})
# The flow's own problems, about a field of its form (named in the `field` placeholder).
FLOW_PROBLEMS: Final = frozenset({"window_incomplete", "shoulder_rate_missing"})
RATE_PROBLEMS: Final = frozenset({"rate_negative", "rate_too_precise", "rate_not_a_number"})
# The field each problem is about, by key; rate problems name theirs in the `field` placeholder.
FIELD_OF_PROBLEM: Final[Mapping[str, str]] = {
    "schedule_name_missing": CONF_NAME,
    "season_name_missing": CONF_NAME,
    "season_name_repeated": CONF_NAME,
    "seasons_overlap": CONF_FROM_MONTH,
    "period_name_missing": CONF_NAME,
    "period_rates_differ": CONF_NAME,
    "days_empty": CONF_SPECIFIC_DAYS,
    "days_invalid": CONF_DAYS,
    "time_covered_twice": CONF_FROM,
    "sell_above_buy": CONF_SELL,
}
FIELD_OF_RATE: Final[Mapping[str, str]] = {
    "daily supply charge": CONF_SUPPLY,
    "buy rate": CONF_BUY,
    "sell rate": CONF_SELL,
    "demand rate": CONF_DEMAND,
    CONF_BUY: CONF_BUY,
    CONF_SELL: CONF_SELL,
}
FIELD_OF_EDGE: Final[Mapping[str, str]] = {
    "starts on": CONF_FROM_DAY,
    "ends on": CONF_TO_DAY,
    "starts": CONF_FROM,
    "ends": CONF_TO,
}

HALF_HOURS: Final = [time_label(minute) for minute in range(0, 24 * 60, 30)]
_TIME = SelectSelector(SelectSelectorConfig(options=HALF_HOURS, mode=SelectSelectorMode.DROPDOWN))
_TEXT = TextSelector()


def _amount(
    unit: str, *, step: float | Literal["any"] = "any", minimum: float = 0, maximum: float = 1000
) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


# Any step: the box takes 4 decimals (a step that fine is refused), and more are a translated error.
_RATE = _amount("$/kWh")
_DEMAND = _amount("$/kW")
_SUPPLY = _amount("$/day")
_DAY_OF_MONTH = _amount("", step=1, minimum=1, maximum=31)
_MONTH = SelectSelector(
    SelectSelectorConfig(
        options=[str(month) for month in range(1, 13)],
        mode=SelectSelectorMode.DROPDOWN,
        translation_key="month",
    )
)
_DAYS = SelectSelector(
    SelectSelectorConfig(
        options=[*NAMED_DAY_SETS, DAYS_SPECIFIC],
        mode=SelectSelectorMode.LIST,
        translation_key="schedule_days",
    )
)
_SPECIFIC_DAYS = SelectSelector(
    SelectSelectorConfig(
        options=list(DAY_NAMES), multiple=True, mode=SelectSelectorMode.LIST, translation_key="weekday"
    )
)


def _field_of(item: ScheduleProblem) -> str:
    """The form field a problem is about, or "base"."""
    if item.key in RATE_PROBLEMS or item.key == "field_missing":
        return FIELD_OF_RATE.get(item.placeholders.get("field", ""), BASE)
    if item.key in {"date_invalid", "time_not_on_half_hour"}:
        return FIELD_OF_EDGE.get(item.placeholders.get("field", ""), BASE)
    return FIELD_OF_PROBLEM.get(item.key, BASE)


def _period_of_where(where: str) -> str | None:
    """The period a rate problem's `where` names ("Period Peak of season All year:")."""
    head, found, _ = where.removeprefix("Period ").partition(" of season ")
    return head if found and where.startswith("Period ") else None


def _simple_field_of(item: ScheduleProblem) -> str:
    """The field of the simple shortcut's form a problem is about: the period's prefix, then the field."""
    placeholders = item.placeholders
    prefix = next(
        (
            prefix
            for name, prefix in SIMPLE_PREFIXES.items()
            if name in {placeholders.get("period"), _period_of_where(placeholders.get("where", ""))}
        ),
        None,
    )
    if item.key == "time_covered_twice":
        return "shoulder_from"
    if item.key in FLOW_PROBLEMS:
        return item.placeholders["field"]
    field = _field_of(item)
    if prefix is None or field == BASE:
        return BASE
    return f"{prefix}_{field}"


def _errors(
    problems: list[ScheduleProblem], field_of: Callable[[ScheduleProblem], str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The first problem on each field as form errors, and the placeholders their messages need.

    Errors share the step's placeholders, so a problem whose placeholders would change another's message
    waits for the next submission (it is found again then).
    """
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    for item in problems:
        field = field_of(item)
        if field in errors or any(
            placeholders.get(name, value) != value for name, value in item.placeholders.items()
        ):
            continue
        errors[field] = item.key
        placeholders.update(item.placeholders)
    return errors, placeholders


def _new_problems(before: dict[str, Any], after: dict[str, Any]) -> list[ScheduleProblem]:
    """The problems `after` has that `before` had not, leaving out those of a schedule still being built."""
    known = parse_schedule(before).problems
    return [
        item for item in parse_schedule(after).problems if item.key not in INCOMPLETE and item not in known
    ]


def _days_of(value: object) -> frozenset[int]:
    if isinstance(value, str):
        return NAMED_DAY_SETS.get(value, frozenset())
    if isinstance(value, list):
        return frozenset(DAY_NAMES.index(day) for day in value if day in DAY_NAMES)
    return frozenset()


def _rate_text(value: object, unit: str) -> str:
    return f"{value:g} {unit}" if isinstance(value, int | float) else f"{value} {unit}"


def schedule_preview(data: Mapping[str, Any]) -> str:
    """The schedule so far, one season a paragraph and one period a line (Markdown)."""
    lines: list[str] = []
    for season in data.get(CONF_SEASONS, []):
        dates = (
            f"{date_label(season[CONF_FROM_MONTH], season[CONF_FROM_DAY])} to "
            f"{date_label(season[CONF_TO_MONTH], season[CONF_TO_DAY])}"
        )
        lines.append(f"**{season[CONF_NAME]}** ({dates})")
        for period in season[CONF_PERIODS]:
            rates = (
                f"buy {_rate_text(period[CONF_BUY], '$/kWh')}, sell {_rate_text(period[CONF_SELL], '$/kWh')}"
            )
            if period.get(CONF_DEMAND) is not None:
                rates += f", demand {_rate_text(period[CONF_DEMAND], '$/kW')}"
            lines.append(
                f"- {period[CONF_NAME]}: {days_label(_days_of(period[CONF_DAYS]))} "
                f"{period[CONF_FROM]} to {period[CONF_TO]}, {rates}"
            )
        lines.append("")
    return "\n".join(lines).strip() or NOTHING


def _next_day(month: int, day: int, step: int) -> tuple[int, int]:
    try:
        moment = date(LEAP_YEAR, month, day) + timedelta(days=step)
    except ValueError, OverflowError:
        return month, day
    if moment.year != LEAP_YEAR:
        moment = moment.replace(year=LEAP_YEAR)
    return moment.month, moment.day


def new_schedule() -> dict[str, Any]:
    """An empty schedule, as the steps build it up."""
    return {CONF_NAME: "", CONF_RETAILER: "", CONF_SUPPLY: 0.0, CONF_SEASONS: []}


class ScheduleSteps[ContextT: FlowContext, ResultT: FlowResult[Any, Any], HandlerT](
    FlowHandler[ContextT, ResultT, HandlerT]
):
    """The steps that build one schedule: its details, then the menu of seasons, periods and the shortcut.

    Shared by the schedule subentry flow and the config flow's first schedule of an entry without Amber. A
    flow using them sets `_schedule` (see `new_schedule`), shows `_details` as its first schedule step, and
    says what Finish does with the schedule in `_async_schedule_finished`.
    """

    _schedule: dict[str, Any]

    def _schedule_name_taken(self, name: str) -> bool:
        """Whether another schedule of this Powerwall already has this name (none, unless told otherwise)."""
        return False

    async def _async_schedule_finished(self) -> ResultT:
        """Save the finished schedule (`_schedule`, without a problem)."""
        raise NotImplementedError

    # The schedule's own details.

    def _details_schema(self) -> probatio.Schema:
        return probatio.Schema(
            {
                probatio.Required(CONF_NAME): _TEXT,
                probatio.Optional(CONF_RETAILER, default=""): _TEXT,
                probatio.Required(CONF_SUPPLY): _SUPPLY,
            }
        )

    async def _details(self, step_id: str, user_input: dict[str, Any] | None) -> ResultT:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            candidate = {
                **self._schedule,
                CONF_NAME: str(user_input.get(CONF_NAME, "")).strip(),
                CONF_RETAILER: str(user_input.get(CONF_RETAILER, "")).strip(),
                CONF_SUPPLY: user_input.get(CONF_SUPPLY),
            }
            problems = [
                item
                for item in parse_schedule(candidate).problems
                if item.key == "schedule_name_missing" or item.placeholders.get("where") == "The schedule's"
            ]
            errors, placeholders = _errors(problems, _field_of)
            if not errors and self._schedule_name_taken(candidate[CONF_NAME]):
                errors, placeholders = {CONF_NAME: "name_taken"}, {"name": candidate[CONF_NAME]}
            if not errors:
                self._schedule = candidate
                return await self.async_step_schedule()
        values = user_input if user_input is not None else self._schedule
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(self._details_schema(), values),
            errors=errors,
            description_placeholders=placeholders,
        )

    # The menu, with what the schedule covers so far.

    async def _problem_lines(self) -> str:
        """Every problem of the schedule so far, translated, one a line."""
        problems = parse_schedule(self._schedule).problems
        if not problems:
            return NOTHING
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "config_subentries", [DOMAIN]
        )
        prefix = f"component.{DOMAIN}.config_subentries.{SUBENTRY_TYPE}.error."
        lines: list[str] = []
        for item in problems:
            try:
                text = translations[prefix + item.key].format_map(item.placeholders)
            except KeyError, ValueError, IndexError:
                text = item.message
            lines.append(f"- {text}")
        return "\n".join(lines)

    async def async_step_schedule(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Add a season or a period, use the shortcut, start over, or finish once the schedule is whole."""
        seasons = self._schedule[CONF_SEASONS]
        options = [MENU_ADD_PERIOD] if seasons else []
        options += [MENU_ADD_SEASON, MENU_SIMPLE]
        if seasons:
            options.append(MENU_START_OVER)
        if not parse_schedule(self._schedule).problems:
            options.append(MENU_FINISH)
        return self.async_show_menu(
            step_id="schedule",
            menu_options=options,
            description_placeholders={
                "name": self._schedule[CONF_NAME],
                "schedule": schedule_preview(self._schedule),
                "problems": await self._problem_lines(),
                "current_season": seasons[-1][CONF_NAME] if seasons else NOTHING,
            },
        )

    async def async_step_start_over(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Drop every season and period, keeping the name, retailer and supply charge."""
        self._schedule[CONF_SEASONS] = []
        return await self.async_step_schedule()

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Save the schedule, once it has no problem left."""
        if parse_schedule(self._schedule).problems:
            return await self.async_step_schedule()
        return await self._async_schedule_finished()

    # Seasons.

    def _season_defaults(self) -> dict[str, Any]:
        """All year for the first season; after that, from the day after the last season to the day before
        the first, the rest of the year."""
        seasons = self._schedule[CONF_SEASONS]
        if not seasons:
            return {
                CONF_NAME: ALL_YEAR,
                CONF_FROM_MONTH: "1",
                CONF_FROM_DAY: 1,
                CONF_TO_MONTH: "12",
                CONF_TO_DAY: 31,
            }
        from_month, from_day = _next_day(seasons[-1][CONF_TO_MONTH], seasons[-1][CONF_TO_DAY], 1)
        to_month, to_day = _next_day(seasons[0][CONF_FROM_MONTH], seasons[0][CONF_FROM_DAY], -1)
        return {
            CONF_FROM_MONTH: str(from_month),
            CONF_FROM_DAY: from_day,
            CONF_TO_MONTH: str(to_month),
            CONF_TO_DAY: to_day,
        }

    async def async_step_add_season(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """A season: a name and the dates it runs (both included; it may wrap over the new year)."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            season = {
                CONF_NAME: str(user_input.get(CONF_NAME, "")).strip(),
                **{
                    key: int(user_input[key])
                    for key in (CONF_FROM_MONTH, CONF_FROM_DAY, CONF_TO_MONTH, CONF_TO_DAY)
                },
                CONF_PERIODS: [],
            }
            candidate = {**self._schedule, CONF_SEASONS: [*self._schedule[CONF_SEASONS], season]}
            errors, placeholders = _errors(_new_problems(self._schedule, candidate), _field_of)
            if not errors:
                self._schedule = candidate
                return await self.async_step_schedule()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_NAME): _TEXT,
                probatio.Required(CONF_FROM_MONTH): _MONTH,
                probatio.Required(CONF_FROM_DAY): _DAY_OF_MONTH,
                probatio.Required(CONF_TO_MONTH): _MONTH,
                probatio.Required(CONF_TO_DAY): _DAY_OF_MONTH,
            }
        )
        return self.async_show_form(
            step_id="add_season",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or self._season_defaults()),
            errors=errors,
            description_placeholders=placeholders,
        )

    # Periods.

    async def async_step_add_period(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """A period of the last season: its name, days, times and rates."""
        seasons = self._schedule[CONF_SEASONS]
        if not seasons:
            return await self.async_step_add_season()
        season_name = seasons[-1][CONF_NAME]
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            period = self._period_from(user_input)
            season = {**seasons[-1], CONF_PERIODS: [*seasons[-1][CONF_PERIODS], period]}
            candidate = {**self._schedule, CONF_SEASONS: [*seasons[:-1], season]}
            if period[CONF_DAYS] == []:
                # The parser reads no day as days it cannot read; to the owner, it is a period on no day.
                label = period[CONF_NAME] or f"period {len(season[CONF_PERIODS])}"
                problems = [problem("days_empty", period=label, season=season_name)]
            else:
                problems = _new_problems(self._schedule, candidate)
            errors, placeholders = _errors(problems, _field_of)
            if not errors:
                self._schedule = candidate
                return await self.async_step_schedule()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_NAME): _TEXT,
                probatio.Required(CONF_DAYS, default="every_day"): _DAYS,
                probatio.Optional(CONF_SPECIFIC_DAYS): _SPECIFIC_DAYS,
                probatio.Required(CONF_FROM): _TIME,
                probatio.Required(CONF_TO): _TIME,
                probatio.Required(CONF_BUY): _RATE,
                probatio.Required(CONF_SELL): _RATE,
                probatio.Optional(CONF_DEMAND): _DEMAND,
            }
        )
        return self.async_show_form(
            step_id="add_period",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={"current_season": season_name, **placeholders},
        )

    @staticmethod
    def _period_from(user_input: Mapping[str, Any]) -> dict[str, Any]:
        days: str | list[str] = user_input.get(CONF_DAYS, "every_day")
        if days == DAYS_SPECIFIC:
            chosen = set(user_input.get(CONF_SPECIFIC_DAYS) or [])
            days = [day for day in DAY_NAMES if day in chosen]
        period: dict[str, Any] = {
            CONF_NAME: str(user_input.get(CONF_NAME, "")).strip(),
            CONF_DAYS: days,
            CONF_FROM: user_input[CONF_FROM],
            CONF_TO: user_input[CONF_TO],
            CONF_BUY: user_input[CONF_BUY],
            CONF_SELL: user_input[CONF_SELL],
        }
        if user_input.get(CONF_DEMAND) is not None:
            period[CONF_DEMAND] = user_input[CONF_DEMAND]
        return period

    # The simple time-of-use shortcut.

    async def async_step_simple(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Peak and up to two shoulder windows on weekdays, off-peak the rest, one weekend rate set: the
        whole year, replacing any seasons so far."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            problems, candidate = self._simple_schedule(user_input)
            errors, placeholders = _errors(problems, _simple_field_of)
            if not errors and candidate is not None:
                self._schedule = candidate
                return await self.async_step_schedule()
        fields: dict[probatio.Marker, Any] = {
            probatio.Required("peak_from"): _TIME,
            probatio.Required("peak_to"): _TIME,
            probatio.Required("peak_buy"): _RATE,
            probatio.Required("peak_sell"): _RATE,
        }
        for start, end in SIMPLE_SHOULDER_WINDOWS:
            fields[probatio.Optional(start)] = _TIME
            fields[probatio.Optional(end)] = _TIME
        fields |= {
            probatio.Optional("shoulder_buy"): _RATE,
            probatio.Optional("shoulder_sell"): _RATE,
            probatio.Required("off_peak_buy"): _RATE,
            probatio.Required("off_peak_sell"): _RATE,
            probatio.Required("weekend_buy"): _RATE,
            probatio.Required("weekend_sell"): _RATE,
        }
        return self.async_show_form(
            step_id="simple",
            data_schema=self.add_suggested_values_to_schema(probatio.Schema(fields), user_input or {}),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _simple_schedule(
        self, user_input: Mapping[str, Any]
    ) -> tuple[list[ScheduleProblem], dict[str, Any] | None]:
        """The shortcut's schedule as plain data, or the problems in the way."""
        problems: list[ScheduleProblem] = []
        shoulder_windows: list[TimeWindow] = []
        for start, end in SIMPLE_SHOULDER_WINDOWS:
            given: dict[str, str] = {key: user_input.get(key) or "" for key in (start, end)}
            if not any(given.values()):
                continue
            if not all(given.values()):
                missing = start if not given[start] else end
                problems.append(ScheduleProblem(key="window_incomplete", placeholders={"field": missing}))
            else:
                shoulder_windows.append(TimeWindow(start=_clock(given[start]), end=_clock(given[end])))
        shoulder: RateSet | None = None
        if shoulder_windows:
            problems += [
                ScheduleProblem(key="shoulder_rate_missing", placeholders={"field": key})
                for key in ("shoulder_buy", "shoulder_sell")
                if user_input.get(key) is None
            ]
            if not problems:
                shoulder = RateSet(buy=user_input["shoulder_buy"], sell=user_input["shoulder_sell"])
        if problems:
            return problems, None
        schedule = simple_time_of_use(
            name=self._schedule[CONF_NAME],
            retailer=self._schedule[CONF_RETAILER],
            daily_supply_charge=self._schedule[CONF_SUPPLY],
            peak=RateSet(buy=user_input["peak_buy"], sell=user_input["peak_sell"]),
            peak_windows=[
                TimeWindow(start=_clock(user_input["peak_from"]), end=_clock(user_input["peak_to"]))
            ],
            off_peak=RateSet(buy=user_input["off_peak_buy"], sell=user_input["off_peak_sell"]),
            weekend=RateSet(buy=user_input["weekend_buy"], sell=user_input["weekend_sell"]),
            shoulder=shoulder,
            shoulder_windows=shoulder_windows,
        )
        candidate = schedule_data(schedule)
        return list(parse_schedule(candidate).problems), candidate


def _clock(text: str) -> time:
    """A half-hour of the time selector ("HH:MM") as a time."""
    hour, minute = divmod(HALF_HOURS.index(text) * 30, 60) if text in HALF_HOURS else (0, 0)
    return time(hour, minute)


class ScheduleSubentryFlow(
    ScheduleSteps[SubentryFlowContext, SubentryFlowResult, tuple[str, str]], ConfigSubentryFlow
):
    """Add or change one custom time-of-use schedule of a Powerwall."""

    def __init__(self) -> None:
        """Start with an empty schedule."""
        self._schedule = new_schedule()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Name the schedule, its retailer and its daily supply charge."""
        return await self._details("user", user_input)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change a saved schedule: its details first, then its seasons and periods from the menu."""
        if user_input is None:
            self._schedule = copy.deepcopy(dict(self._get_reconfigure_subentry().data))
        return await self._details("reconfigure", user_input)

    def _schedule_name_taken(self, name: str) -> bool:
        """Whether another schedule of this Powerwall already has this name."""
        editing = self.context.get("subentry_id")
        return any(
            subentry.subentry_type == SUBENTRY_TYPE
            and subentry.subentry_id != editing
            and str(subentry.data.get(CONF_NAME, subentry.title)).strip().casefold() == name.casefold()
            for subentry in self._get_entry().subentries.values()
        )

    async def _async_schedule_finished(self) -> SubentryFlowResult:
        """Save the schedule as a subentry, or update the one being reconfigured."""
        title = self._schedule[CONF_NAME]
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                title=title,
                data=self._schedule,
                reason="schedule_saved",
            )
        return self.async_create_entry(title=title, data=self._schedule)
