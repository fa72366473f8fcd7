"""Word a project and coaching screens in the reader's language (shared by flows and jobs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.channels.base import Button, Reply, TemplateUse
from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.candidates_store import Candidate
from bot.features.entrepreneurs.coaching import CoachingService
from bot.features.entrepreneurs.coaching_store import (
    Appointment,
    Coach,
    Notice,
    Request,
    RequestRepository,
)
from bot.features.entrepreneurs.store import Venue
from bot.features.events.ics import CalendarEvent, event_ics
from bot.i18n import Translator
from bot.reference import Reference
from bot.storage import UserRepository

# A line another path adds to what a coach receives (the pop-up test), or None; by person.
ExtraLine = Callable[[int, Translator], Awaitable[str | None]]
# The words for what a request is about ("cell:12": the cell's street, area and size), or None.
Describe = Callable[[str, Translator], Awaitable[str | None]]


async def project_summary(
    t: Translator, reference: Reference, candidates: CandidateService, candidate: Candidate
) -> str:
    """Return the project in a few lines, in the reader's language."""
    lang = t.lang
    sector = reference.sector(candidate.sector_id) if candidate.sector_id else None
    territory = reference.territory(candidate.territory_id) if candidate.territory_id else None
    core = reference.core(candidate.core_id) if candidate.core_id else None
    if territory is None:
        place = "—"
    elif core is None:
        place = t("project.place_no_core", territory=territory.name(lang))
    else:
        place = f"{core.name(lang)}, {territory.name(lang)}"
    lines = [
        t(
            "project.summary",
            activity=candidate.activity or "—",
            sector=f"{sector.emoji} {sector.label(lang)}" if sector else "—",
            place=place,
            stage=t(f"project.stage_{candidate.stage}") if candidate.stage else "—",
        )
    ]
    school = await candidates.school_name(candidate.school_code)
    if school is not None:
        year = t(f"project.year_{candidate.school_year}") if candidate.school_year else "—"
        lines.append(t("project.school_line", school=school, year=year))
    if candidate.description:
        lines.append(t("project.description_line", description=candidate.description))
    return "\n".join(lines)


