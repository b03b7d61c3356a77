"""The codes and names of the tariffs Tesla Sync writes: a read-back tells whose tariff the Powerwall holds.

Every code starts with `store.OWN_TARIFF_CODE_PREFIX`: such a tariff is never recorded as the owner's own.
"""

from __future__ import annotations

from typing import Final

AMBER_TARIFF_CODE: Final = "TESLA_SYNC:AMBER"
AMBER_TARIFF_NAME: Final = "Tesla Sync (Amber)"
SPIKE_TARIFF_CODE: Final = "TESLA_SYNC:SPIKE"
SPIKE_TARIFF_NAME: Final = "Tesla Sync (price spike)"
COMMAND_TARIFF_CODE: Final = "TESLA_SYNC:COMMAND"
COMMAND_TARIFF_NAME: Final = "Tesla Sync (battery command)"
SCHEDULE_TARIFF_CODE: Final = "TESLA_SYNC:SCHEDULE"
# The utility every tariff Tesla Sync writes names (the Tesla app shows it).
TARIFF_UTILITY: Final = "Amber Electric"
