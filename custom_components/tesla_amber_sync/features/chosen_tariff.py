"""The chosen tariff: what the owner chose the Powerwall should hold, and its claim.

The choice is Amber's rolling tariff (automatic sync), one of the entry's custom schedules (config
subentries), a saved profile (a tariff read from the Powerwall and kept byte for byte), or the owner's own
tariff from before Tesla Sync's first write. The Tariff select, the services and the schedule subentries
change it; the controller reconciles after each change.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from custom_components.tesla_amber_sync.api.errors import CommandRejectedError
from custom_components.tesla_amber_sync.api.models import OperationMode
from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.control.claims import Claim, ClaimSource, Setting
from custom_components.tesla_amber_sync.control.status import WriteOutcome
from custom_components.tesla_amber_sync.options import TeslaSyncOptions
from custom_components.tesla_amber_sync.schedule_flow import SUBENTRY_TYPE as SCHEDULE_SUBENTRY
from custom_components.tesla_amber_sync.tariff.schedule import CustomSchedule
from custom_components.tesla_amber_sync.tariff.schedule_demand import schedule_with_demand
from custom_components.tesla_amber_sync.tariff.schedule_encode import encode_schedule
from custom_components.tesla_amber_sync.tariff.schedule_parse import parse_schedule
from custom_components.tesla_amber_sync.writer import PowerwallWriter, WriteResult

from .tariff_codes import SCHEDULE_TARIFF_CODE

if TYPE_CHECKING:
    from custom_components.tesla_amber_sync.coordinator import TeslaSyncConfigEntry

# The profile that always exists: what the owner had before Tesla Sync's first write.
BASELINE_PROFILE: Final = "My tariff before Tesla Sync"
AMBER_OPTION: Final = "Amber (rolling)"
MAX_PROFILE_NAME: Final = 50


class ChosenTariff:
    """Keeps the owner's choice of tariff (profiles, schedules, Amber) and claims the Powerwall for it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        *,
        writer: PowerwallWriter,
        options: Callable[[], TeslaSyncOptions],
    ) -> None:
        """The choice of `entry` (its schedules are its subentries), persisted by `writer`."""
        self._hass = hass
        self._entry = entry
        self._writer = writer
        self._options = options
        # How the last write of a chosen schedule or profile went (the status of an entry without Amber).
        self.last_write: WriteOutcome | None = None

    # --- what the owner can choose, and what they chose ---------------------------------------------

    def profile_names(self) -> list[str]:
        """Every profile the owner can choose: the one from before Tesla Sync first, then saved ones."""
        state = self._writer.state
        names = [BASELINE_PROFILE] if state.baseline.get(Setting.TARIFF) is not None else []
        return names + sorted(state.profiles)

    def profile_content(self, name: str) -> dict[str, Any] | None:
        """The `tariff_content_v2` of the profile `name`, if it exists."""
        state = self._writer.state
        if name == BASELINE_PROFILE:
            content = state.baseline.get(Setting.TARIFF)
            return content if isinstance(content, dict) else None
        profile = state.profiles.get(name)
        content = profile.get("tariff_content_v2") if isinstance(profile, dict) else None
        return content if isinstance(content, dict) else None

    def content(self) -> dict[str, Any] | None:
        """The `tariff_content_v2` of the schedule or profile the owner chose; None when Amber's rolling
        tariff or the owner's own tariff is the choice."""
        state = self._writer.state
        if state.auto_sync:
            return None
        if state.chosen_schedule is not None:
            return self._schedule_content(state.chosen_schedule)
        if state.chosen_profile is not None:
            return self.profile_content(state.chosen_profile)
        return None

    def schedules(self) -> dict[str, tuple[str, CustomSchedule | None]]:
        """The entry's custom schedules (config subentries): id -> (title, the schedule, None if invalid)."""
        found: dict[str, tuple[str, CustomSchedule | None]] = {}
        for subentry in self._entry.subentries.values():
            if subentry.subentry_type == SCHEDULE_SUBENTRY:
                found[subentry.subentry_id] = (subentry.title, parse_schedule(dict(subentry.data)).schedule)
        return found

    def schedule_names(self) -> list[str]:
        """The titles of the schedules that can be chosen (valid ones)."""
        return sorted(title for title, schedule in self.schedules().values() if schedule is not None)

    def schedule_titled(self, title: str) -> str | None:
        """The id of the valid schedule called `title`, if there is one."""
        for subentry_id, (schedule_title, schedule) in self.schedules().items():
            if schedule_title == title and schedule is not None:
                return subentry_id
        return None

    def _schedule_content(self, subentry_id: str) -> dict[str, Any] | None:
        title_schedule = self.schedules().get(subentry_id)
        if title_schedule is None or title_schedule[1] is None:
            return None
        # A schedule with demand rates of its own keeps them; one without gets the entry's demand charge.
        schedule = schedule_with_demand(title_schedule[1], self._options().demand)
        return encode_schedule(schedule, code=SCHEDULE_TARIFF_CODE)

    @property
    def chosen(self) -> str | None:
        """What the owner chose the Powerwall should hold: Amber's rolling tariff, a schedule or a profile."""
        state = self._writer.state
        if state.auto_sync:
            return AMBER_OPTION
        if state.chosen_schedule is not None:
            chosen = self.schedules().get(state.chosen_schedule)
            return None if chosen is None else chosen[0]
        if state.chosen_profile is not None:
            return state.chosen_profile
        return BASELINE_PROFILE if BASELINE_PROFILE in self.profile_names() else None

    def claim(self) -> Claim | None:
        """The claim of the tariff the owner chose (Amber's rolling tariff, a schedule or a profile), with
        time-based control when the owner let Tesla Sync switch to it (`amber_claims_mode`, named from when
        Amber was the only choice)."""
        state = self._writer.state
        if state.auto_sync:
            # Until a first complete build, the Amber sync keeps whatever the Powerwall holds.
            amber = state.amber_content
            source = ClaimSource.AMBER
            tariff = amber if amber is not None else self._writer.site_info.tariff_content_v2
        elif state.chosen_schedule is not None:
            source = ClaimSource.SCHEDULE
            tariff = self._schedule_content(state.chosen_schedule)
        elif state.chosen_profile is not None:
            source = ClaimSource.PROFILE
            tariff = self.profile_content(state.chosen_profile)
        else:
            return None
        if tariff is None and source is not ClaimSource.AMBER:
            return None
        values: dict[Setting, Any] = {Setting.TARIFF: tariff}
        if state.amber_claims_mode:
            values[Setting.OPERATION_MODE] = OperationMode.AUTONOMOUS.value
        return Claim(source=source, values=values)

    # --- the owner's changes (the controller reconciles after each) ----------------------------------

    def hold(self, *, profile: str | None, schedule: str | None) -> Callable[[], None]:
        """Make a profile (None: the owner's own) or a schedule the choice (Amber stops pushing); returns the
        undo that puts the choice before back."""
        state = self._writer.state
        previous = (state.auto_sync, state.chosen_profile, state.chosen_schedule)

        def undo() -> None:
            state.auto_sync, state.chosen_profile, state.chosen_schedule = previous

        state.auto_sync = False
        state.chosen_profile = profile
        state.chosen_schedule = schedule
        return undo

    def require_profile(self, name: str) -> None:
        """Raise a translated error unless the profile `name` exists."""
        if self.profile_content(name) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_profile",
                translation_placeholders={"name": name},
            )

    async def async_save_profile(self, name: str) -> None:
        """Save the tariff the Powerwall holds now (read from it afresh) under `name`."""
        name = _valid_profile_name(name)
        writer = self._writer
        if not await writer.async_read() or not isinstance(writer.site_info.tariff_content_v2, dict):
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="powerwall_unreadable")
        writer.state.profiles[name] = {
            "tariff_content_v2": writer.site_info.tariff_content_v2,
            "saved_at": dt_util.utcnow().isoformat(),
        }
        await writer.async_save()

    def delete_profile(self, name: str) -> bool:
        """Forget a saved profile (the one from before Tesla Sync is kept); whether it was the choice (then
        the owner's own tariff is)."""
        state = self._writer.state
        if name == BASELINE_PROFILE:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="baseline_profile_kept")
        if name not in state.profiles:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_profile",
                translation_placeholders={"name": name},
            )
        del state.profiles[name]
        if state.chosen_profile == name:
            state.chosen_profile = None
            return True
        return False

    def store_schedule(self, data: dict[str, Any]) -> str:
        """Add or replace (by name) a custom schedule from plain data, checked by the one parser; its id."""
        parsed = parse_schedule(data)
        if parsed.schedule is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_schedule",
                translation_placeholders={
                    "problems": "; ".join(problem.message for problem in parsed.problems)
                },
            )
        title = parsed.schedule.name
        existing = next(
            (
                subentry
                for subentry in self._entry.subentries.values()
                if subentry.subentry_type == SCHEDULE_SUBENTRY and subentry.title == title
            ),
            None,
        )
        if existing is None:
            subentry = ConfigSubentry(
                data=MappingProxyType(data), subentry_type=SCHEDULE_SUBENTRY, title=title, unique_id=None
            )
            self._hass.config_entries.async_add_subentry(self._entry, subentry)
            return subentry.subentry_id
        self._hass.config_entries.async_update_subentry(self._entry, existing, data=data)
        return existing.subentry_id

    def record_writes(self, writes: list[tuple[Setting, Any, ClaimSource]], outcome: WriteResult) -> None:
        """Remember how the write of a chosen schedule or profile went."""
        for setting, _, source in writes:
            if setting is Setting.TARIFF and source in {ClaimSource.SCHEDULE, ClaimSource.PROFILE}:
                self.last_write = _write_outcome(setting, outcome)


def _valid_profile_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_PROFILE_NAME or name in {BASELINE_PROFILE, AMBER_OPTION}:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_profile_name",
            translation_placeholders={"max": str(MAX_PROFILE_NAME)},
        )
    return name


def _write_outcome(setting: Setting, outcome: WriteResult) -> WriteOutcome:
    """How the write of `setting` went."""
    if outcome.rate_limited:
        return WriteOutcome.RATE_LIMITED
    if isinstance(outcome.error, CommandRejectedError):
        return WriteOutcome.REJECTED
    if outcome.error is not None:
        return WriteOutcome.FAILED
    return WriteOutcome.VERIFIED if setting in outcome.verified else WriteOutcome.NOT_APPLIED
