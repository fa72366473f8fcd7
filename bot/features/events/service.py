"""Events: creation, the announcement with its answers, seats and waiting list, reminders,
the feedback survey afterwards, and the attendee list organisers may see."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from bot.channels.base import Button
from bot.features.broadcasts.service import BroadcastError, BroadcastService
from bot.features.broadcasts.store import Audience, Draft
from bot.features.events.ics import CalendarEvent, event_ics
from bot.features.events.store import Answer, Event, EventRepository, Rsvp
from bot.features.surveys.waves import WaveService
from bot.i18n import LANGUAGES, Translator
from bot.reference import Reference
from bot.shared.sending import Delivery, send_and_record
from bot.storage import Database, User, UserRepository

logger = logging.getLogger(__name__)

PREFIX = "ev"
FEEDBACK_SURVEY = "event_feedback"
REMIND_BEFORE = timedelta(hours=24)
# The feedback survey goes once the event is over and people are home.
FEEDBACK_AFTER = timedelta(hours=2)
MAX_TITLE = 120
MAX_DESCRIPTION = 600

# Tell a person promoted from the waiting list that they have a seat.
SendNotice = Callable[[User, Event], Awaitable[Delivery]]


class EventError(ValueError):
    """Raised when an event cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class RsvpResult:
    """What answering did: the answer kept, a place in the waiting list, or why not."""

    state: str  # going, waiting, maybe, no, over, unknown
    event: Event | None = None
    position: int = 0


