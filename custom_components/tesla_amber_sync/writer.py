"""The writer core: the only code that calls the Powerwall's write endpoints.

It owns the lock every change goes through, the write calls themselves, the read-back that verifies them, the
upstream's rate limit (no write of any kind before its retry-after), and the entry's `Store`. It knows nothing
of features: the controller hands it writes, it reports what stuck.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from .api.errors import ApiError, RateLimitedError
from .api.models import ExportRule, OperationMode, SiteInfo
from .const import LOGGER
from .control.claims import ClaimSource, Setting
from .store import PersistedState, TeslaSyncStore
from .tariff import DayTariff, TariffDecodeError, decode_tariff, rates_match

if TYPE_CHECKING:
    from .api.teslemetry import TeslemetryClient
    from .coordinator import SiteInfoCoordinator

# Used when a 429 carries no retry-after.
DEFAULT_RATE_LIMIT_WAIT: Final = timedelta(minutes=5)
# The Tesla cloud can report a setting's previous value for a while after a write: the same value is not
# written to the same setting again sooner than this (one price interval), so a write that does not stick
# costs at most one more write per interval.
REWRITE_AFTER: Final = timedelta(minutes=5)
# A write that failed outright is tried again after this.
RETRY_FAILED_AFTER: Final = timedelta(minutes=1)
# A read younger than this is fresh enough to record the owner's settings from before a first change.
FRESH_READ: Final = timedelta(seconds=30)
# Identical writes closer together than this are one write (back-to-back service calls).
DUPLICATE_WINDOW: Final = timedelta(seconds=30)


def held_settings(info: SiteInfo) -> tuple[dict[Setting, Any], frozenset[Setting]]:
    """What the Powerwall reported (JSON form), and which settings it actually reported."""
    values: dict[Setting, Any] = {
        Setting.OPERATION_MODE: info.operation_mode.value,
        Setting.TARIFF: info.tariff_content_v2,
        Setting.EXPORT_RULE: info.export_rule.value,
        Setting.GRID_CHARGING: info.grid_charging_allowed,
        Setting.BACKUP_RESERVE: info.backup_reserve_percent,
    }
    known = {Setting.TARIFF, Setting.GRID_CHARGING}
    if info.operation_mode is not OperationMode.UNKNOWN:
        known.add(Setting.OPERATION_MODE)
    if info.export_rule is not ExportRule.UNKNOWN:
        known.add(Setting.EXPORT_RULE)
    if info.backup_reserve_percent is not None:
        known.add(Setting.BACKUP_RESERVE)
    return values, frozenset(known)


class TariffReader:
    """Decodes a `tariff_content_v2` into one day's rates, remembering the last few (read-backs repeat)."""

    _SIZE: Final = 8

    def __init__(self) -> None:
        """Start with nothing decoded."""
        self._cache: dict[tuple[int, date], tuple[object, DayTariff | None]] = {}

    def day(self, content: object, day: date) -> DayTariff | None:
        """The rates `content` charges on `day`; None when it is missing, unreadable or has holes."""
        if not isinstance(content, dict):
            return None
        key = (id(content), day)
        cached = self._cache.get(key)
        if cached is not None and cached[0] is content:
            return cached[1]
        try:
            decoded: DayTariff | None = decode_tariff(content).day_tariff(day)
        except TariffDecodeError:
            decoded = None
        if len(self._cache) >= self._SIZE:
            self._cache.pop(next(iter(self._cache)))
        # The content is kept with its result so that its id cannot be reused while cached.
        self._cache[key] = (content, decoded)
        return decoded

    def same(self, expected: object, actual: object, day: date) -> bool:
        """Whether two tariffs charge the same rates on `day` (equal contents when either cannot be read)."""
        if expected is actual:
            return True
        wanted = self.day(expected, day)
        held = self.day(actual, day)
        if wanted is None or held is None:
            return expected == actual
        return rates_match(wanted, held)


def same_setting(
    setting: Setting, expected: object, actual: object, tariffs: TariffReader, day: date
) -> bool:
    """Whether two values of `setting` are the same for the Powerwall: tariffs by their rates on `day`, the
    reserve as the whole percentage the Powerwall keeps, everything else by equality."""
    if setting is Setting.TARIFF:
        return tariffs.same(expected, actual, day)
    if (
        setting is Setting.BACKUP_RESERVE
        and isinstance(expected, int | float)
        and isinstance(actual, int | float)
    ):
        return round(float(expected)) == round(float(actual))
    return expected == actual


@dataclass(kw_only=True, slots=True)
class WriteResult:
    """What one batch of writes did: what was sent, what a read-back showed in force, and any error."""

    sent: list[Setting] = field(default_factory=list)
    verified: set[Setting] = field(default_factory=set)
    error: ApiError | None = None
    rate_limited: bool = False
    read_back: bool = False

    @property
    def complete(self) -> bool:
        """Whether everything sent was seen in force."""
        return self.error is None and not self.rate_limited and set(self.sent) <= self.verified


