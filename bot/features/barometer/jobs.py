"""Keep the shared territory counts warm, so no person waits for them."""

from __future__ import annotations

from datetime import timedelta

from bot.features.barometer.service import BarometerService
from bot.shared.jobs import Job
from bot.storage import Role


def jobs(barometer: BarometerService, territory_ids: list[str], cache_seconds: int) -> list[Job]:
    """Return the refresh job, or none when the cache is off."""
    if cache_seconds <= 0:
        return []
    roles: list[str | None] = [role.value for role in Role]
    return [
        Job(
            "barometer",
            lambda: barometer.refresh(territory_ids, roles),
            timedelta(seconds=max(30, cache_seconds // 2)),
            timedelta(seconds=5),
        )
    ]
