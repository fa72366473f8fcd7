"""Every recurring job of the bot, registered from this one place."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.app.container import Services
from bot.features.barometer import jobs as barometer
from bot.features.broadcasts import jobs as broadcasts
from bot.features.cells import jobs as cells
from bot.features.dashboard import jobs as dashboard
from bot.features.digests import jobs as digests
from bot.features.entrepreneurs import jobs as coaching
from bot.features.events import jobs as events
from bot.features.follow_ups import jobs as follow_ups
from bot.features.foodchain import jobs as foodchain
from bot.features.notices import jobs as notices
from bot.features.popup import jobs as popup
from bot.features.privacy import jobs as privacy
from bot.features.reach import jobs as reach
from bot.features.surveys import jobs as surveys
from bot.shared.jobs import Job
from bot.shared.schedule import WeeklyTime

logger = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(hours=6)
REPLIES_EVERY = timedelta(seconds=10)


def all_jobs(services: Services) -> list[Job]:
    """Return the jobs of every feature, and the bot's own housekeeping."""
    s = services

    async def housekeeping() -> None:
        removed = await s.housekeeping()
        await s.dashboard.purge()
        logger.info("housekeeping: forgot %d old processed-update records", removed)

    return [
        Job("housekeeping", housekeeping, HOUSEKEEPING_EVERY, timedelta(minutes=1)),
        # Answers whose send failed (a network error, a 429) go again, in order.
        Job("replies", s.conversation.drain, REPLIES_EVERY, timedelta(seconds=5)),
        *privacy.jobs(s.retention),
        *barometer.jobs(
            s.barometer,
            list(s.reference.territories),
            s.settings.barometer_cache_seconds,
            s.barometer_flow,
            s.users,
            s.outbound,
            s.settings.tz,
        ),
        *follow_ups.jobs(s.follow_ups, s.follow_up_flow, s.outbound),
        *surveys.jobs(s.waves, s.survey_flow, s.reference, s.settings.anonymity_k, s.outbound),
        *broadcasts.jobs(s.broadcasts, s.announcements, s.outbound, s.events.answer_buttons),
        *events.jobs(s.events, s.outbound),
        *reach.jobs(s.nudges, s.reach, s.outbound),
        *coaching.jobs(s.coaching, s.coaching_notices, s.info_sessions),
        *notices.jobs(s.notices, lambda: datetime.now(UTC)),
        *popup.jobs(s.popup),
        *cells.jobs(s.cells, s.cell_photos),
        *foodchain.jobs(s.food),
        *dashboard.jobs(
            s.dashboard_periods, lambda: datetime.now(UTC), s.dashboard_figures.warm
        ),
        *digests.jobs(
            s.digest_dispatcher,
            digests.digest_sender(
                s.digest_flow, s.partners, s.outbound, s.mailer, s.settings.smtp_from
            ),
            WeeklyTime.parse(s.settings.digest_time),
        ),
    ]