class PowerwallWriter:
    """Writes settings to one Powerwall, verifies them, and keeps the entry's record."""

    def __init__(
        self,
        *,
        client: TeslemetryClient,
        site_info: SiteInfoCoordinator,
        store: TeslaSyncStore,
        state: PersistedState,
    ) -> None:
        """Wire the core to the client, the site info it reads back, and the persisted state."""
        self._client = client
        self._site_info = site_info
        self._store = store
        self.state = state
        self.lock = asyncio.Lock()
        self.tariffs = TariffReader()
        self.rate_limited_until: datetime | None = None
        # (setting, value, when) of the latest write of each setting, verified or not.
        self._last_sent: dict[Setting, tuple[Any, datetime]] = {}

    @property
    def site_info(self) -> SiteInfo:
        """The latest read of the Powerwall."""
        return self._site_info.data

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone the Powerwall's tariff days follow."""
        return self._site_info.time_zone

    @property
    def readable(self) -> bool:
        """Whether the last read of the Powerwall worked."""
        return self._site_info.last_update_success

    def add_read_listener(self, update_callback: Callable[[], None]) -> Callable[[], None]:
        """Call `update_callback` after every read of the Powerwall; returns the remover."""
        return self._site_info.async_add_listener(update_callback)

    def held(self) -> tuple[dict[Setting, Any], frozenset[Setting]]:
        """What the Powerwall holds now, as last read."""
        return held_settings(self._site_info.data)

    def same(self, setting: Setting, expected: object, actual: object, now: datetime) -> bool:
        """Whether two values of `setting` are the same for the Powerwall (tariffs: the same rates today)."""
        return same_setting(setting, expected, actual, self.tariffs, now.astimezone(self.time_zone).date())

    def tariff_today(self, now: datetime) -> DayTariff | None:
        """Today's rates (the Powerwall's day) of the tariff the Powerwall holds, as last read back."""
        return self.tariffs.day(self.site_info.tariff_content_v2, now.astimezone(self.time_zone).date())

    def read_recently(self, now: datetime) -> bool:
        """Whether the Powerwall was read successfully within `FRESH_READ`."""
        read_at = self._site_info.read_at
        return self.readable and read_at is not None and now - read_at < FRESH_READ

    def rate_limited(self, now: datetime) -> bool:
        """Whether the upstream asked us to wait."""
        return self.rate_limited_until is not None and now < self.rate_limited_until

    def recently_sent(self, setting: Setting, value: object, now: datetime, window: timedelta) -> bool:
        """Whether this value went to this setting less than `window` ago."""
        last = self._last_sent.get(setting)
        return last is not None and now - last[1] < window and self.same(setting, last[0], value, now)

    async def async_read(self) -> bool:
        """Read the Powerwall again now; whether it answered."""
        await self._site_info.async_refresh()
        return self._site_info.last_update_success

    async def async_save(self) -> None:
        """Persist the state as it is now."""
        await self._store.async_save_state(self.state)

    def schedule_save(self, delay: timedelta) -> None:
        """Persist the state as it will be after `delay` (records that change every poll: demand tracking),
        or at shutdown if sooner; each call replaces the write pending."""
        self._store.async_delay_save_state(self.state, delay.total_seconds())

    async def async_write(
        self, writes: list[tuple[Setting, Any, ClaimSource]], now: datetime, *, read_back: bool = True
    ) -> WriteResult:
        """Send `writes` in order, stopping at the first error, then read back once and verify each.

        Nothing is sent while a rate limit is in force. A 429 records its retry-after for every later write.
        """
        result = WriteResult()
        if self.rate_limited(now):
            result.rate_limited = True
            return result
        site_id = self._site_info.energy_site_id
        for setting, value, source in writes:
            try:
                await send_setting(self._client, site_id, setting, value)
            except RateLimitedError as err:
                wait = timedelta(seconds=err.retry_after) if err.retry_after else DEFAULT_RATE_LIMIT_WAIT
                self.rate_limited_until = now + wait
                LOGGER.info("Teslemetry rate limit: no write before %s", self.rate_limited_until)
                result.rate_limited = True
                result.error = err
                break
            except ApiError as err:
                LOGGER.info("Writing %s (for %s) failed: %s", setting.value, source.value, err)
                # A failed write is tried again after a minute, not at once by the next event.
                self._last_sent[setting] = (value, now - REWRITE_AFTER + RETRY_FAILED_AFTER)
                result.error = err
                break
            self._last_sent[setting] = (value, now)
            result.sent.append(setting)
        if result.sent and read_back:
            result.read_back = await self.async_read()
            if result.read_back:
                held, known = self.held()
                for setting, value, _source in writes:
                    if (
                        setting in result.sent
                        and setting in known
                        and self.same(setting, value, held[setting], now)
                    ):
                        result.verified.add(setting)
                        self.state.verified_writes[setting] = value
        return result


async def send_setting(client: TeslemetryClient, site_id: int, setting: Setting, value: Any) -> None:
    """Write one setting (JSON form) to the Powerwall."""
    match setting:
        case Setting.OPERATION_MODE:
            await client.set_operation_mode(site_id, OperationMode(value))
        case Setting.TARIFF:
            await client.set_time_of_use_settings(site_id, value)
        case Setting.EXPORT_RULE:
            await client.set_grid_import_export(site_id, export_rule=ExportRule(value))
        case Setting.GRID_CHARGING:
            await client.set_grid_import_export(site_id, grid_charging_allowed=bool(value))
        case Setting.BACKUP_RESERVE:
            await client.set_backup_reserve(site_id, round(float(value)))
