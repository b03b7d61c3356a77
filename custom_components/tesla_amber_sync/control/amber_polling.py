"""When to ask Amber for prices next: aligned to the 5-minute boundaries, chasing the confirmed price.

Amber publishes each 5-minute interval's confirmed price (`estimate` false) some 17-37 s after the interval
starts. Tesla Sync asks once shortly before the usual confirmation (a low quantile of the delays it has seen),
then every few seconds until the current interval is confirmed or a cut-off passes, then waits for the next
boundary. 30-minute sites are polled on the same 5-minute boundaries (their forecasts move every 5 minutes),
but only the interval's last block is chased: that is when Amber locks its price in.

Everything here is a pure function of what the replies showed (their times, `estimate`, the rate-limit
headers); the coordinator only carries the state and sets its timer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import math
from typing import Final

from custom_components.tesla_amber_sync.api.models import RateLimitInfo

BLOCK: Final = timedelta(minutes=5)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
# Follow-ups this far apart: the price reaches the Powerwall at most this long after Amber publishes it.
FOLLOW_UP_EVERY: Final = timedelta(seconds=5)
# No chasing this long after the boundary: the estimate is built and pushed, the next boundary waited for.
CUT_OFF: Final = timedelta(seconds=90)
# Requests in one 5-minute block at most (the first poll, follow-ups, retries after errors).
MAX_POLLS_PER_BLOCK: Final = 8
# Once this many blocks in a row were cut off unconfirmed, Amber is not confirming (a 30-minute site's
# middle blocks, or Amber lagging): only this many polls per block until a confirmation is seen again.
GIVE_UP_AFTER_MISSES: Final = 2
POLLS_WHEN_NOT_CONFIRMING: Final = 2
# Where the first poll goes before anything was learned: just before Amber's earliest usual confirmation.
DEFAULT_FIRST_POLL: Final = timedelta(seconds=15)
MIN_FIRST_POLL: Final = timedelta(seconds=5)
MAX_FIRST_POLL: Final = timedelta(seconds=60)
# The first poll goes at this quantile of the learned delays: most confirmations come one follow-up later.
FIRST_POLL_QUANTILE: Final = 0.1
# Delays remembered (4 hours of 5-minute intervals).
REMEMBERED_DELAYS: Final = 48
# Requests of Amber's window left to others (another integration on the same token, the owner's actions):
# with this few remaining, nothing more is asked until the window resets.
RATE_LIMIT_RESERVE: Final = 5


def block_start(instant: datetime) -> datetime:
    """The start of the 5-minute interval containing `instant` (UTC; Amber's boundaries are UTC-aligned)."""
    return _EPOCH + ((instant.astimezone(UTC) - _EPOCH) // BLOCK) * BLOCK


def expects_confirmation(block: datetime, interval_length: int) -> bool:
    """Whether Amber locks the current interval's price in during this 5-minute block.

    A 5-minute interval is confirmed shortly after it starts; a 30-minute one only in its last 5 minutes.
    """
    if interval_length <= 5:
        return True
    minutes = int((block - _EPOCH).total_seconds()) // 60
    return minutes % interval_length == interval_length - 5


@dataclass(frozen=True, kw_only=True, slots=True)
class PollState:
    """What the replies of the current block showed, and the confirmation delays learned so far.

    `block` is the 5-minute block the latest reply fell in; `polls` the requests made in it (errors
    included); `confirmed` whether its price was seen confirmed (or none was expected); `last_unconfirmed`
    how long after the boundary the latest estimate was seen; `failures` the errors in a row in the block;
    `misses` the blocks in a row that were cut off unconfirmed; `delays` the learned confirmation delays (s).
    """

    block: datetime | None = None
    polls: int = 0
    confirmed: bool = False
    last_unconfirmed: timedelta | None = None
    failures: int = 0
    misses: int = 0
    delays: tuple[float, ...] = ()

    @property
    def first_poll(self) -> timedelta:
        """How long after a boundary the first request goes."""
        return first_poll_offset(self.delays)


def first_poll_offset(delays: tuple[float, ...]) -> timedelta:
    """The first request's offset after a boundary: a low quantile of the learned delays, bounded."""
    if len(delays) < 3:
        return DEFAULT_FIRST_POLL
    ordered = sorted(delays)
    index = min(len(ordered) - 1, math.floor(FIRST_POLL_QUANTILE * len(ordered)))
    seconds = ordered[index]
    return min(MAX_FIRST_POLL, max(MIN_FIRST_POLL, timedelta(seconds=seconds)))


def _in_block(state: PollState, at: datetime, interval_length: int) -> PollState:
    """The state as seen from the block containing `at` (a new block starts afresh)."""
    block = block_start(at)
    if state.block == block:
        return state
    misses = state.misses
    if state.block is not None and not state.confirmed and expects_confirmation(state.block, interval_length):
        misses += 1
    return PollState(
        block=block,
        confirmed=not expects_confirmation(block, interval_length),
        misses=misses,
        delays=state.delays,
    )


def observe_reply(state: PollState, at: datetime, *, confirmed: bool, interval_length: int) -> PollState:
    """Record a reply received at `at`; `confirmed` is whether its current interval is no longer an estimate.

    The first confirmed reply of a block teaches the delay: halfway between the last estimate seen and
    this reply, or half a follow-up before it when the very first reply was already confirmed (so the first
    poll creeps earlier until it meets an estimate again).
    """
    current = _in_block(state, at, interval_length)
    offset = at - block_start(at)
    current = replace(current, polls=current.polls + 1, failures=0)
    if current.confirmed:
        return current
    if not confirmed:
        return replace(current, last_unconfirmed=offset)
    if current.last_unconfirmed is not None:
        delay = (current.last_unconfirmed + offset) / 2
    else:
        delay = offset - FOLLOW_UP_EVERY / 2
    learned = (*current.delays, max(0.0, delay.total_seconds()))[-REMEMBERED_DELAYS:]
    return replace(current, confirmed=True, misses=0, delays=learned)


def observe_error(state: PollState, at: datetime, *, interval_length: int) -> PollState:
    """Record a request at `at` that failed (it counts against the block's polls)."""
    current = _in_block(state, at, interval_length)
    return replace(current, polls=current.polls + 1, failures=current.failures + 1)


def _poll_budget(state: PollState) -> int:
    return POLLS_WHEN_NOT_CONFIRMING if state.misses >= GIVE_UP_AFTER_MISSES else MAX_POLLS_PER_BLOCK


def _follow_up(state: PollState, now: datetime) -> datetime | None:
    """The next follow-up in the current block, if the block is still being chased."""
    if state.block is None or state.confirmed or state.block != block_start(now):
        return None
    if state.polls >= _poll_budget(state):
        return None
    if state.misses >= GIVE_UP_AFTER_MISSES:
        # Not confirming lately: one more look at the usual late end of the delays, not a chase.
        at = max(now + FOLLOW_UP_EVERY, state.block + CUT_OFF / 2)
    else:
        # After an error the next try waits twice as long as the last (within the cut-off).
        at = now + FOLLOW_UP_EVERY * (2 ** min(state.failures, 4))
    return at if at - state.block <= CUT_OFF else None


@dataclass(frozen=True, kw_only=True, slots=True)
class PollPlan:
    """The next request: when, and whether it chases the current block's confirmation."""

    at: datetime
    follow_up: bool

    def awaiting_confirmation(self, now: datetime) -> bool:
        """Whether a confirmed price is still being chased at `now`: a build now would be of an estimate."""
        block = block_start(now)
        return self.follow_up and block == block_start(self.at) and now - block < CUT_OFF


def next_poll(state: PollState, now: datetime, *, rate_limit: RateLimitInfo | None = None) -> PollPlan:
    """When to ask Amber next, given the state after the latest reply at `now`.

    A follow-up while the current block is unconfirmed and before its cut-off; otherwise the first poll of
    the next block (of this block, if it has not come yet). With `rate_limit` showing
    `RATE_LIMIT_RESERVE` or fewer requests left, nothing is asked before its window resets.
    """
    low = (
        rate_limit is not None
        and rate_limit.remaining is not None
        and rate_limit.remaining <= RATE_LIMIT_RESERVE
    )
    follow_up = None if low else _follow_up(state, now)
    if follow_up is not None:
        return PollPlan(at=follow_up, follow_up=True)
    block = block_start(now)
    first = block + state.first_poll
    if state.block == block or now >= first:
        first = block + BLOCK + state.first_poll
    if low and rate_limit is not None:
        reset = timedelta(seconds=rate_limit.reset_seconds if rate_limit.reset_seconds is not None else 0)
        first = max(first, now + reset)
    return PollPlan(at=first, follow_up=False)
