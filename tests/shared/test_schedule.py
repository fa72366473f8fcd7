"""Weeks and the digest's weekly time across daylight-saving changes (Europe/Brussels)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.shared.schedule import WeeklyTime, last_full_week, week_bounds

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_the_digest_time_stays_at_8_local_on_both_sides_of_dst() -> None:
    monday_8 = WeeklyTime.parse("Mon 08:00")
    # Winter (CET, UTC+1): 07:00 UTC. The clocks go forward on Sunday 29 March 2026.
    assert monday_8.next_after(datetime(2026, 3, 22, 12, tzinfo=UTC), BRUSSELS) == datetime(
        2026, 3, 23, 7, tzinfo=UTC
    )
    # Summer (CEST, UTC+2), the day after the change: 06:00 UTC.
    assert monday_8.next_after(datetime(2026, 3, 29, 12, tzinfo=UTC), BRUSSELS) == datetime(
        2026, 3, 30, 6, tzinfo=UTC
    )
    # Back to winter after Sunday 25 October 2026.
    assert monday_8.next_after(datetime(2026, 10, 25, 12, tzinfo=UTC), BRUSSELS) == datetime(
        2026, 10, 26, 7, tzinfo=UTC
    )
    # Exactly at the time: the next one is a week later.
    at = datetime(2026, 11, 30, 7, tzinfo=UTC)
    assert monday_8.next_after(at, BRUSSELS) == at + timedelta(days=7)


def test_a_weekly_time_in_the_hour_repeated_in_autumn_is_never_before_now() -> None:
    # Sunday 31 October 2027: 02:00-02:59 happens twice in Brussels (CEST, then CET).
    sunday_230 = WeeklyTime.parse("sun 02:30")
    first_pass = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    # At 02:15 CET (the second 02:15), the first 02:30 is over: next is a week later.
    at = datetime(2027, 10, 31, 1, 15, tzinfo=UTC)
    assert sunday_230.next_after(at, BRUSSELS) == first_pass + timedelta(days=7, hours=1)
    # Before it, the first 02:30 is the next one.
    assert sunday_230.next_after(first_pass - timedelta(minutes=15), BRUSSELS) == first_pass


def test_weeks_run_monday_to_sunday_in_local_time() -> None:
    start, end = week_bounds("2026-W48", BRUSSELS)
    assert start == datetime(2026, 11, 22, 23, tzinfo=UTC)  # Monday 23 Nov 00:00 CET
    assert end == datetime(2026, 11, 29, 23, tzinfo=UTC)
    # The week the clocks go forward is an hour short.
    start, end = week_bounds("2026-W13", BRUSSELS)
    assert end - start == timedelta(hours=167)
    # Monday 08:00 after week 48: the last full week is 48. Sunday 23:30 local (22:30 UTC)
    # is still inside week 48, so the last full one is 47; half an hour later it is 48.
    assert last_full_week(datetime(2026, 11, 30, 7, tzinfo=UTC), BRUSSELS) == "2026-W48"
    assert last_full_week(datetime(2026, 11, 29, 22, 30, tzinfo=UTC), BRUSSELS) == "2026-W47"
    assert last_full_week(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), BRUSSELS) == "2026-W48"
    # Year boundary: 2027-01-04 is the Monday after ISO week 2026-W53.
    assert last_full_week(datetime(2027, 1, 4, 9, tzinfo=UTC), BRUSSELS) == "2026-W53"


def test_bad_settings_are_refused_with_the_expected_form() -> None:
    for text in ("monday 8:00", "mon 25:00", "mon 8h", ""):
        with pytest.raises(ValueError, match="mon 08:00"):
            WeeklyTime.parse(text)
    with pytest.raises(ValueError, match="2026-W48"):
        week_bounds("2026-48", BRUSSELS)
