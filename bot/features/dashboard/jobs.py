"""The dashboard's job: freeze the figures of every week that has closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.features.dashboard.periods import PeriodFigureService
from bot.shared.jobs import Job

# Hourly: a closed week is frozen within the hour after Monday 00:00 local time, and a check
# that finds everything frozen costs one small query.
EVERY = timedelta(hours=1)
FIRST = timedelta(minutes=2)


async def freeze_periods(
    periods: PeriodFigureService,
    now: Callable[[], datetime],
    warm: Callable[[], Awaitable[object]] | None = None,
) -> list[str]:
    """Freeze the last full week's periods, and those of recent weeks missed; return the weeks.

    Then gate the recent weeks once, so the first person to open the dashboard after a
    restart or a new week does not wait for it.
    """
    done = await periods.freeze_due(now())
    if warm is not None:
        await warm()
    return done


def jobs(
    periods: PeriodFigureService,
    now: Callable[[], datetime],
    warm: Callable[[], Awaitable[object]] | None = None,
) -> list[Job]:
    """Return the job that freezes closed periods (catching up after downtime)."""
    return [Job("freeze_periods", lambda: freeze_periods(periods, now, warm), EVERY, FIRST)]
