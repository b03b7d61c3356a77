"""The owner's options of an entry, typed, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry

from .control.spike import DEFAULT_MIN_HOLD, DEFAULT_THRESHOLD, SpikeSettings, default_exit_threshold

# Options keys: the public contract of the options flow.
OPT_AEMO_REGION: Final = "aemo_region"
OPT_SPIKE_DETECTION: Final = "spike_detection"
OPT_SPIKE_THRESHOLD: Final = "spike_threshold"
OPT_SPIKE_EXIT_THRESHOLD: Final = "spike_exit_threshold"
OPT_SPIKE_MIN_HOLD: Final = "spike_min_hold_minutes"
OPT_SOLAR_CURTAILMENT: Final = "solar_curtailment"
OPT_CURTAILMENT_THRESHOLD: Final = "curtailment_threshold"

DEFAULT_REGION: Final = "NSW1"


@dataclass(frozen=True, kw_only=True, slots=True)
class TeslaSyncOptions:
    """Options as the controller reads them."""

    # AEMO's region id, as AEMO spells it (NSW1).
    aemo_region: str = DEFAULT_REGION
    # Off by default for Amber entries: Amber's own prices already carry spikes into the tariff.
    spike_detection: bool = False
    spike_threshold: float = DEFAULT_THRESHOLD
    spike_exit_threshold: float = default_exit_threshold(DEFAULT_THRESHOLD)
    spike_min_hold_minutes: int = int(DEFAULT_MIN_HOLD.total_seconds() // 60)
    solar_curtailment: bool = False
    # What the owner earns per exported kWh (c/kWh) at or below which export stops.
    curtailment_threshold: float = 0.0

    @classmethod
    def from_mapping(cls, options: dict[str, Any], *, default_region: str | None) -> TeslaSyncOptions:
        """Read stored options, falling back to the defaults for anything missing."""
        defaults = cls(aemo_region=default_region or DEFAULT_REGION)
        threshold = float(options.get(OPT_SPIKE_THRESHOLD, defaults.spike_threshold))
        return cls(
            # Stored in lower case (a translation key); entries from before minor version 2 hold upper case.
            aemo_region=str(options.get(OPT_AEMO_REGION, defaults.aemo_region)).upper(),
            spike_detection=bool(options.get(OPT_SPIKE_DETECTION, defaults.spike_detection)),
            spike_threshold=threshold,
            spike_exit_threshold=float(
                options.get(OPT_SPIKE_EXIT_THRESHOLD, default_exit_threshold(threshold))
            ),
            spike_min_hold_minutes=int(options.get(OPT_SPIKE_MIN_HOLD, defaults.spike_min_hold_minutes)),
            solar_curtailment=bool(options.get(OPT_SOLAR_CURTAILMENT, defaults.solar_curtailment)),
            curtailment_threshold=float(
                options.get(OPT_CURTAILMENT_THRESHOLD, defaults.curtailment_threshold)
            ),
        )

    def as_mapping(self) -> dict[str, Any]:
        """The form stored in `entry.options`."""
        return {
            OPT_AEMO_REGION: self.aemo_region.lower(),
            OPT_SPIKE_DETECTION: self.spike_detection,
            OPT_SPIKE_THRESHOLD: self.spike_threshold,
            OPT_SPIKE_EXIT_THRESHOLD: self.spike_exit_threshold,
            OPT_SPIKE_MIN_HOLD: self.spike_min_hold_minutes,
            OPT_SOLAR_CURTAILMENT: self.solar_curtailment,
            OPT_CURTAILMENT_THRESHOLD: self.curtailment_threshold,
        }

    @property
    def spike_settings(self) -> SpikeSettings:
        """The spike machine's settings (validated when the options were saved)."""
        return SpikeSettings(
            threshold=self.spike_threshold,
            exit_threshold=self.spike_exit_threshold,
            min_hold=timedelta(minutes=self.spike_min_hold_minutes),
        )


def entry_options(entry: ConfigEntry[Any], *, default_region: str | None) -> TeslaSyncOptions:
    """The options of an entry."""
    return TeslaSyncOptions.from_mapping(dict(entry.options), default_region=default_region)
