"""Coaching: a candidate's request, routed to one coach at a time, and its appointments.

Routing: the current coaches of the request's territory who were not asked yet, most suitable
first: most of the needs among their specialities, then fewest requests followed now, then
fastest to answer (an offer left to run out counts as the whole time allowed). The first has
`accept_hours` to accept; then the next is asked. With nobody left, the admins are told.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.entrepreneurs.candidates_store import Candidate
from bot.features.entrepreneurs.coaching_store import (
    Appointment,
    Coach,
    CoachRepository,
    Request,
    RequestRepository,
)
from bot.features.entrepreneurs.people import parse_person
from bot.features.entrepreneurs.store import RegistryRepository, Venue
from bot.reference import Reference
from bot.shared.text import clean_lines, clean_text
from bot.storage import Database, User, UserRepository

logger = logging.getLogger(__name__)

NEEDS = ("idea", "plan", "financing", "premises", "legal", "marketing")
AVAILABILITY = ("mornings", "afternoons", "evenings", "saturdays")
MAX_FIRST_NAME = 40
MAX_NOTE = 1000
MAX_RELAYED = 1500
MAX_SLOTS = 3
APPOINTMENT_MINUTES = 60
# Slots a coach proposes: at least an hour ahead, at most four months.
SLOT_MIN_AHEAD = timedelta(hours=1)
SLOT_MAX_AHEAD = timedelta(days=120)
REMIND_AHEAD = timedelta(hours=24)
# Text typed for a request counts for an hour after the button that asked for it.
TYPING_FOR = timedelta(hours=1)
# A relayed message not shown in this time (a WhatsApp "Show" never tapped) is dropped.
RELAYED_FOR = timedelta(days=14)
_SLOT = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\s*(?:à|a|om|at)?\s*(\d{1,2})[:hHuU.](\d{2})?\s*$"
)
_NAME = re.compile(r"^[^\d@#/\\<>{}|_=+*&%$€£]+$")


class CoachingError(ValueError):
    """Input refused; its `key` names the polite answer to give (nothing was stored)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class DraftStep:
    """The questions of a request, in order."""

    NEEDS = "needs"
    AVAILABILITY = "availability"
    VENUE = "venue"
    NAME = "name"
    CONTACT = "contact"
    CONSENT = "consent"
    SENT = "sent"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class CoachRegistry:
    """Register coaches: a person already onboarded, the name shown, territories, specialities."""

    def __init__(self, db: Database, reference: Reference) -> None:
        self._db = db
        self._ref = reference
        self._coaches = CoachRepository(db)
        self._users = UserRepository(db)

    async def person(self, who: str) -> User:
        """Return the onboarded person named "telegram:<id>" or "whatsapp:<number>"."""
        ref = parse_person(who)
        user = await self._users.get(*ref) if ref else None
        if user is None or not user.onboarded:
            raise CoachingError("coach_admin.person_unknown", who=who[:40])
        return user

    async def add(
        self, who: str, name: str, territories: Sequence[str], specialities: Sequence[str], by: str
    ) -> tuple[User, Coach]:
        """Register (or change) a coach; checked, and nothing stored when refused."""
        user = await self.person(who)
        shown = clean_text(name, max_chars=MAX_FIRST_NAME * 2 + 1)
        if not shown or len(shown) > MAX_FIRST_NAME * 2:
            raise CoachingError("coach_admin.bad_name", max=MAX_FIRST_NAME * 2)
        places = sorted({t.strip().lower() for t in territories if t.strip()})
        if not places or any(self._ref.territory(t) is None for t in places):
            raise CoachingError(
                "coach_admin.bad_territories", known=", ".join(self._ref.territories)
            )
        skills = sorted({s.strip().lower() for s in specialities if s.strip()})
        if not skills or any(s not in NEEDS for s in skills):
            raise CoachingError("coach_admin.bad_specialities", known=", ".join(NEEDS))
        async with self._db.transaction():
            await self._coaches.put(user.id, shown, places, skills, by)
        coach = await self._coaches.get(user.id)
        assert coach is not None
        return user, coach

    async def remove(self, who: str) -> bool:
        """Stop offering requests to a coach (what they follow stays theirs)."""
        user = await self.person(who)
        async with self._db.transaction():
            return await self._coaches.remove(user.id)

    async def listed(self) -> list[Coach]:
        """Return the current coaches."""
        return await self._coaches.listed()


