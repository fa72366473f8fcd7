"""Weeks and the weekly digest's time, in local time, correct across daylight-saving changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})$")
_WHEN = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun) ([01][0-9]|2[0-3]):([0-5][0-9])$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def week_bounds(week: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return [Monday 00:00, next Monday 00:00) of an ISO week ("2026-W48"), in UTC."""
    match = _WEEK.match(week)
    if match is None:
        raise ValueError(f"not an ISO week like 2026-W48: {week!r}")
    monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    # Each bound is midnight in local time: a week with a DST change lasts 167 or 169 hours.
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def last_full_week(now: datetime, tz: ZoneInfo) -> str:
    """Return the ISO week (Monday–Sunday, local time) that ended most recently before now."""
    local = now.astimezone(tz).date()
    last_sunday = local - timedelta(days=local.isoweekday())
    year, week, _ = last_sunday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeeklyTime:
    """A weekly local time such as "mon 08:00"."""

    weekday: int
    hour: int
    minute: int

    @classmethod
    def parse(cls, text: str) -> WeeklyTime:
        """Read "mon 08:00" (a weekday and a 24-hour local time)."""
        match = _WHEN.match(text.strip().lower())
        if match is None:
            raise ValueError(f"expected a day and a time like 'mon 08:00', got {text!r}")
        return cls(DAYS.index(match[1]), int(match[2]), int(match[3]))

    def next_after(self, now: datetime, tz: ZoneInfo) -> datetime:
        """Return the first such local time strictly after now, in UTC."""
        local = now.astimezone(tz)
        day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        for _ in range(2):
            # Built from the local wall-clock time, so 08:00 stays 08:00 in summer and winter.
            moment = datetime.combine(day, time(self.hour, self.minute), tzinfo=tz)
            # Compared in UTC: two datetimes with the same tzinfo compare by wall clock, which
            # in the hour repeated when summer time ends says 02:30 CEST is after 02:15 CET.
            if moment.astimezone(UTC) > now.astimezone(UTC):
                return moment.astimezone(UTC)
            day += timedelta(days=7)
        raise AssertionError("unreachable: the next week is always later")
