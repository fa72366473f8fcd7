"""The notices' job: what could not go right after its change goes again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.features.notices.service import Notices
from bot.shared.jobs import Job

EVERY = timedelta(seconds=30)


def jobs(notices: Notices, now: Callable[[], datetime]) -> list[Job]:
    """Return the job that retries notices and drops those nobody opened."""

    async def run() -> None:
        await notices.forget_stale(now())
        await notices.deliver()

    return [Job("notices", run, EVERY, timedelta(seconds=15))]