class CoachingService:
    """Requests, their routing to coaches, appointments, notes and relayed messages."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        *,
        admins: Sequence[str],
        accept_hours: float,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._ref = reference
        self._admins = tuple(admins)
        self._accept = timedelta(hours=accept_hours)
        self._tz = tz
        self._clock = clock
        self.requests = RequestRepository(db)
        self.coaches = CoachRepository(db)
        self._venues = RegistryRepository(db)

    @property
    def accept_window(self) -> timedelta:
        """Return how long a coach has to accept an offer."""
        return self._accept

    def now(self) -> datetime:
        """Return the service's time."""
        return self._clock()

    # ---- the candidate's request ----------------------------------------------------------

    async def open_request(self, user_id: int) -> Request | None:
        """Return the person's request in progress, if any."""
        return await self.requests.open_of(user_id)

    async def start(self, user: User, candidate: Candidate, context: str | None = None) -> Request:
        """Start a request from the person's project (or return the one in progress).

        `context` names the opportunity it starts from ("cell:12"); a draft takes the newest.
        """
        current = await self.requests.open_of(user.id)
        if current is not None:
            if context is not None and current.status == "draft":
                return await self.requests.update(current.id, context=context)
            return current
        request_id = await self.requests.create(
            user.id, candidate.territory_id or user.territory_id, candidate.pupil, DraftStep.NEEDS
        )
        if context is not None:
            return await self.requests.update(request_id, context=context)
        found = await self.requests.get(request_id)
        assert found is not None
        return found

    async def toggle(self, request: Request, what: str, value: str) -> Request:
        """Tick or untick one need or one availability."""
        if request.status != "draft":
            raise CoachingError("button.stale")
        if what == "needs" and value in NEEDS:
            chosen = _toggled(request.needs, value, NEEDS)
            return await self.requests.update(request.id, needs=chosen)
        if what == "availability" and value in AVAILABILITY:
            chosen = _toggled(request.availability, value, AVAILABILITY)
            return await self.requests.update(request.id, availability=chosen)
        raise CoachingError("button.invalid")

    async def venues(self, request: Request) -> list[Venue]:
        """Return the public venues of the request's territory."""
        if request.territory_id is None:
            return []
        return await self._venues.venues(request.territory_id)

    async def venue(self, venue_id: int | None) -> Venue | None:
        """Return a venue (removed ones too: past appointments keep theirs)."""
        return None if venue_id is None else await self._venues.venue(venue_id)

    async def go_on(self, request: Request, step: str) -> Request:
        """Go from one answered question to the next, checking the answer."""
        if request.status != "draft" or request.step != step:
            raise CoachingError("button.stale")
        if step == DraftStep.NEEDS and not request.needs:
            raise CoachingError("coaching.pick_one")
        if step == DraftStep.AVAILABILITY and not request.availability:
            raise CoachingError("coaching.pick_one")
        following = {
            DraftStep.NEEDS: DraftStep.AVAILABILITY,
            DraftStep.AVAILABILITY: DraftStep.VENUE,
        }[step]
        return await self.requests.update(request.id, step=following)

    async def choose_venue(self, request: Request, venue_id: int) -> Request:
        """Keep where the candidate can meet (a registered public venue of the territory)."""
        if request.status != "draft" or request.step != DraftStep.VENUE:
            raise CoachingError("button.stale")
        if venue_id not in {v.id for v in await self.venues(request)}:
            raise CoachingError("button.invalid")
        return await self.requests.update(request.id, venue_id=venue_id, step=DraftStep.NAME)

    async def give_name(self, request: Request, text: str, channel: str) -> Request:
        """Keep the first name the candidate agrees to share (nothing else about them)."""
        if request.status != "draft" or request.step != DraftStep.NAME:
            raise CoachingError("button.stale")
        name = clean_text(text, max_chars=MAX_FIRST_NAME + 1)
        if not name or len(name) > MAX_FIRST_NAME or not _NAME.match(name):
            raise CoachingError("coaching.bad_name", max=MAX_FIRST_NAME)
        if request.pupil or channel != "whatsapp":
            # A pupil's contact never reaches a coach; a Telegram id is no way to call anyone.
            return await self.requests.update(
                request.id, first_name=name, contact="relay", step=DraftStep.CONSENT
            )
        return await self.requests.update(request.id, first_name=name, step=DraftStep.CONTACT)

    async def choose_contact(self, request: Request, contact: str) -> Request:
        """Keep how the coach may reach the candidate: through the bot, or their number."""
        if request.status != "draft" or request.step != DraftStep.CONTACT:
            raise CoachingError("button.stale")
        if contact not in ("relay", "number") or (request.pupil and contact != "relay"):
            raise CoachingError("button.invalid")
        return await self.requests.update(request.id, contact=contact, step=DraftStep.CONSENT)

    async def submit(self, request: Request) -> Request:
        """Send the request on the candidate's explicit yes; it goes to the first coach."""
        if request.status != "draft" or request.step != DraftStep.CONSENT:
            raise CoachingError("button.stale")
        now = _iso(self._clock())
        request = await self.requests.update(
            request.id, status="routing", step=DraftStep.SENT, submitted_at=now
        )
        return await self.route(request)

    async def cancel(self, request: Request) -> Request:
        """Withdraw a request; the coach who has it (or was offered it) is told."""
        if request.status not in ("draft", "routing", "accepted", "unmatched"):
            raise CoachingError("button.stale")
        for coach_id in await self.requests.drop_open_offers(request.id):
            await self.requests.notify(request.id, "withdrawn", user_id=coach_id)
        if request.status == "accepted" and request.coach_id is not None:
            await self.requests.notify(request.id, "withdrawn", user_id=request.coach_id)
            await self._cancel_ahead(request.id, "candidate")
        await self.requests.drop_relayed(request.id)
        await self.requests.stop_typing_for(request.id)
        return await self.requests.update(request.id, status="cancelled")

    async def close(self, request: Request, coach_id: int) -> Request:
        """End a coaching (the coach's "finish"): open appointments go, the candidate is told."""
        if request.status != "accepted" or request.coach_id != coach_id:
            raise CoachingError("button.stale")
        await self._cancel_ahead(request.id, "coach")
        await self.requests.drop_relayed(request.id)
        await self.requests.stop_typing_for(request.id)
        await self.requests.notify(request.id, "closed", user_id=request.user_id)
        return await self.requests.update(request.id, status="closed")

    async def _cancel_ahead(self, request_id: int, by: str) -> None:
        """Cancel a request's proposed times and booked appointments still to come.

        One already started stays booked: it gets its question afterwards and counts as held.
        """
        now = self._clock()
        for appointment in await self.requests.appointments_of(request_id):
            ahead = (
                appointment.starts_at is None
                or datetime.fromisoformat(appointment.starts_at) > now
            )
            if appointment.status == "proposed" or (appointment.status == "booked" and ahead):
                await self.requests.set_appointment(
                    appointment.id, status="cancelled", cancelled_by=by
                )

    def draft_fresh(self, request: Request) -> bool:
        """Return whether a draft was touched within the hour (its name step takes text)."""
        if not request.updated_at:
            return False
        return datetime.fromisoformat(request.updated_at) >= self._clock() - TYPING_FOR

    async def typing(self, user_id: int) -> tuple[int, str] | None:
        """Return (request, what) a person's next text is for, if asked for within the hour."""
        return await self.requests.typing(user_id, _iso(self._clock() - TYPING_FOR))

    async def forget_stale(self) -> int:
        """Drop typing states over an hour old and relayed messages never shown."""
        now = self._clock()
        async with self._db.transaction():
            return await self.requests.forget_stale(
                _iso(now - TYPING_FOR), _iso(now - RELAYED_FOR)
            )

    async def repair(self) -> int:
        """Put back on the road the requests a coach left (removed, or erased by /forget).

        An offer to a removed coach goes to the next coach; an accepted request whose coach
        erased themselves goes to the next coach (its open appointments cancelled, the
        candidate told); a request being routed whose offer went with its coach is offered to
        the next one. Return how many were repaired.
        """
        repaired = 0
        for offer in await self.requests.offers_to_removed():
            # A coach removed since the offer: it goes to the next one now.
            async with self._db.transaction():
                if await self.requests.settle_offer(
                    offer.request_id, offer.coach_id, "expired", _iso(self._clock())
                ):
                    request = await self.requests.get(offer.request_id)
                    if request is not None and request.status == "routing":
                        await self.route(request)
                        repaired += 1
        for request in await self.requests.orphaned():
            async with self._db.transaction():
                current = await self.requests.get(request.id)
                if current is None or current.status not in ("accepted", "routing"):
                    continue
                if current.status == "accepted":
                    await self._cancel_ahead(current.id, "coach")
                    await self.requests.drop_relayed(current.id)
                    await self.requests.stop_typing_for(current.id)
                    await self.requests.notify(current.id, "coach_gone", user_id=current.user_id)
                    current = await self.requests.update(current.id, status="routing")
                elif await self.requests.open_offer(current.id) is not None:
                    continue
                await self.route(current)
                repaired += 1
        return repaired

    # ---- routing --------------------------------------------------------------------------

    async def ranked(self, request: Request) -> list[Coach]:
        """Return the coaches still to ask, most suitable first."""
        asked = {o.coach_id for o in await self.requests.offers(request.id)}
        keyed = []
        for coach in await self.coaches.listed():
            if (
                coach.user_id in asked
                or coach.user_id == request.user_id
                or request.territory_id not in coach.territories
            ):
                continue
            matched = len(set(request.needs) & set(coach.specialities))
            load = await self.coaches.load(coach.user_id)
            speed = await self._speed(coach.user_id)
            keyed.append(((-matched, load, speed is None, speed or 0.0, coach.user_id), coach))
        return [coach for _, coach in sorted(keyed, key=lambda pair: pair[0])]

    async def _speed(self, coach_id: int) -> float | None:
        """Return a coach's median seconds to answer an offer, or None with no history."""
        spans = []
        for offered, answered, deadline in await self.coaches.answer_times(coach_id):
            end = answered or deadline
            spans.append(
                (datetime.fromisoformat(end) - datetime.fromisoformat(offered)).total_seconds()
            )
        return statistics.median(spans) if spans else None

    async def route(self, request: Request) -> Request:
        """Offer the request to the next coach; with nobody left, tell the admins."""
        coaches = await self.ranked(request)
        if not coaches:
            if request.admins_told_at is None:
                for admin in self._admins:
                    await self.requests.notify(request.id, "unmatched", admin_ref=admin)
                await self.requests.notify(request.id, "unmatched", user_id=request.user_id)
            return await self.requests.update(
                request.id, status="unmatched", admins_told_at=_iso(self._clock())
            )
        coach = coaches[0]
        now = self._clock()
        await self.requests.offer(request.id, coach.user_id, _iso(now), _iso(now + self._accept))
        await self.requests.notify(request.id, "offer", user_id=coach.user_id)
        logger.info("request %d offered to coach %d", request.id, coach.user_id)
        return await self.requests.update(request.id, status="routing")

    async def reroute_unmatched(self, territories: Sequence[str]) -> int:
        """Offer the unmatched requests of these territories again (a coach was added)."""
        routed = 0
        for request in await self.requests.unmatched():
            if request.territory_id not in territories:
                continue
            if (await self.route(request)).status == "routing":
                routed += 1
        return routed

    async def accept(self, request_id: int, coach_id: int) -> Request:
        """Take the coach's yes, while their offer stands."""
        request = await self.requests.get(request_id)
        if request is None or request.status != "routing":
            raise CoachingError("coaching.offer_gone")
        if await self.coaches.get(coach_id) is None:
            # A coach removed since the offer: it goes to the next one.
            raise CoachingError("coaching.offer_gone")
        settled = await self.requests.settle_offer(
            request_id, coach_id, "accepted", _iso(self._clock())
        )
        if not settled:
            raise CoachingError("coaching.offer_gone")
        request = await self.requests.update(
            request_id, status="accepted", coach_id=coach_id, accepted_at=_iso(self._clock())
        )
        await self.requests.notify(request_id, "accepted", user_id=request.user_id)
        return request

    async def decline(self, request_id: int, coach_id: int) -> Request:
        """Take the coach's no: the next coach is asked at once."""
        request = await self.requests.get(request_id)
        if request is None or request.status != "routing":
            raise CoachingError("coaching.offer_gone")
        if not await self.requests.settle_offer(
            request_id, coach_id, "declined", _iso(self._clock())
        ):
            raise CoachingError("coaching.offer_gone")
        return await self.route(request)

    async def expire_due(self) -> int:
        """Let offers past their deadline run out, and ask the next coach; return how many."""
        now = _iso(self._clock())
        expired = 0
        for offer in await self.requests.expired_offers(now):
            async with self._db.transaction():
                if not await self.requests.settle_offer(
                    offer.request_id, offer.coach_id, "expired", now
                ):
                    continue
                await self.requests.notify(offer.request_id, "expired", user_id=offer.coach_id)
                request = await self.requests.get(offer.request_id)
                if request is not None and request.status == "routing":
                    await self.route(request)
            expired += 1
        return expired

    # ---- appointments ---------------------------------------------------------------------

    def parse_slots(self, text: str) -> list[datetime]:
        """Read up to three "dd/mm hh:mm" lines (local time); refuse what cannot be a slot."""
        lines = [line for line in re.split(r"[\n;,]+", text) if line.strip()]
        if not lines or len(lines) > MAX_SLOTS:
            raise CoachingError("coaching.slots_format", max=MAX_SLOTS)
        now = self._clock().astimezone(UTC)
        slots: list[datetime] = []
        for line in lines:
            match = _SLOT.match(line)
            if match is None:
                raise CoachingError("coaching.slots_format", max=MAX_SLOTS)
            day, month, year, hour, minute = match.groups()
            moment = _local_slot(
                now.astimezone(self._tz), int(day), int(month), year, int(hour), int(minute or 0)
            )
            if moment is None:
                raise CoachingError("coaching.slots_format", max=MAX_SLOTS)
            if moment.astimezone(UTC).astimezone(self._tz).replace(tzinfo=None) != moment.replace(
                tzinfo=None
            ):
                # A time the clocks skip (02:30 on the night they go forward) does not exist.
                raise CoachingError("coaching.slots_skipped")
            # Compared in UTC: wall-clock times across a clock change would be an hour off.
            if not now + SLOT_MIN_AHEAD <= moment.astimezone(UTC) <= now + SLOT_MAX_AHEAD:
                raise CoachingError("coaching.slots_range")
            slots.append(moment)
        if len({s.astimezone(UTC) for s in slots}) != len(slots):
            raise CoachingError("coaching.slots_format", max=MAX_SLOTS)
        return sorted(slots, key=lambda s: s.astimezone(UTC))

    async def propose(self, request: Request, coach_id: int, slots: list[datetime]) -> int:
        """Offer the candidate up to three times at the request's venue."""
        if request.status != "accepted" or request.coach_id != coach_id:
            raise CoachingError("button.stale")
        if request.venue_id is None:
            raise CoachingError("button.stale")
        for appointment in await self.requests.appointments_of(request.id):
            if appointment.status == "proposed":
                # Newer times replace the ones not picked yet.
                await self.requests.set_appointment(
                    appointment.id, status="cancelled", cancelled_by="coach"
                )
            elif appointment.status == "booked":
                # New times while one is booked: it is moved (one appointment at a time).
                await self.requests.set_appointment(
                    appointment.id, status="cancelled", cancelled_by="coach"
                )
                await self.requests.notify(
                    request.id,
                    "moved_by_coach",
                    user_id=request.user_id,
                    appointment_id=appointment.id,
                )
        appointment_id = await self.requests.propose(
            request.id, request.venue_id, [_iso(s) for s in slots]
        )
        await self.requests.notify(
            request.id, "slots", user_id=request.user_id, appointment_id=appointment_id
        )
        return appointment_id

    async def pick(self, user_id: int, appointment_id: int, slot: int) -> Appointment:
        """Book the slot the candidate picks; the coach is told, both get the calendar file."""
        appointment, request = await self._appointment_of(appointment_id, user_id, "candidate")
        if appointment.status != "proposed" or not 1 <= slot <= len(appointment.slots):
            raise CoachingError("button.stale")
        if datetime.fromisoformat(appointment.slots[slot - 1]) <= self._clock():
            raise CoachingError("coaching.slot_past")
        await self.requests.set_appointment(
            appointment_id, status="booked", starts_at=appointment.slots[slot - 1]
        )
        assert request.coach_id is not None
        await self.requests.notify(
            request.id, "booked", user_id=request.coach_id, appointment_id=appointment_id
        )
        booked = await self.requests.appointment(appointment_id)
        assert booked is not None
        return booked

    async def none_suit(self, user_id: int, appointment_id: int) -> None:
        """Tell the coach none of the times suits the candidate."""
        appointment, request = await self._appointment_of(appointment_id, user_id, "candidate")
        if appointment.status != "proposed":
            raise CoachingError("button.stale")
        await self.requests.set_appointment(
            appointment_id, status="cancelled", cancelled_by="candidate"
        )
        assert request.coach_id is not None
        await self.requests.notify(
            request.id, "none_suit", user_id=request.coach_id, appointment_id=appointment_id
        )

    async def cancel_appointment(
        self, user_id: int, appointment_id: int, *, move: bool
    ) -> tuple[Request, str]:
        """Cancel (or ask to move) a booked appointment; the other side is told."""
        appointment, request = await self._appointment_of(appointment_id, user_id, None)
        if appointment.status not in ("booked", "proposed"):
            raise CoachingError("button.stale")
        side = "coach" if user_id == request.coach_id else "candidate"
        await self.requests.set_appointment(appointment_id, status="cancelled", cancelled_by=side)
        other = request.user_id if side == "coach" else request.coach_id
        assert other is not None  # an open request has its coach (see _appointment_of)
        kind = ("moved" if move else "cancelled") + f"_by_{side}"
        await self.requests.notify(request.id, kind, user_id=other, appointment_id=appointment_id)
        return request, side

    async def again(self, user_id: int, request_id: int) -> Request:
        """Ask the same coach for a next appointment."""
        request = await self.requests.get(request_id)
        if (
            request is None
            or request.user_id != user_id
            or request.status != "accepted"
            or request.coach_id is None
        ):
            raise CoachingError("button.stale")
        await self.requests.notify(request.id, "again", user_id=request.coach_id)
        return request

    async def answer_after(
        self, user_id: int, appointment_id: int, answer: str
    ) -> tuple[Appointment, str]:
        """Take the one question after an appointment: held and useful, held, not held."""
        appointment, request = await self._appointment_of(appointment_id, user_id, None)
        if appointment.status != "done" or appointment.asked_at is None:
            raise CoachingError("button.stale")
        if user_id == request.coach_id:
            if answer not in ("yes", "no") or appointment.coach_held is not None:
                raise CoachingError("button.stale")
            await self.requests.set_appointment(appointment_id, coach_held=answer)
            side = "coach"
        else:
            if answer not in ("useful", "held", "no") or appointment.candidate_held is not None:
                raise CoachingError("button.stale")
            await self.requests.set_appointment(
                appointment_id,
                candidate_held="no" if answer == "no" else "yes",
                candidate_useful=None
                if answer == "no"
                else ("yes" if answer == "useful" else "no"),
            )
            side = "candidate"
        done = await self.requests.appointment(appointment_id)
        assert done is not None
        return done, side

    async def remind_due(self) -> int:
        """Queue the day-before reminders; return how many appointments."""
        now = self._clock()
        due = await self.requests.reminders_due(_iso(now + REMIND_AHEAD), _iso(now))
        return await self._tell_both(due, "reminder", reminded_at=_iso(now))

    async def ask_after_due(self) -> int:
        """Queue the after-question to both sides of appointments that ended."""
        now = self._clock()
        due = await self.requests.past_unasked(_iso(now))
        return await self._tell_both(due, "after", status="done", asked_at=_iso(now))

    async def _tell_both(self, due: list[Appointment], kind: str, **settled: str) -> int:
        """Queue a notice to candidate and coach of each appointment, then record it."""
        for appointment in due:
            async with self._db.transaction():
                request = await self.requests.get(appointment.request_id)
                if request is None or request.coach_id is None:
                    continue
                for person in (request.user_id, request.coach_id):
                    await self.requests.notify(
                        request.id, kind, user_id=person, appointment_id=appointment.id
                    )
                await self.requests.set_appointment(appointment.id, **settled)
        return len(due)

    async def _appointment_of(
        self, appointment_id: int, user_id: int, side: str | None
    ) -> tuple[Appointment, Request]:
        appointment = await self.requests.appointment(appointment_id)
        request = (
            await self.requests.get(appointment.request_id) if appointment is not None else None
        )
        if appointment is None or request is None or request.coach_id is None:
            raise CoachingError("button.stale")
        if request.status != "accepted" and appointment.status != "done":
            # A withdrawn, finished or erased coaching: its old buttons change nothing.
            raise CoachingError("button.stale")
        allowed: set[int | None] = (
            {request.user_id}
            if side == "candidate"
            else {request.coach_id}
            if side == "coach"
            else {request.user_id, request.coach_id}
        )
        if user_id not in allowed:
            raise CoachingError("button.stale")
        return appointment, request

    # ---- notes and relayed messages -------------------------------------------------------

    async def keep_note(self, request: Request, coach_id: int, text: str) -> None:
        """Keep the coach's private note (theirs only)."""
        if request.coach_id != coach_id or request.status != "accepted":
            raise CoachingError("button.stale")
        note = clean_lines(text, max_chars=MAX_NOTE + 1)
        if not note:
            raise CoachingError("coaching.empty")
        if len(note) > MAX_NOTE:
            raise CoachingError("project.too_long", max=MAX_NOTE)
        await self.requests.keep_note(request.id, coach_id, note)

    async def relay(self, request: Request, sender_id: int, text: str) -> int:
        """Pass a message to the other side of a request; kept only until it is shown."""
        if (
            request.status != "accepted"
            or request.coach_id is None
            or sender_id not in (request.user_id, request.coach_id)
        ):
            raise CoachingError("button.stale")
        message = clean_lines(text, max_chars=MAX_RELAYED + 1)
        if not message:
            raise CoachingError("coaching.empty")
        if len(message) > MAX_RELAYED:
            raise CoachingError("project.too_long", max=MAX_RELAYED)
        to = request.coach_id if sender_id == request.user_id else request.user_id
        kind = "relay_from_candidate" if sender_id == request.user_id else "relay_from_coach"
        return await self.requests.notify(request.id, kind, user_id=to, text=message)


def _toggled(chosen: tuple[str, ...], value: str, order: tuple[str, ...]) -> list[str]:
    picked = set(chosen) ^ {value}
    return [v for v in order if v in picked]


def _local_slot(
    now: datetime, day: int, month: int, year: str | None, hour: int, minute: int
) -> datetime | None:
    """Return the local time named (aware, in now's zone), or None if there is no such date.

    Without a year: the next such date from yesterday on (a 29/02 typed in a year without
    one is next year's, if that one has it).
    """
    zone = now.tzinfo
    if year is not None:
        years = [int(year) + (2000 if len(year) == 2 else 0)]
    else:
        years = [now.year, now.year + 1]
    for candidate in years:
        try:
            moment = datetime(candidate, month, day, hour, minute, tzinfo=zone)
        except ValueError:
            continue
        if year is not None or moment >= now - timedelta(days=1):
            return moment
    return None
