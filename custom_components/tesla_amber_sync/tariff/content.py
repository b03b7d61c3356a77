"""The vocabulary of Tesla's `tariff_content_v2`, shared by the encoder and the decoder."""

from __future__ import annotations

import calendar
from typing import Final

# Public sources disagree on how Tesla numbers the days of the week (Monday=0 vs Sunday=0). We use
# Monday=0 because python-tesla-fleet-api maps 0..6 onto datetime.weekday(). Index = Tesla's number,
# value = datetime.weekday(). Our own tariffs span every day (first to last), so they do not depend on it.
TESLA_DAYS_OF_WEEK: Final[tuple[int, ...]] = (
    calendar.MONDAY,
    calendar.TUESDAY,
    calendar.WEDNESDAY,
    calendar.THURSDAY,
    calendar.FRIDAY,
    calendar.SATURDAY,
    calendar.SUNDAY,
)
FIRST_DAY_OF_WEEK: Final = 0
LAST_DAY_OF_WEEK: Final = len(TESLA_DAYS_OF_WEEK) - 1

# The placeholder charge block every real tariff carries; it is never a price for a period.
ALL: Final = "ALL"
CURRENCY: Final = "AUD"
CONTENT_VERSION: Final = 1
# The all-year season keeps the name (and the unused empty sibling) of tariffs Tesla is known to accept.
ALL_YEAR_SEASON: Final = "Summer"
UNUSED_SEASON: Final = "Winter"
# Tesla's own tariffs carry one named daily charge even when it costs nothing.
PLACEHOLDER_DAILY_CHARGE: Final = "Charge"
