"""Keep the shared counts warm, and tell people when their core's barometer opens."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.base import Recipient
from bot.features.barometer.flow import BarometerFlow
from bot.features.barometer.service import BarometerService
from bot.features.barometer.store import Opening
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound
from bot.storage import CONSENT_VERSION, Role, UserRepository

logger = logging.getLogger(__name__)

OPENINGS_EVERY = timedelta(minutes=10)
OPEN_FROM_HOUR, OPEN_UNTIL_HOUR = 9, 19


def jobs(
    barometer: BarometerService,
    territory_ids: list[str],
    cache_seconds: int,
    flow: BarometerFlow,
    users: UserRepository,
    outbound: Outbound,
    tz: ZoneInfo,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Job]:
    """Return the refresh job (unless the cache is off) and the openings job."""
    roles: list[str | None] = [role.value for role in Role]

    async def tell(user_id: int, opening: Opening) -> bool:
        user = await users.get_by_id(user_id)
        role = user.role.value if user and user.role else None
        # Someone who moved, changed role or has a notice to accept again is not told.
        if user is None or not user.onboarded or user.core_id != opening.core_id:
            return False
        if role != opening.role or user.consent_version != CONSENT_VERSION:
            return False
        to = Recipient(user.channel, user.external_id)
        notice = await outbound.send(to, [flow.opening_notice(user, opening.factor)])
        if not notice.sent:
            logger.info("an opening notice did not go (%s)", notice.status)
            return False
        shown = await flow.on_command(user)
        await outbound.send(to, list(shown.replies))
        return True

    async def tell_openings() -> None:
        # At decent hours only: an opening found at night is told in the morning (and the
        # moment of a neighbour's voice is not given away to the minute).
        local = clock().astimezone(tz)
        if not OPEN_FROM_HOUR <= local.hour < OPEN_UNTIL_HOUR:
            return
        told = 0
        for opening, user_ids in await barometer.new_openings():
            # The opening is recorded first: told at most once, even across a crash.
            for user_id in user_ids:
                try:
                    told += await tell(user_id, opening)
                except Exception:
                    # One person's failure must not keep the others from hearing of it.
                    logger.exception("an opening notice failed")
        if told:
            logger.info("told %d people that their barometer opened", told)

    found = [Job("barometer_openings", tell_openings, OPENINGS_EVERY, timedelta(minutes=1))]
    if cache_seconds <= 0:
        return found
    return [
        Job(
            "barometer",
            lambda: barometer.refresh(territory_ids, roles),
            timedelta(seconds=max(30, cache_seconds // 2)),
            timedelta(seconds=5),
        ),
        *found,
    ]
