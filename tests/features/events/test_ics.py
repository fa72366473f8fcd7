"""The iCalendar export, read back by an independent parser (the icalendar package)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component, Timezone

from bot.features.events.ics import CalendarEvent, event_ics

BRUSSELS = ZoneInfo("Europe/Brussels")
STAMP = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
DESCRIPTION = (
    "Apéro des commerçants, place du Marché ; venez nombreux !\n"
    "Deuxième ligne : « été » à Lessines 🎉🥐\r\n"
    "Troisième, avec une barre \\ oblique."
)


def make_event(
    starts_at: datetime,
    hours: int = 2,
    *,
    title: str = "Apéro des commerçants",
    description: str = DESCRIPTION,
    location: str = "Grand-Place 1, 7860 Lessines",
    url: str | None = "https://echoppe.example/events/12?a=1,2;b",
) -> CalendarEvent:
    """Build an event lasting a few hours."""
    return CalendarEvent(
        uid="event-12@echoppe",
        title=title,
        description=description,
        location=location,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        url=url,
    )


def export(event: CalendarEvent, tz: ZoneInfo = BRUSSELS) -> bytes:
    """Write the event's file as a fixed moment."""
    return event_ics(event, stamp=STAMP, tz=tz)


def only(calendar: Component, name: str) -> Component:
    """Return the calendar's single sub-component of a kind."""
    found = calendar.walk(name)
    assert len(found) == 1, name
    return found[0]


def from_vtimezone(calendar: Calendar) -> tzinfo:
    """Build a tzinfo from the file's own VTIMEZONE, as an app without the tz database would."""
    timezone = only(calendar, "VTIMEZONE")
    assert isinstance(timezone, Timezone)
    built: tzinfo = timezone.to_tz(lookup_tzid=False)
    return built


def offsets_by_onset(calendar: Calendar) -> Callable[[datetime], timedelta]:
    """Return what gives the UTC offset the file's VTIMEZONE sets at an instant."""
    timezone = only(calendar, "VTIMEZONE")
    assert isinstance(timezone, Timezone)
    # An onset is a local time in its TZOFFSETFROM (RFC 5545 §3.6.5), made UTC with it here.
    times, info = timezone.get_transitions()

    def offset(moment: datetime) -> timedelta:
        """Return the offset of the last change at or before the instant."""
        index = bisect_right(times, moment.astimezone(UTC).replace(tzinfo=None)) - 1
        assert index >= 0, moment
        found: timedelta = info[index][0]
        return found

    return offset


def instants(data: bytes) -> tuple[datetime, datetime]:
    """Return DTSTART and DTEND in UTC, checking both readings of the local times agree."""
    calendar = Calendar.from_ical(data)
    event = only(calendar, "VEVENT")
    own_zone = from_vtimezone(calendar)
    found: list[datetime] = []
    for name in ("DTSTART", "DTEND"):
        # icalendar resolves TZID with the tz database; the VTIMEZONE must say the same.
        by_tzid = event.decoded(name)
        assert isinstance(by_tzid, datetime)
        assert by_tzid.utcoffset() is not None
        by_vtimezone = by_tzid
        if "TZID" in event[name].params:
            by_vtimezone = by_tzid.replace(tzinfo=None).replace(tzinfo=own_zone)
        assert by_tzid.astimezone(UTC) == by_vtimezone.astimezone(UTC), name
        found.append(by_tzid.astimezone(UTC))
    return found[0], found[1]


