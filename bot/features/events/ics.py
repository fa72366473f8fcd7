"""Write one event as an iCalendar (RFC 5545) file that calendar apps can import."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vText, vUTCOffset

PRODID = "-//Echoppe//Events//FR"
ALARM_TRIGGER = timedelta(hours=-2)
# Observances start long before any event, as Google's and Thunderbird's own exports do.
_FIRST_ONSET_YEAR = 1970
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_NEWLINE = re.compile(r"\r\n|\r|\n")
# RFC 5545 TEXT allows no control character but tab, and lone surrogates cannot be UTF-8.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
# A line break in a URI value would start a new content line: an injected property.
_NOT_URI = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    """An event to export; a stable uid lets apps update it rather than add a duplicate."""

    uid: str
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    url: str | None = None

    def __post_init__(self) -> None:
        """Reject times that cannot be placed on a calendar and URLs that break the file."""
        if self.starts_at.utcoffset() is None or self.ends_at.utcoffset() is None:
            raise ValueError("starts_at and ends_at must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.url is not None and _NOT_URI.search(self.url):
            raise ValueError(f"url contains control characters: {self.url!r}")


def event_ics(event: CalendarEvent, *, stamp: datetime, tz: ZoneInfo) -> bytes:
    """Return a VCALENDAR with one VEVENT, as UTF-8 bytes with CRLF line ends."""
    if stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware")
    document = Calendar()
    document.add("VERSION", "2.0")
    document.add("PRODID", PRODID)
    document.add("CALSCALE", "GREGORIAN")
    document.add("METHOD", "PUBLISH")
    # Outlook resolves a TZID only against a VTIMEZONE that comes before the event.
    document.add_component(_vtimezone(tz, event.starts_at.astimezone(tz).year))
    vevent = Event()
    vevent.add("UID", _text(event.uid))
    vevent.add("DTSTAMP", stamp.astimezone(UTC))
    vevent.add("DTSTART", _local(event.starts_at, tz))
    vevent.add("DTEND", _local(event.ends_at, tz))
    vevent.add("SUMMARY", _text(event.title))
    if event.description:
        vevent.add("DESCRIPTION", _text(event.description))
    if event.location:
        vevent.add("LOCATION", _text(event.location))
    if event.url:
        vevent.add("URL", event.url)
    vevent.add("STATUS", "CONFIRMED")
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("TRIGGER", ALARM_TRIGGER)
    # RFC 5545 requires a DESCRIPTION in a DISPLAY alarm.
    alarm.add("DESCRIPTION", _text(event.title))
    vevent.add_component(alarm)
    document.add_component(vevent)
    data: bytes = document.to_ical()
    return data


class _Text(vText):
    """A TEXT value that keeps a backslash followed by N as those two characters."""

    def to_ical(self) -> bytes:
        """Escape the value (RFC 5545 §3.3.11)."""
        # icalendar 7.3 first turns a backslash-N into a line break ("C:\Nouveau" would be cut):
        # its escaping is replaced, not wrapped. The backslash goes first, or the escapes added
        # after it would be doubled.
        value = self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        return value.replace("\n", "\\n").encode("utf-8")


def _text(value: str) -> _Text:
    """Return a TEXT value without the characters RFC 5545 forbids, each line break as \\n."""
    return _Text(_NOT_TEXT.sub("", _NEWLINE.sub("\n", value)))


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """Return the moment in the zone's local time, or in UTC where local time is ambiguous."""
    local = moment.astimezone(tz)
    # A local time in the hour repeated when clocks go back means its first occurrence (RFC
    # 5545 §3.3.5), and icalendar ignores fold, so the second one is only exact in UTC.
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local


@dataclass(frozen=True)
class _Transition:
    """A change of UTC offset: its instant, the offsets around it and the new zone name."""

    at: datetime
    before: timedelta
    after: timedelta
    name: str

    @property
    def onset(self) -> datetime:
        """Return the naive local time, in the old offset, at which the change happens."""
        return self.at.replace(tzinfo=None) + self.before


def _offset(tz: ZoneInfo, moment: datetime) -> timedelta:
    """Return the zone's UTC offset at an instant."""
    offset = moment.astimezone(tz).utcoffset()
    if offset is None:  # Never for a ZoneInfo; typeshed allows it for any tzinfo.
        raise ValueError(f"{tz.key} has no UTC offset at {moment.isoformat()}")
    return offset


