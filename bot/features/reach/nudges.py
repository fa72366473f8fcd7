"""One nudge for people who onboarded a week ago and have not said anything yet, at decent hours.

Never more than one per person; spread over the day (9:00 to 19:00 local, not on Sundays) so
that a batch of sign-ups does not all hear from the bot at once; turned off with one tap.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.features.reach.store import NudgeRepository
from bot.shared.sending import Delivery
from bot.storage import CONSENT_VERSION, Database, User, UserRepository

logger = logging.getLogger(__name__)

NUDGE_AFTER = timedelta(days=7)
# After two weeks the nudge's "a week ago" is no longer true: it is not sent at all.
NUDGE_UNTIL = timedelta(days=14)
NUDGES_EVERY = timedelta(minutes=15)
FROM_HOUR, UNTIL_HOUR = 9, 19
SUNDAY = 6

# Send one nudge to a person; say what became of it.
SendNudge = Callable[[User], Awaitable[Delivery]]


class NudgeService:
    """Decide who is nudged when; the sending is the caller's."""

    def __init__(
        self,
        db: Database,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._repo = NudgeRepository(db)
        self._users = UserRepository(db)
        self._tz = tz
        self._clock = clock

    def may_send_at(self, moment: datetime) -> bool:
        """Return whether a nudge may go now: 9:00 to 19:00 local time, not on a Sunday."""
        local = moment.astimezone(self._tz)
        return local.weekday() != SUNDAY and FROM_HOUR <= local.hour < UNTIL_HOUR

    def _rounds_left_today(self, moment: datetime) -> int:
        local = moment.astimezone(self._tz)
        closing = datetime.combine(local.date(), time(UNTIL_HOUR), self._tz)
        return max(1, math.ceil((closing - local) / NUDGES_EVERY))

    async def send_due(self, send: SendNudge) -> int:
        """Nudge this round's share of the people due; return how many were sent."""
        now = self._clock()
        if not self.may_send_at(now):
            return 0
        before = (now - NUDGE_AFTER).astimezone(UTC).isoformat(timespec="milliseconds")
        after = (now - NUDGE_UNTIL).astimezone(UTC).isoformat(timespec="milliseconds")
        due = await self._repo.count_due(after, before, CONSENT_VERSION)
        if due == 0:
            return 0
        # Spread over the rest of the day: each round takes its share.
        share = math.ceil(due / self._rounds_left_today(now))
        sent = 0
        at = now.astimezone(UTC).isoformat(timespec="milliseconds")
        for user_id in await self._repo.due(after, before, CONSENT_VERSION, share):
            async with self._db.transaction():
                # Marked first: at most one nudge, even if the process dies right after.
                if not await self._repo.mark(user_id, at):
                    continue
            user = await self._users.get_by_id(user_id)
            if user is None:
                continue
            delivery = await send(user)
            sent += delivery is Delivery.SENT
        logger.info("nudges: %d sent of %d due", sent, due)
        return sent
