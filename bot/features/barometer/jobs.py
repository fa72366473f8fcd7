"""Keep the shared counts warm, and tell people when their core's barometer opens."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.channels.base import Recipient
from bot.features.barometer.flow import BarometerFlow
from bot.features.barometer.service import BarometerService
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound
from bot.storage import Role, UserRepository

logger = logging.getLogger(__name__)

OPENINGS_EVERY = timedelta(minutes=10)


def jobs(
    barometer: BarometerService,
    territory_ids: list[str],
    cache_seconds: int,
    flow: BarometerFlow,
    users: UserRepository,
    outbound: Outbound,
) -> list[Job]:
    """Return the refresh job (unless the cache is off) and the openings job."""
    roles: list[str | None] = [role.value for role in Role]

    async def tell_openings() -> None:
        told = 0
        for opening, user_ids in await barometer.new_openings():
            for user_id in user_ids:
                user = await users.get_by_id(user_id)
                role = user.role.value if user and user.role else None
                # Someone who moved or changed role since is not told about a place they left.
                if user is None or not user.onboarded or user.core_id != opening.core_id:
                    continue
                if role != opening.role:
                    continue
                to = Recipient(user.channel, user.external_id)
                # The opening is recorded first: told at most once, even across a crash.
                notice = await outbound.send(to, [flow.opening_notice(user, opening.factor)])
                if not notice.sent:
                    logger.info("an opening notice did not go (%s)", notice.status)
                    continue
                told += 1
                shown = await flow.on_command(user)
                await outbound.send(to, list(shown.replies))
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
