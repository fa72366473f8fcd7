"""The bot's own scheduler (APScheduler): every feature's jobs, whatever channels run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.job import Job as ApsJob
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.shared.jobs import Job
from bot.shared.metrics import Metrics
from bot.shared.schedule import DAYS, WeeklyTime

logger = logging.getLogger(__name__)

# A job still running at shutdown gets this long to finish before it is cancelled.
STOP_GRACE_S = 10.0


def weekly_trigger(when: WeeklyTime, tz: ZoneInfo) -> CronTrigger:
    """Return the cron trigger of a weekly local time ("mon 08:00"), DST-aware."""
    return CronTrigger(
        day_of_week=DAYS[when.weekday], hour=when.hour, minute=when.minute, timezone=tz
    )


class Scheduler:
    """Run the declared jobs on the event loop: one run of a job at a time, none lost."""

    def __init__(
        self,
        tz: ZoneInfo,
        clock: Callable[[], datetime] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._tz = tz
        self._metrics = metrics
        self._clock = clock or (lambda: datetime.now(UTC))
        self._aps = AsyncIOScheduler(timezone=tz)
        self._running: set[asyncio.Task[Any]] = set()

    def add(self, job: Job) -> None:
        """Schedule one job."""
        if job.weekly is not None:
            trigger: Any = weekly_trigger(job.weekly, self._tz)
        else:
            assert job.every is not None
            trigger = IntervalTrigger(
                seconds=job.every.total_seconds(),
                start_date=self._clock() + job.first,
                timezone=self._tz,
            )
        self._aps.add_job(
            self._wrap(job.name, job.run),
            trigger,
            id=job.name,
            name=job.name,
            # One run at a time; runs missed while busy collapse into one. Every job works
            # from what is stored, so a run late or skipped catches up at the next.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def add_all(self, jobs: Iterable[Job]) -> None:
        """Schedule every job."""
        for job in jobs:
            self.add(job)

    def job(self, name: str) -> ApsJob | None:
        """Return a scheduled job by name (to read its next run time)."""
        return self._aps.get_job(name)

    @property
    def names(self) -> list[str]:
        """Return the names of the scheduled jobs."""
        return sorted(job.name for job in self._aps.get_jobs())

    def _wrap(self, name: str, run: Callable[[], Awaitable[object]]) -> Callable[[], Any]:
        async def job() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await run()
            except Exception:
                # A failing run is logged; the next run tries again from what is stored.
                logger.exception("job %s failed", name)
                if self._metrics is not None:
                    self._metrics.job_failures.labels(name).inc()
            finally:
                if self._metrics is not None:
                    self._metrics.jobs.labels(name).inc()
                if task is not None:
                    self._running.discard(task)

        return job

    def start(self) -> None:
        """Start running jobs (inside the event loop)."""
        self._aps.start()

    @property
    def running(self) -> bool:
        """Return whether jobs are being scheduled."""
        return bool(self._aps.running)

    async def stop(self) -> None:
        """Stop scheduling, then let running jobs finish (or cancel them after a grace)."""
        if self._aps.running:
            self._aps.shutdown(wait=False)
        running = list(self._running)
        if not running:
            return
        _, pending = await asyncio.wait(running, timeout=STOP_GRACE_S)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
