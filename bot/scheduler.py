"""Register the bot's recurring jobs on the one scheduler (python-telegram-bot's JobQueue)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.services.broadcasts import SendAnnouncement, SendReport
from bot.services.container import Services
from bot.services.digest_dispatch import SendDigest
from bot.services.digest_schedule import DAYS, WeeklyTime
from bot.services.events import SendNotice
from bot.services.follow_ups import SendQuestion
from bot.services.survey_waves import SendInvitation, SendResults
from bot.storage import Role

logger = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(hours=6)
RETENTION_EVERY = timedelta(days=1)
INVITATIONS_EVERY = timedelta(seconds=30)
RESULTS_EVERY = timedelta(minutes=5)
DIGESTS_EVERY = timedelta(minutes=10)
BROADCASTS_EVERY = timedelta(seconds=2)
EVENTS_EVERY = timedelta(seconds=30)
FOLLOW_UPS_EVERY = timedelta(minutes=15)


class JobScheduler(Protocol):
    """The part of telegram.ext.JobQueue used here; keeps this module free of telegram."""

    def run_repeating(
        self,
        callback: Callable[[Any], Coroutine[Any, Any, Any]],
        interval: timedelta,
        first: Any = ...,
        last: Any = ...,
        data: object = ...,
        name: str | None = ...,
    ) -> Any:
        """Schedule a callback at a fixed interval."""

    def run_custom(
        self,
        callback: Callable[[Any], Coroutine[Any, Any, Any]],
        job_kwargs: dict[str, Any],
        data: object = ...,
        name: str | None = ...,
    ) -> Any:
        """Schedule a callback with APScheduler's own arguments (here: a cron trigger)."""


def weekly_trigger(when: WeeklyTime, tz: ZoneInfo) -> CronTrigger:
    """Return the cron trigger of a weekly local time ("mon 08:00"), DST-aware."""
    return CronTrigger(
        day_of_week=DAYS[when.weekday], hour=when.hour, minute=when.minute, timezone=tz
    )


def register_jobs(
    scheduler: JobScheduler,
    services: Services,
    send_follow_up: SendQuestion | None = None,
    send_invitation: SendInvitation | None = None,
    send_results: SendResults | None = None,
    send_digest: SendDigest | None = None,
    send_announcement: SendAnnouncement | None = None,
    send_report: SendReport | None = None,
    send_notice: SendNotice | None = None,
) -> None:
    """Schedule every recurring job."""

    async def housekeeping(_context: Any) -> None:
        removed = await services.housekeeping()
        logger.info("housekeeping: forgot %d old processed-update records", removed)

    scheduler.run_repeating(
        housekeeping, HOUSEKEEPING_EVERY, first=timedelta(minutes=1), name="housekeeping"
    )

    async def retention(_context: Any) -> None:
        pruned = await services.retention()
        logger.info("retention: %s", pruned)

    scheduler.run_repeating(
        retention, RETENTION_EVERY, first=timedelta(minutes=5), name="retention"
    )

    ttl = services.settings.barometer_cache_seconds
    if ttl > 0:
        territory_ids = list(services.reference.territories)
        roles: list[str | None] = [role.value for role in Role]
        # Keeps the shared territory counts warm, so no person waits for them.
        _repeat(
            scheduler,
            "barometer",
            timedelta(seconds=max(30, ttl // 2)),
            timedelta(seconds=5),
            lambda: services.barometer.refresh(territory_ids, roles),
        )
    if send_follow_up is not None:
        ask = send_follow_up
        # Due questions are stored, so a run missed while the bot was down is caught up.
        _repeat(
            scheduler,
            "follow_ups",
            FOLLOW_UPS_EVERY,
            timedelta(minutes=2),
            lambda: services.follow_ups.send_due(ask),
        )
    if send_invitation is not None:
        invite = send_invitation
        # Planned invitations are stored: a wave launched while the bot was down goes out at
        # the next start, spread as planned from then on.
        _repeat(
            scheduler,
            "survey_invitations",
            INVITATIONS_EVERY,
            timedelta(seconds=10),
            lambda: services.waves.send_due(invite),
        )
    if send_results is not None:
        give_back = send_results
        # Closing and sending are both recorded: a restart carries on where it stopped.
        _repeat(
            scheduler,
            "survey_results",
            RESULTS_EVERY,
            timedelta(seconds=20),
            lambda: services.waves.close_due(give_back),
        )
    if send_announcement is not None:
        _register_broadcasts(scheduler, services, send_announcement, send_report)
    if send_notice is not None:
        tell = send_notice

        async def events() -> None:
            # Each step is recorded (reminder broadcast, feedback wave, notice given), so a
            # run missed while the bot was down is caught up at the next.
            await services.events.schedule_reminders()
            await services.events.launch_feedback()
            await services.events.send_notices(tell)

        _repeat(scheduler, "events", EVENTS_EVERY, timedelta(seconds=15), events)
    if send_digest is not None:
        deliver = send_digest

        async def weekly(_context: Any) -> None:
            await services.digest_dispatcher.run(deliver)

        # On the dot, from the cron-like setting, in local time across DST changes...
        when = WeeklyTime.parse(services.settings.digest_time)
        scheduler.run_custom(
            weekly,
            job_kwargs={"trigger": weekly_trigger(when, services.settings.tz)},
            name="digests_weekly",
        )
        # ...and a sweep that catches up a week missed while the bot was down, or a send that
        # failed. The due week is worked out at every run and deliveries are recorded, so the
        # two never send a digest twice.
        _repeat(
            scheduler,
            "digests",
            DIGESTS_EVERY,
            timedelta(seconds=30),
            lambda: services.digest_dispatcher.run(deliver),
        )


def _register_broadcasts(
    scheduler: JobScheduler,
    services: Services,
    send: SendAnnouncement,
    report: SendReport | None,
) -> None:
    async def kick(_context: Any) -> None:
        # A drain runs in the background for as long as there is something due; this only
        # starts one when none is running, so a 20,000-recipient broadcast is one drain.
        services.broadcasts.kick(send, report)

    scheduler.run_repeating(kick, BROADCASTS_EVERY, first=timedelta(seconds=1), name="broadcasts")


def _repeat(
    scheduler: JobScheduler,
    name: str,
    every: timedelta,
    first: timedelta,
    work: Callable[[], Awaitable[object]],
) -> None:
    """Run `work` every `every`, the first time after `first`."""

    async def job(_context: Any) -> None:
        await work()

    scheduler.run_repeating(job, every, first=first, name=name)
