"""An owner's action (a service, a button, a switch, a select, a repair's fix) and the errors it raises.

An owner's action either leaves the Powerwall as asked (verified by reading it back) or raises a translated
error naming why not; an automatic reconcile raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from homeassistant.exceptions import HomeAssistantError

from .api.errors import ApiError, AuthenticationError, CommandRejectedError
from .const import DOMAIN
from .control.push_policy import PushTrigger
from .features.spike import SpikeCommand
from .tariff import TariffBuild
from .writer import PowerwallWriter, WriteResult


@dataclass(frozen=True, kw_only=True, slots=True)
class OwnerAction:
    """An owner's action in progress: failures raise, and a spike command to apply."""

    spike_command: SpikeCommand | None = None
    trigger: PushTrigger = PushTrigger.REQUEST


def action_error(translation_key: str, **placeholders: str) -> HomeAssistantError:
    """The translated error an owner's action raises."""
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=translation_key, translation_placeholders=placeholders
    )


def raise_for_write(outcome: WriteResult, writer: PowerwallWriter) -> NoReturn:
    """Why the writes of an owner's action were not all verified."""
    error = outcome.error
    if outcome.rate_limited and writer.rate_limited_until is not None:
        raise action_error("rate_limited_until", time=writer.rate_limited_until.isoformat())
    if isinstance(error, CommandRejectedError):
        raise action_error("tariff_rejected", message=error.message)
    if isinstance(error, AuthenticationError):
        raise action_error("authentication_failed", service="Teslemetry")
    if isinstance(error, ApiError):
        raise action_error("service_unavailable", service="Teslemetry", error=str(error))
    raise action_error("not_applied")


def raise_if_unsatisfied(
    action: OwnerAction,
    *,
    writer: PowerwallWriter,
    now: datetime,
    blocked: bool,
    writes_planned: bool,
    build: TariffBuild | None,
    spike_active: bool,
) -> None:
    """An owner's action that wrote nothing must still leave the Powerwall as asked, or say why not.

    `blocked`: a write was held back because the owner's setting was never read; `writes_planned`: the plan
    had writes; `build`: Amber's latest build.
    """
    if blocked:
        raise action_error("powerwall_unreadable")
    if writes_planned and writer.rate_limited_until is not None and writer.rate_limited(now):
        raise action_error("rate_limited_until", time=writer.rate_limited_until.isoformat())
    if action.trigger is not PushTrigger.SCHEDULE and writer.state.auto_sync:
        if build is not None and build.tariff is None:
            raise action_error("incomplete_forecast", problem=build.problem or "")
        if spike_active and action.spike_command is None:
            raise action_error("spike_active")