class CoachingRenderer:
    """The coaching screens: requests, offers, slots, appointments and every notice."""

    def __init__(
        self,
        coaching: CoachingService,
        candidates: CandidateService,
        reference: Reference,
        users: UserRepository,
        tz: ZoneInfo,
        extra_line: ExtraLine | None = None,
        describe: Describe | None = None,
    ) -> None:
        self._coaching = coaching
        self._candidates = candidates
        self._ref = reference
        self._users = users
        self._tz = tz
        self._extra_line = extra_line
        self._describe = describe

    @property
    def requests(self) -> RequestRepository:
        """Return the requests repository (what notices are read from)."""
        return self._coaching.requests

    # ---- words ----------------------------------------------------------------------------

    def when(self, iso: str, lang: str) -> str:
        """Return a time as people read it: "samedi 3 avril 2027, 14:30"."""
        moment = datetime.fromisoformat(iso).astimezone(self._tz)
        return format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=self._tz, locale=lang)

    def slot_label(self, iso: str, lang: str) -> str:
        """Return a short time for a button: "sam. 3 avr. 14:30"."""
        moment = datetime.fromisoformat(iso).astimezone(self._tz)
        return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=self._tz, locale=lang)

    def territory(self, territory_id: str | None, lang: str) -> str:
        """Return a territory's name."""
        found = self._ref.territory(territory_id) if territory_id else None
        return found.name(lang) if found else "—"

    @staticmethod
    def needs(t: Translator, request: Request) -> str:
        """Return the needs ticked, in words."""
        return ", ".join(t(f"coaching.need_{n}") for n in request.needs) or "—"

    @staticmethod
    def availability(t: Translator, request: Request) -> str:
        """Return when the candidate is available, in words."""
        return ", ".join(t(f"coaching.av_{a}") for a in request.availability) or "—"

    @staticmethod
    def venue_line(venue: Venue | None) -> str:
        """Return a venue's name and address."""
        return f"{venue.name}, {venue.address}" if venue else "—"

    async def coach_of(self, request: Request) -> Coach | None:
        """Return the request's coach (removed ones too: what they followed stays theirs)."""
        if request.coach_id is None:
            return None
        return await self._coaching.coaches.get(request.coach_id, current=False)

    async def shared(self, t: Translator, request: Request, *, with_project: bool) -> str:
        """Return what the candidate shares with their coach, and only that."""
        venue = await self._coaching.venue(request.venue_id)
        lines = [
            t("coaching.line_name", name=request.first_name or "—"),
            t("coaching.line_contact", contact=await self._contact(t, request)),
            t("coaching.line_needs", needs=self.needs(t, request)),
            t("coaching.line_availability", availability=self.availability(t, request)),
            t("coaching.line_venue", venue=self.venue_line(venue)),
        ]
        candidate = await self._candidates.get(request.user_id)
        if with_project and candidate is not None:
            lines.append(await project_summary(t, self._ref, self._candidates, candidate))
            # Shown at the consent step too, so the candidate sees exactly what goes.
            extra = await self._extra_line(request.user_id, t) if self._extra_line else None
            if extra:
                lines.append(extra)
        about = await self.about(t, request)
        if about:
            lines.append(about)
        if await self.pupil(request):
            lines.append(t("coaching.line_pupil"))
        return "\n".join(lines)

    async def about(self, t: Translator, request: Request) -> str | None:
        """Return the line naming the opportunity a request started from, if any."""
        if request.context is None or self._describe is None:
            return None
        described = await self._describe(request.context, t)
        return t("coaching.line_about", about=described) if described else None

    async def pupil(self, request: Request) -> bool:
        """Return whether the request is a pupil's (when asked, or since: a school scanned)."""
        if request.pupil:
            return True
        candidate = await self._candidates.get(request.user_id)
        return candidate is not None and candidate.pupil

    async def _contact(self, t: Translator, request: Request) -> str:
        # A pupil's number never reaches a coach, whatever was chosen before.
        if request.contact == "number" and not await self.pupil(request):
            person = await self._users.get_by_id(request.user_id)
            if person is not None and person.channel == "whatsapp":
                return f"+{person.external_id} (WhatsApp)"
        return t("coaching.contact_relay_shown")

    # ---- the coach's screens --------------------------------------------------------------

    async def offer(self, t: Translator, request: Request) -> Reply:
        """Return a request offered to a coach: the project and needs, no name, no contact."""
        candidate = await self._candidates.get(request.user_id)
        offer = await self._coaching.requests.open_offer(request.id)
        venue = await self._coaching.venue(request.venue_id)
        # Before a yes, no words of theirs (activity, description), no school, no name.
        project = ""
        if candidate is not None:
            sector = self._ref.sector(candidate.sector_id) if candidate.sector_id else None
            project = t(
                "coaching.offer_project",
                sector=f"{sector.emoji} {sector.label(t.lang)}" if sector else "—",
                stage=t(f"project.stage_{candidate.stage}") if candidate.stage else "—",
            )
        text = t(
            "coaching.offer",
            territory=self.territory(request.territory_id, t.lang),
            needs=self.needs(t, request),
            availability=self.availability(t, request),
            venue=self.venue_line(venue),
            project=project,
            deadline=self.when(offer.deadline, t.lang) if offer else "—",
        )
        # What it is about is business information (a cell, a need), never the candidate's.
        about = await self.about(t, request)
        if about:
            text += "\n" + about
        if await self.pupil(request):
            text += "\n" + t("coaching.line_pupil")
        return Reply(
            text,
            (
                (
                    Button(t("coaching.accept"), f"ch:acc:{request.id}"),
                    Button(t("coaching.decline"), f"ch:dec:{request.id}"),
                ),
            ),
            valid_while=f"coffer:{request.id}",
        )

    async def card(self, t: Translator, request: Request, coach_id: int) -> Reply:
        """Return an accepted request as its coach sees it, with their private note."""
        text = t("coaching.card", shared=await self.shared(t, request, with_project=True))
        note = await self._coaching.requests.note(request.id, coach_id)
        if note:
            text += "\n\n" + t("coaching.card_note", note=note)
        upcoming = [
            a
            for a in await self._coaching.requests.appointments_of(request.id)
            if a.status == "booked" and a.starts_at
        ]
        if upcoming:
            text += "\n" + t(
                "coaching.card_next", when=self.when(upcoming[0].starts_at or "", t.lang)
            )
        return Reply(text, self.coach_buttons(t, request))

    @staticmethod
    def coach_buttons(t: Translator, request: Request) -> tuple[tuple[Button, ...], ...]:
        """Return what a coach can do with a request they follow."""
        return (
            (
                Button(t("coaching.propose"), f"ch:slots:{request.id}"),
                Button(t("coaching.write"), f"ch:msg:{request.id}"),
            ),
            (
                Button(t("coaching.note"), f"ch:note:{request.id}"),
                Button(t("coaching.close"), f"ch:close:{request.id}"),
            ),
        )

    # ---- the candidate's screens ----------------------------------------------------------

    async def slots(self, t: Translator, request: Request, appointment: Appointment) -> Reply:
        """Return the times a coach proposes, one button each."""
        coach = await self.coach_of(request)
        venue = await self._coaching.venue(appointment.venue_id)
        rows = tuple(
            (Button(self.slot_label(iso, t.lang), f"ap:p:{appointment.id}:{number}"),)
            for number, iso in enumerate(appointment.slots, start=1)
        )
        return Reply(
            t(
                "coaching.slots",
                coach=coach.name if coach else "—",
                venue=self.venue_line(venue),
            ),
            (*rows, (Button(t("coaching.none_suit"), f"ap:none:{appointment.id}"),)),
            valid_while=f"cslots:{appointment.id}",
        )

    @staticmethod
    def appointment_buttons(t: Translator, appointment_id: int) -> tuple[tuple[Button, ...], ...]:
        """Return "cancel" and "move" for a booked appointment."""
        return (
            (
                Button(t("coaching.cancel_appointment"), f"ap:x:{appointment_id}"),
                Button(t("coaching.move_appointment"), f"ap:m:{appointment_id}"),
            ),
        )

    async def calendar(self, request: Request, appointment: Appointment, lang: str) -> Reply:
        """Return the appointment's calendar file."""
        t = Translator(lang)
        coach = await self.coach_of(request)
        venue = await self._coaching.venue(appointment.venue_id)
        assert appointment.starts_at is not None
        start = datetime.fromisoformat(appointment.starts_at)
        ics = event_ics(
            CalendarEvent(
                uid=f"appointment-{appointment.id}@echoppe",
                title=t("coaching.ics_title", coach=coach.name if coach else "—"),
                description=t("coaching.ics_description"),
                location=self.venue_line(venue),
                starts_at=start,
                ends_at=start + timedelta(minutes=appointment.minutes),
            ),
            stamp=self._coaching.now(),
            tz=self._tz,
        )
        return Reply(
            t("coaching.ics_caption"), document=(f"echoppe-coaching-{appointment.id}.ics", ics)
        )

    # ---- notices --------------------------------------------------------------------------

    async def notice(self, notice: Notice, lang: str) -> tuple[Reply, ...]:
        """Return what a notice says, as of now (empty when it no longer means anything)."""
        t = Translator(lang)
        request = await self._coaching.requests.get(notice.request_id)
        if request is None:
            return ()
        appointment = (
            await self._coaching.requests.appointment(notice.appointment_id)
            if notice.appointment_id is not None
            else None
        )
        coach = await self.coach_of(request)
        coach_name = coach.name if coach else "—"
        name = request.first_name or "—"
        when = (
            self.when(appointment.starts_at, lang)
            if appointment and appointment.starts_at
            else "—"
        )
        venue = self.venue_line(await self._coaching.venue(request.venue_id))
        kind = notice.kind
        if kind == "offer":
            if request.status != "routing" or (
                (offer := await self._coaching.requests.open_offer(request.id)) is None
                or offer.coach_id != notice.user_id
            ):
                return ()
            return (await self.offer(t, request),)
        if kind == "unmatched" and notice.admin_ref is not None:
            return (
                Reply(
                    t(
                        "coaching.admin_unmatched",
                        territory=self.territory(request.territory_id, lang),
                        needs=self.needs(t, request),
                    )
                ),
            )
        if kind == "unmatched":
            return (Reply(t("coaching.unmatched")),)
        if kind == "coach_gone":
            return (Reply(t("coaching.coach_gone")),)
        if kind == "closed":
            return (Reply(t("coaching.closed_candidate", coach=coach_name)),)
        if kind == "expired":
            return (
                Reply(t("coaching.expired", territory=self.territory(request.territory_id, lang))),
            )
        if kind == "withdrawn":
            return (
                Reply(
                    t("coaching.withdrawn", territory=self.territory(request.territory_id, lang))
                ),
            )
        if kind == "accepted":
            return (
                Reply(
                    t("coaching.accepted", coach=coach_name, venue=venue),
                    ((Button(t("coaching.write_coach"), f"co:reply:{request.id}"),),),
                ),
            )
        if kind == "slots" and appointment is not None:
            if appointment.status != "proposed":
                return ()
            return (await self.slots(t, request, appointment),)
        if kind == "booked" and appointment is not None and appointment.status == "booked":
            return (
                Reply(
                    t("coaching.booked_coach", name=name, when=when, venue=venue),
                    self.appointment_buttons(t, appointment.id),
                ),
                await self.calendar(request, appointment, lang),
            )
        if kind in ("none_suit", "cancelled_by_candidate", "moved_by_candidate", "again"):
            return (
                Reply(
                    t(f"coaching.notice_{kind}", name=name, when=when),
                    ((Button(t("coaching.propose"), f"ch:slots:{request.id}"),),),
                ),
            )
        if kind in ("cancelled_by_coach", "moved_by_coach"):
            return (Reply(t(f"coaching.notice_{kind}", coach=coach_name, when=when)),)
        if kind == "relay_from_candidate":
            return (
                Reply(
                    t("coaching.relayed", sender=name, text=notice.text or ""),
                    ((Button(t("coaching.answer"), f"ch:msg:{request.id}"),),),
                ),
            )
        if kind == "relay_from_coach":
            return (
                Reply(
                    t("coaching.relayed", sender=coach_name, text=notice.text or ""),
                    ((Button(t("coaching.answer"), f"co:reply:{request.id}"),),),
                ),
            )
        if kind == "reminder" and appointment is not None and appointment.status == "booked":
            other = name if notice.user_id == request.coach_id else coach_name
            return (
                Reply(
                    t("coaching.reminder", when=when, venue=venue, other=other),
                    self.appointment_buttons(t, appointment.id),
                ),
            )
        if kind == "after" and appointment is not None:
            if notice.user_id == request.coach_id:
                return (
                    Reply(
                        t("coaching.after_coach", name=name, when=when),
                        (
                            (
                                Button(t("button.yes"), f"ap:cf:{appointment.id}:yes"),
                                Button(t("button.no"), f"ap:cf:{appointment.id}:no"),
                            ),
                        ),
                    ),
                )
            return (
                Reply(
                    t("coaching.after_candidate", coach=coach_name, when=when),
                    (
                        (Button(t("coaching.after_useful"), f"ap:af:{appointment.id}:useful"),),
                        (Button(t("coaching.after_held"), f"ap:af:{appointment.id}:held"),),
                        (Button(t("coaching.after_no"), f"ap:af:{appointment.id}:no"),),
                    ),
                ),
            )
        return ()

    @staticmethod
    def news(t: Translator, notice: Notice) -> Reply:
        """Return the short message that stands for a notice outside WhatsApp's window."""
        what = t(f"coaching.news_{notice.kind.split('_')[0]}")
        return Reply(
            t("coaching.news", what=what),
            ((Button(t("coaching.news_show"), "co:news"),),),
            template=TemplateUse("coaching_news", (what,)),
        )
