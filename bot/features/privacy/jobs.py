"""Delete free text older than the retention period, once a day."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.shared.jobs import Job

logger = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(days=1)


def jobs(retention: Callable[[], Awaitable[object]]) -> list[Job]:
    """Return the retention job."""

    async def run() -> None:
        pruned = await retention()
        logger.info("retention: %s", pruned)

    return [Job("retention", run, RETENTION_EVERY, timedelta(minutes=5))]