def test_every_field_round_trips() -> None:
    event = make_event(datetime(2026, 1, 20, 18, tzinfo=BRUSSELS))
    data = export(event)
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Echoppe//Events//FR"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    vevent = only(calendar, "VEVENT")
    assert str(vevent["UID"]) == "event-12@echoppe"
    assert str(vevent["SUMMARY"]) == "Apéro des commerçants"
    # A CRLF inside a description is one line break, written as \n.
    assert str(vevent["DESCRIPTION"]) == DESCRIPTION.replace("\r\n", "\n")
    assert str(vevent["LOCATION"]) == "Grand-Place 1, 7860 Lessines"
    assert str(vevent["URL"]) == "https://echoppe.example/events/12?a=1,2;b"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent.decoded("DTSTAMP") == STAMP
    assert b"\r\nDTSTAMP:20260105T093000Z\r\n" in data
    assert vevent["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert b"\r\nDTSTART;TZID=Europe/Brussels:20260120T180000\r\n" in data


def test_escaping_is_what_keeps_special_characters() -> None:
    title = "a;b,c\\d \\n \\, x\r\nDTSTART:19990101T000000Z"
    data = export(make_event(datetime(2026, 1, 20, 18, tzinfo=BRUSSELS), title=title))
    assert b"\r\nSUMMARY:a\\;b\\,c\\\\d \\\\n \\\\\\, x\\nDTSTART:19990101T000000Z\r\n" in data
    vevent = only(Calendar.from_ical(data), "VEVENT")
    assert str(vevent["SUMMARY"]) == title.replace("\r\n", "\n")
    # The line break in the title did not start a property of its own.
    assert b"\r\nDTSTART:19990101T000000Z" not in data
    assert vevent.decoded("DTSTART") == datetime(2026, 1, 20, 18, tzinfo=BRUSSELS)


def test_a_backslash_before_n_stays_two_characters() -> None:
    # Not the \N line-break escape: icalendar 7.3's own TEXT escaping takes it for one.
    title = "Dossier C:\\Nouveautés \\N"
    data = export(make_event(datetime(2026, 1, 20, 18, tzinfo=BRUSSELS), title=title))
    assert "\r\nSUMMARY:Dossier C:\\\\Nouveautés \\\\N\r\n".encode() in data
    assert str(only(Calendar.from_ical(data), "VEVENT")["SUMMARY"]) == title


def test_control_characters_are_dropped_from_text() -> None:
    data = export(make_event(datetime(2026, 1, 20, 18, tzinfo=BRUSSELS), title="a\x00b\x1b\tc"))
    assert str(only(Calendar.from_ical(data), "VEVENT")["SUMMARY"]) == "ab\tc"


def test_empty_description_location_and_url_are_left_out() -> None:
    event = make_event(
        datetime(2026, 1, 20, 18, tzinfo=BRUSSELS), description="", location="", url=None
    )
    vevent = only(Calendar.from_ical(export(event)), "VEVENT")
    assert "LOCATION" not in vevent
    assert "URL" not in vevent
    # Only the alarm keeps a description.
    assert "DESCRIPTION" not in vevent


@pytest.mark.parametrize(
    ("local", "utc_start"),
    [
        # Winter (CET, UTC+1).
        (datetime(2026, 1, 20, 18, 0), datetime(2026, 1, 20, 17, 0, tzinfo=UTC)),
        # Summer (CEST, UTC+2).
        (datetime(2026, 7, 14, 18, 30), datetime(2026, 7, 14, 16, 30, tzinfo=UTC)),
        # The day clocks go forward, hours after the change at 02:00.
        (datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        # The day clocks go back, hours after the change at 03:00.
        (datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
    ],
)
def test_start_and_end_are_the_same_instants(local: datetime, utc_start: datetime) -> None:
    event = make_event(local.replace(tzinfo=BRUSSELS))
    assert instants(export(event)) == (utc_start, utc_start + timedelta(hours=2))


def test_an_event_across_the_change_keeps_its_real_length() -> None:
    # 00:30 to 04:30 local on 29 March 2026 is three hours: 02:00 jumps to 03:00.
    start = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    event = CalendarEvent(
        uid="u", title="t", description="", location="", starts_at=start,
        ends_at=start + timedelta(hours=3),
    )  # fmt: skip
    data = export(event)
    assert b"DTSTART;TZID=Europe/Brussels:20260329T003000\r\n" in data
    assert b"DTEND;TZID=Europe/Brussels:20260329T043000\r\n" in data
    assert instants(data) == (start, start + timedelta(hours=3))


@pytest.mark.parametrize(
    "utc_start", [datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 1, 30)]
)
def test_both_occurrences_of_the_repeated_hour_stay_exact(utc_start: datetime) -> None:
    # Both are 02:30 local on 25 October 2026: the first in CEST, the second in CET.
    start = utc_start.replace(tzinfo=UTC)
    assert instants(export(make_event(start, hours=1))) == (start, start + timedelta(hours=1))


def test_the_brussels_vtimezone_has_cet_and_cest_with_eu_rules() -> None:
    calendar = Calendar.from_ical(export(make_event(datetime(2026, 7, 14, 18, tzinfo=BRUSSELS))))
    timezone = only(calendar, "VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Brussels"
    standard, daylight = only(timezone, "STANDARD"), only(timezone, "DAYLIGHT")
    assert standard["TZOFFSETFROM"].to_ical() == "+0200"
    assert standard["TZOFFSETTO"].to_ical() == "+0100"
    assert str(standard["TZNAME"]) == "CET"
    assert daylight["TZOFFSETFROM"].to_ical() == "+0100"
    assert daylight["TZOFFSETTO"].to_ical() == "+0200"
    assert str(daylight["TZNAME"]) == "CEST"
    assert standard["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [10], "BYDAY": ["-1SU"]}
    assert daylight["RRULE"] == {"FREQ": ["YEARLY"], "BYMONTH": [3], "BYDAY": ["-1SU"]}
    # The onsets are local times in the offset before the change: 02:00 CET, 03:00 CEST.
    assert standard.decoded("DTSTART") == datetime(1970, 10, 25, 3, 0)
    assert daylight.decoded("DTSTART") == datetime(1970, 3, 29, 2, 0)


@pytest.mark.parametrize(
    ("key", "year"),
    [
        ("Europe/Brussels", 2026),
        ("Europe/Brussels", 2027),
        ("America/New_York", 2026),  # Second Sunday of March, first Sunday of November.
        ("Australia/Sydney", 2026),  # Southern hemisphere: summer across the new year.
        ("America/Santiago", 2026),  # Changes at local midnight.
        ("Europe/Dublin", 2026),  # Negative DST in the tz database.
        ("Asia/Jerusalem", 2029),  # Friday before the last Sunday: the 4th, not the last, Friday.
        ("Africa/Casablanca", 2026),  # Set by Ramadan, not by a weekday rule.
        ("Europe/Moscow", 2014),  # One permanent change, no DST.
        ("Europe/Moscow", 2011),  # One permanent change forward, no DST.
        ("America/Caracas", 2016),  # Half an hour forward for good, no DST.
        ("Asia/Tokyo", 2026),
        ("UTC", 2026),
    ],
)
def test_the_vtimezone_matches_the_tz_database_all_year(key: str, year: int) -> None:
    zone = ZoneInfo(key)
    calendar = Calendar.from_ical(export(make_event(datetime(year, 6, 1, 12, tzinfo=zone)), zone))
    own_zone = from_vtimezone(calendar)
    offset_by_onset = offsets_by_onset(calendar)
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        # An app reads a wall time (fold says which of a repeated hour) and finds its offset.
        local = moment.astimezone(zone)
        assert local.replace(tzinfo=own_zone).utcoffset() == local.utcoffset(), local
        # And shows an instant at its wall time: each change must be at its exact onset.
        assert offset_by_onset(moment) == local.utcoffset(), moment
        moment += timedelta(hours=1)


@pytest.mark.parametrize("key", ["UTC", "Asia/Tokyo"])
def test_a_zone_without_dst_has_a_single_standard_observance(key: str) -> None:
    zone = ZoneInfo(key)
    offset = "+0000" if key == "UTC" else "+0900"
    for month in (1, 7):
        start = datetime(2026, month, 10, 19, tzinfo=zone)
        data = export(make_event(start), zone)
        timezone = only(Calendar.from_ical(data), "VTIMEZONE")
        assert str(timezone["TZID"]) == key
        assert timezone.walk("DAYLIGHT") == []
        standard = only(timezone, "STANDARD")
        assert standard["TZOFFSETFROM"].to_ical() == offset
        assert standard["TZOFFSETTO"].to_ical() == offset
        assert "RRULE" not in standard
        assert instants(data) == (
            start.astimezone(UTC),
            (start + timedelta(hours=2)).astimezone(UTC),
        )


def test_lines_are_crlf_and_at_most_75_octets_without_splitting_characters() -> None:
    event = make_event(
        datetime(2026, 7, 14, 18, tzinfo=BRUSSELS),
        title="🎉" * 40 + "é" * 50,
        location="x" + "é" * 100,
    )
    data = export(event)
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert max(len(line) for line in lines) >= 73  # Folding fills lines, not just caps them.
    for line in lines:
        line.decode("utf-8")  # Raises if a fold fell inside a character.
    assert str(only(Calendar.from_ical(data), "VEVENT")["SUMMARY"]) == "🎉" * 40 + "é" * 50


def test_a_long_description_folds_and_unfolds_exactly() -> None:
    description = ("Réunion des commerçants à l'échoppe, « café » ; ça déménage ! " * 40)[:2000]
    assert len(description) == 2000
    data = export(make_event(datetime(2026, 7, 14, 18, tzinfo=BRUSSELS), description=description))
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    # Unfolding is removing each CRLF and the one space after it.
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    escaped = description.replace(",", "\\,").replace(";", "\\;")
    assert f"\r\nDESCRIPTION:{escaped}\r\n" in unfolded
    assert str(only(Calendar.from_ical(data), "VEVENT")["DESCRIPTION"]) == description


def test_the_alarm_displays_two_hours_before() -> None:
    data = export(make_event(datetime(2026, 7, 14, 18, tzinfo=BRUSSELS)))
    alarm = only(only(Calendar.from_ical(data), "VEVENT"), "VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(hours=-2)
    assert str(alarm["DESCRIPTION"]) == "Apéro des commerçants"


def test_the_same_event_gives_the_same_file() -> None:
    event = make_event(datetime(2026, 7, 14, 18, tzinfo=BRUSSELS))
    assert export(event) == export(event)


def test_invalid_events_are_refused() -> None:
    start = datetime(2026, 7, 14, 18, tzinfo=BRUSSELS)
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event(start.replace(tzinfo=None))
    with pytest.raises(ValueError, match="after"):
        make_event(start, hours=0)
    with pytest.raises(ValueError, match="control"):
        make_event(start, url="https://x.example/\r\nATTENDEE:mailto:a@b.example")
    with pytest.raises(ValueError, match="timezone-aware"):
        event_ics(make_event(start), stamp=datetime(2026, 1, 1), tz=BRUSSELS)