def _name(tz: ZoneInfo, moment: datetime) -> str:
    """Return the zone's abbreviation (CET, CEST, +09…) at an instant."""
    return moment.astimezone(tz).tzname() or vUTCOffset(_offset(tz, moment)).to_ical()


def _transitions(tz: ZoneInfo, year: int) -> list[_Transition]:
    """Return the year's changes of UTC offset, found by probing the zone."""
    found: list[_Transition] = []
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    probe = datetime(year, 1, 1, tzinfo=UTC)
    offset = _offset(tz, probe)
    while probe < end:
        # Zones change offset at most twice a year, months apart: a daily probe sees each.
        following = min(probe + timedelta(days=1), end)
        if _offset(tz, following) != offset:
            at = _first_second_after(tz, probe, following)
            found.append(_Transition(at, offset, _offset(tz, at), _name(tz, at)))
            offset = _offset(tz, at)
        probe = following
    return found


def _first_second_after(tz: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """Return the first second of (low, high] whose offset differs from the one at low."""
    old = _offset(tz, low)
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(tz, datetime.fromtimestamp(mid, UTC)) == old:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _vtimezone(tz: ZoneInfo, year: int) -> Timezone:
    """Return a VTIMEZONE for the zone, exact for the given year."""
    # Not Timezone.from_tzinfo(): it dates a change forward by the clock after it, which RFC
    # 5545 §3.6.5 reads as that much later (Brussels' DST at 02:00 UTC, not 01:00), and it lists
    # each change since 1970 in RDATEs, where Outlook takes one yearly RRULE (MS-OXCICAL).
    timezone = Timezone()
    timezone.add("TZID", tz.key)
    changes = _transitions(tz, year)
    if _is_daylight_saving(changes):
        for change in changes:
            # By offset rather than by zoneinfo's dst(): Dublin and Casablanca keep negative
            # DST in winter, which Outlook and Windows treat as standard time.
            kind = "DAYLIGHT" if change.after > change.before else "STANDARD"
            onset = change.onset
            ordinal, weekday = _weekday_rule(onset.date())
            first = datetime.combine(
                _nth_weekday(_FIRST_ONSET_YEAR, onset.month, ordinal, weekday), onset.time()
            )
            byday = f"{ordinal}{_WEEKDAYS[weekday]}"
            rule: dict[str, str | int] = {"FREQ": "YEARLY", "BYMONTH": onset.month, "BYDAY": byday}
            timezone.add_component(_observance(kind, change, first, rule))
        return timezone
    # No DST in that year: one observance since 1970, then any permanent change as it happened.
    start = datetime(year, 1, 1, tzinfo=UTC)
    offset = _offset(tz, start)
    constant = _Transition(start, offset, offset, _name(tz, start))
    timezone.add_component(
        _observance("STANDARD", constant, datetime(_FIRST_ONSET_YEAR, 1, 1), None)
    )
    for change in changes:
        dst = change.at.astimezone(tz).dst()
        kind = "DAYLIGHT" if dst is not None and dst > timedelta(0) else "STANDARD"
        timezone.add_component(_observance(kind, change, change.onset, None))
    return timezone


def _is_daylight_saving(changes: list[_Transition]) -> bool:
    """Tell whether a year's changes go to one offset and back, as daylight saving does."""
    if len(changes) != 2:
        return False
    there, back = changes
    return there.after == back.before and back.after == there.before


def _weekday_rule(day: date) -> tuple[int, int]:
    """Return (ordinal, weekday) naming the day in its month: (-1, 6) is the last Sunday."""
    # A day in the month's last week is also its 4th or 5th such weekday; "last" is how the EU
    # and most other rules are written, so it holds in the other years too.
    if day.day > calendar.monthrange(day.year, day.month)[1] - 7:
        return -1, day.weekday()
    return (day.day - 1) // 7 + 1, day.weekday()


def _nth_weekday(year: int, month: int, ordinal: int, weekday: int) -> date:
    """Return the ordinal-th (or, for -1, the last) weekday of a month."""
    if ordinal > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observance(
    kind: str, change: _Transition, first: datetime, rule: dict[str, str | int] | None
) -> TimezoneStandard | TimezoneDaylight:
    """Return a STANDARD or DAYLIGHT sub-component starting (locally) at first."""
    observance = TimezoneDaylight() if kind == "DAYLIGHT" else TimezoneStandard()
    observance.add("DTSTART", first)
    observance.add("TZOFFSETFROM", change.before)
    observance.add("TZOFFSETTO", change.after)
    observance.add("TZNAME", _text(change.name))
    if rule is not None:
        observance.add("RRULE", rule)
    return observance
