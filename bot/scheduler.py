"""Register the bot's recurring jobs on the one scheduler (python-telegram-bot's JobQueue)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from bot.services.container import Services

logger = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(hours=6)


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


def register_jobs(scheduler: JobScheduler, services: Services) -> None:
    """Schedule every recurring job."""

    async def housekeeping(_context: Any) -> None:
        removed = await services.housekeeping()
        logger.info("housekeeping: forgot %d old processed-update records", removed)

    scheduler.run_repeating(
        housekeeping, HOUSEKEEPING_EVERY, first=timedelta(minutes=1), name="housekeeping"
    )