class EventService:
    """Make events, keep their answers and seats, remind and ask for feedback."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        broadcasts: BroadcastService,
        waves: WaveService | None,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._ref = reference
        self._repo = EventRepository(db)
        self._users = UserRepository(db)
        self._broadcasts = broadcasts
        self._waves = waves
        self._tz = tz
        self._clock = clock

    # ---- making ---------------------------------------------------------------------------

    async def create(
        self,
        *,
        title: str,
        place: str,
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        description: str = "",
        capacity: int | None = None,
        territory_id: str | None = None,
        kind: str = "event",
    ) -> Event:
        """Check and store an event (not announced yet)."""
        title, place, description = title.strip(), place.strip(), description.strip()
        if not title or len(title) > MAX_TITLE:
            raise EventError(f"a title of 1 to {MAX_TITLE} characters is required")
        if not place:
            raise EventError("a place is required")
        if len(description) > MAX_DESCRIPTION:
            raise EventError(f"the description is longer than {MAX_DESCRIPTION} characters")
        if starts_at <= self._clock():
            raise EventError("the event must start in the future")
        if ends_at <= starts_at:
            raise EventError("the event must end after it starts")
        if capacity is not None and capacity < 1:
            raise EventError("the capacity must be at least 1 (or left out: no limit)")
        if territory_id is not None and self._ref.territory(territory_id) is None:
            raise EventError(f"unknown territory {territory_id!r}")
        if kind not in ("event", "info_session"):
            raise EventError(f"unknown kind {kind!r}")
        if kind == "info_session" and territory_id is None:
            raise EventError(
                "an information session needs a territory (its candidates come first)"
            )
        event = await self._repo.create(
            title=title,
            description=description,
            place=place,
            starts_at=_iso(starts_at),
            ends_at=_iso(ends_at),
            capacity=capacity,
            territory_id=territory_id,
            created_by=created_by,
            kind=kind,
        )
        logger.info("event %d created by %s", event.id, created_by)
        return event

    async def get(self, event_id: int) -> Event | None:
        """Return an event by id."""
        return await self._repo.get(event_id)

    async def draft_announcement(self, event: Event, created_by: str) -> Draft:
        """Prepare the announcement to the event's territory (everyone, when none).

        An information session goes to the territory's candidate entrepreneurs first; the
        wider announcement is a broadcast of its own, later.
        """
        return await self._broadcasts.draft(
            created_by=created_by,
            texts={lang: self.announcement_text(event, lang) for lang in LANGUAGES},
            audience=Audience(territory_id=event.territory_id, candidates=event.info_session),
            event_id=event.id,
        )

    async def announced(self, event_id: int) -> None:
        """Record that the event's announcement was confirmed."""
        await self._repo.mark_announced(event_id, _iso(self._clock()))

    async def discard(self, event_id: int) -> bool:
        """Forget an event whose announcement was discarded before going out."""
        return await self._repo.delete_unannounced(event_id)

    def announcement_text(self, event: Event, lang: str) -> str:
        """Word the invitation in a language."""
        t = Translator(lang)
        text = t(
            "event.announcement",
            title=event.title,
            when=self.when(event, lang),
            place=event.place,
        )
        if event.description:
            text += "\n\n" + event.description
        if event.capacity is not None:
            text += "\n\n" + t("event.capacity", n=event.capacity)
        return text + "\n\n" + t("event.will_you_come")

    def when(self, event: Event, lang: str) -> str:
        """Say the event's date and times in the local time zone and the language."""
        start = datetime.fromisoformat(event.starts_at).astimezone(self._tz)
        end = datetime.fromisoformat(event.ends_at).astimezone(self._tz)
        day = format_date(start.date(), format="full", locale=lang)
        times = (
            f"{format_time(start, 'HH:mm', locale=lang)}–{format_time(end, 'HH:mm', locale=lang)}"
        )
        if end.date() != start.date():
            times += f" ({format_date(end.date(), format='medium', locale=lang)})"
        return f"{day}, {times}"

    def answer_buttons(self, event_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
        """Return the Going / Maybe / Not this time buttons."""
        t = Translator(lang)
        return (
            (
                Button(t("event.going"), f"{PREFIX}:a:{event_id}:going"),
                Button(t("event.maybe"), f"{PREFIX}:a:{event_id}:maybe"),
            ),
            (Button(t("event.no"), f"{PREFIX}:a:{event_id}:no"),),
        )

    def reminder_ahead(self, event: Event) -> bool:
        """Tell whether the reminder 24 hours before is still to be made."""
        start = datetime.fromisoformat(event.starts_at)
        return event.reminder_done_at is None and self._clock() < start - REMIND_BEFORE

    def share_buttons(self, event_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
        """Return the button that lets organisers see the person's name."""
        return ((Button(Translator(lang)("event.share_name"), f"{PREFIX}:n:{event_id}"),),)

    def ics(self, event: Event) -> bytes:
        """Return the event as an iCalendar file for the person's calendar."""
        return event_ics(
            CalendarEvent(
                uid=f"event-{event.id}@echoppe",
                title=event.title,
                description=event.description,
                location=event.place,
                starts_at=datetime.fromisoformat(event.starts_at),
                ends_at=datetime.fromisoformat(event.ends_at),
            ),
            stamp=self._clock(),
            tz=self._tz,
        )

    # ---- answering ------------------------------------------------------------------------

    async def answer(self, user: User, event_id: int, answer: Answer) -> RsvpResult:
        """Keep a person's answer; beyond capacity "going" waits, and a freed seat promotes."""
        now = self._clock()
        async with self._db.transaction():
            event = await self._repo.get(event_id)
            if event is None or event.announced_at is None:
                return RsvpResult("unknown")
            if not await self._repo.invited(event_id, user.id):
                # Buttons can be forged: only those the invitation went to may answer it.
                logger.warning("event %d: an answer from someone not invited", event_id)
                return RsvpResult("unknown")
            if datetime.fromisoformat(event.starts_at) <= now:
                return RsvpResult("over", event)
            before = await self._repo.rsvp(event_id, user.id)
            if before is not None and before.answer is answer:
                # The same tap again changes nothing (and keeps a place in the line).
                return await self._state(event, user.id, before)
            seated_before = before is not None and before.answer is Answer.GOING
            seated_before = seated_before and not before.waiting  # type: ignore[union-attr]
            waiting = False
            if answer is Answer.GOING and event.capacity is not None:
                waiting = await self._repo.seated(event_id) >= event.capacity
            await self._repo.put(event_id, user.id, answer, waiting=waiting, at=_iso(now))
            if seated_before and event.capacity is not None:
                promoted = await self._repo.promote_first_waiting(event_id)
                if promoted is not None:
                    logger.info("event %d: a seat freed, first in line promoted", event_id)
            after = await self._repo.rsvp(event_id, user.id)
            assert after is not None
            return await self._state(event, user.id, after)

    async def _state(self, event: Event, user_id: int, rsvp: Rsvp) -> RsvpResult:
        if rsvp.answer is Answer.GOING and rsvp.waiting:
            position = await self._repo.waiting_position(event.id, user_id)
            return RsvpResult("waiting", event, position)
        return RsvpResult(rsvp.answer.value, event)

    async def share_name(self, user: User, event_id: int, name: str | None) -> bool:
        """Let organisers see a seated person's name (None: withdraw it)."""
        cleaned = " ".join((name or "").split())[:80] or None
        return await self._repo.share_name(event_id, user.id, cleaned)

    # ---- organisers ---------------------------------------------------------------------

    async def upcoming(self, limit: int = 10) -> list[tuple[Event, dict[str, int]]]:
        """Return events not over yet (or just over), with their answer counts."""
        since = _iso(self._clock() - timedelta(days=7))
        return [(e, await self._repo.counts(e.id)) for e in await self._repo.listed(since, limit)]

    async def attendees_csv(self, event_id: int) -> tuple[bytes, int, int]:
        """Return (CSV of attendees who shared their name, named, seated in all)."""
        attendees = await self._repo.attendees(event_id)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "answered_at"])
        named = [a for a in attendees if a.shared_name]
        for attendee in named:
            writer.writerow([_cell(attendee.shared_name or ""), attendee.answered_at[:16]])
        return out.getvalue().encode("utf-8"), len(named), len(attendees)

    # ---- jobs -----------------------------------------------------------------------------

    async def send_notices(self, send: SendNotice, limit: int = 50) -> int:
        """Tell people promoted from a waiting list that they have a seat."""
        sent = 0
        for rsvp in await self._repo.notices_due(limit):
            user = await self._users.get_by_id(rsvp.user_id)
            event = await self._repo.get(rsvp.event_id)
            if user is None or event is None:
                continue

            async def given(rsvp: Rsvp = rsvp) -> None:
                await self._repo.notice_given(rsvp.event_id, rsvp.user_id)

            delivery = await send_and_record(
                self._db,
                send(user, event),
                what=f"seat notice of event {event.id}",
                on_sent=given,
                on_blocked=given,
            )
            sent += delivery is Delivery.SENT
        return sent

    async def schedule_reminders(self) -> int:
        """Turn events starting within 24 h into reminder broadcasts to those with a seat."""
        now = self._clock()
        made = 0
        for event in await self._repo.reminders_due(_iso(now + REMIND_BEFORE), _iso(now)):
            seated = tuple(a.user_id for a in await self._repo.attendees(event.id))
            broadcast_id = None
            if seated:
                try:
                    reminder = await self._broadcasts.create(
                        created_by=f"event:{event.id}",
                        texts={lang: self.reminder_text(event, lang) for lang in LANGUAGES},
                        audience=Audience(user_ids=seated),
                    )
                except BroadcastError:
                    logger.exception("event %d: could not make its reminder", event.id)
                    continue
                broadcast_id = reminder.id
                made += 1
            await self._repo.settle_reminder(event.id, broadcast_id, _iso(now))
        return made

    def reminder_text(self, event: Event, lang: str) -> str:
        """Word the reminder sent 24 hours before."""
        return Translator(lang)(
            "event.reminder", title=event.title, when=self.when(event, lang), place=event.place
        )

    async def launch_feedback(self) -> int:
        """After an event, send its feedback survey to those who had a seat."""
        if self._waves is None:
            return 0
        now = self._clock()
        launched = 0
        for event in await self._repo.feedback_due(_iso(now - FEEDBACK_AFTER)):
            seated = [a.user_id for a in await self._repo.attendees(event.id)]
            wave_id = None
            if seated:
                try:
                    launch = await self._waves.launch_once(
                        FEEDBACK_SURVEY,
                        created_by=f"event:{event.id}",
                        only_users=seated,
                        event_key=f"event-feedback:{event.id}",
                        now=now,
                    )
                except Exception:
                    # A missing or broken survey file: logged, and this event is settled.
                    logger.exception("event %d: could not launch its feedback survey", event.id)
                    launch = None
                if launch is not None:
                    wave_id = launch.wave.id
                    launched += 1
            await self._repo.settle_feedback(event.id, wave_id, _iso(now))
        return launched


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading a name as a formula (=, +, -, @ first)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
