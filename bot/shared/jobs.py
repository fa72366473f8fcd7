"""A recurring job as a feature declares it; the application's scheduler runs them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.shared.schedule import WeeklyTime


@dataclass(frozen=True)
class Job:
    """Run `run` every `every` (the first time after `first`), or weekly on the dot."""

    name: str
    run: Callable[[], Awaitable[object]]
    every: timedelta | None = None
    first: timedelta = timedelta(seconds=1)
    # A weekly local time ("mon 08:00"), right across daylight-saving changes.
    weekly: WeeklyTime | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.weekly is None):
            raise ValueError(f"job {self.name}: give either every or weekly")
