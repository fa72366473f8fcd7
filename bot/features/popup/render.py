"""Word the pop-up store's screens and notices in the reader's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time

from babel.dates import format_date

from bot.channels.base import Button, Reply
from bot.features.entrepreneurs.links import COACH_BUTTON_DATA
from bot.features.events.ics import CalendarEvent, event_ics
from bot.features.notices.service import Notices
from bot.features.notices.store import Notice
from bot.features.popup import service as kinds
from bot.features.popup.service import PopupService
from bot.features.popup.store import Application, Period, Popup, PopupRepository
from bot.i18n import Translator
from bot.reference import Reference
from bot.storage import Database

PREFIX = "pu"
ADMIN_PREFIX = "pw"
# Apply for one test period (the opportunities view offers it too).
APPLY_DATA = "pu:apply:{period_id}"
# A test period's day, in the calendar file: the shop's hours are the pop-up's own business.
OPENS, CLOSES = time(9, 0), time(18, 0)


class PopupRenderer:
    """The pop-up's words: periods, details, applications, and every notice."""

    def __init__(self, popup: PopupService, reference: Reference) -> None:
        self._popup = popup
        self._ref = reference

    # ---- words ------------------------------------------------------------------------------

    @staticmethod
    def dates(period: Period, lang: str) -> str:
        """Return a period as people read it: "1 mars 2027 – 30 avril 2027"."""
        first = format_date(date.fromisoformat(period.starts_on), "d MMMM y", locale=lang)
        last = format_date(date.fromisoformat(period.ends_on), "d MMMM y", locale=lang)
        return f"{first} – {last}"

    @staticmethod
    def short(period: Period) -> str:
        """Return a period short enough for a button: "01/03–30/04"."""
        first, last = date.fromisoformat(period.starts_on), date.fromisoformat(period.ends_on)
        return f"{first:%d/%m}–{last:%d/%m}"

    def area(self, popup: Popup, lang: str) -> str:
        """Return where the pop-up is: its core and territory."""
        territory = self._ref.territory(popup.territory_id)
        core = self._ref.core(popup.core_id) if popup.core_id else None
        names = [c.name(lang) for c in (core, territory) if c is not None]
        return ", ".join(names) or "—"

    def sector(self, sector_id: str | None, lang: str) -> str:
        """Return a sector with its emoji."""
        sector = self._ref.sector(sector_id) if sector_id else None
        return f"{sector.emoji} {sector.label(lang)}" if sector else "—"

    def details(self, t: Translator, popup: Popup, period: Period | None = None) -> str:
        """Return a pop-up's place, area, conditions and fee (and a period's dates)."""
        lines = [t("popup.card", place=popup.place, area=self.area(popup, t.lang))]
        if period is not None:
            lines.append(t("popup.card_dates", dates=self.dates(period, t.lang)))
        if popup.conditions:
            lines.append(t("popup.card_conditions", conditions=popup.conditions))
        if popup.fee:
            lines.append(t("popup.card_fee", fee=popup.fee))
        return "\n".join(lines)

    @staticmethod
    def reason(t: Translator, reason: str | None) -> str:
        """Return a decision's reason: a preset one in the reader's language, or the words."""
        if not reason:
            return "—"
        if reason.startswith("preset:"):
            return t(f"popup.reason_{reason.removeprefix('preset:')}")
        return reason

    def summary(self, t: Translator, application: Application) -> str:
        """Return an application's answers (for its author, and for admins)."""
        return t(
            "popup.answers",
            activity=application.activity or "—",
            sector=self.sector(application.sector_id, t.lang),
            to_test=application.to_test or "—",
            needs=application.needs or "—",
        )

    def status(self, t: Translator, application: Application) -> str:
        """Return an application's status in words."""
        return t(f"popup.status_{application.status}")

    async def _context(self, application_id: int) -> tuple[Application, Popup, Period] | None:
        application = await self._popup.repo.application(application_id)
        if application is None:
            return None
        period = await self._popup.repo.period(application.period_id)
        popup = None if period is None else await self._popup.repo.popup(period.popup_id)
        if period is None or popup is None:
            return None
        return application, popup, period

    def ics(self, t: Translator, popup: Popup, period: Period, application_id: int) -> bytes:
        """Return the test period's calendar file."""
        tz = self._popup.tz
        first, last = date.fromisoformat(period.starts_on), date.fromisoformat(period.ends_on)
        return event_ics(
            CalendarEvent(
                uid=f"popup-{application_id}@echoppe",
                title=t("popup.ics_title", place=popup.place),
                description=self.details(t, popup),
                location=f"{popup.place}, {self.area(popup, t.lang)}",
                starts_at=datetime.combine(first, OPENS, tz),
                ends_at=datetime.combine(last, CLOSES, tz),
            ),
            stamp=self._popup.now(),
            tz=tz,
        )

    # ---- notices ----------------------------------------------------------------------------

    def register(self, notices: Notices) -> None:
        """Say how each of the pop-up's notices is shown."""
        notices.register(kinds.NEW_APPLICATION, self._new_application, "popup.what_application")
        notices.register(kinds.WITHDRAWN, self._withdrawn, "popup.what_application")
        notices.register(kinds.ACCEPTED, self._accepted, "popup.what_decision")
        notices.register(kinds.CALENDAR, self._calendar, "popup.what_decision")
        notices.register(kinds.WAITLISTED, self._waitlisted, "popup.what_decision")
        notices.register(kinds.DECLINED, self._declined, "popup.what_decision")
        notices.register(kinds.SURVEY, self._survey, "popup.what_survey")

    async def _new_application(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "pending":
            return None
        _, popup, period = found
        text = t(
            "popup.notice_new",
            place=popup.place,
            dates=self.dates(period, t.lang),
            id=popup.id,
        )
        review = Button(t("popup.review"), f"{ADMIN_PREFIX}:ls:{period.id}:0")
        return Reply(text, ((review,),))

    async def _withdrawn(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "withdrawn":
            return None
        _, popup, period = found
        return Reply(
            t("popup.notice_withdrawn", place=popup.place, dates=self.dates(period, t.lang))
        )

    async def _accepted(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "accepted":
            return None
        application, popup, period = found
        text = t("popup.notice_accepted", details=self.details(t, popup, period))
        # The exact line the announcement would carry, so the yes is to what goes out.
        line = f"• {self.sector(application.sector_id, t.lang)}: {application.activity or '—'}"
        text += "\n\n" + t("popup.q_announce") + "\n" + line
        return Reply(
            text,
            (
                (
                    Button(t("popup.announce_yes"), f"{PREFIX}:an:{application.id}:y"),
                    Button(t("popup.announce_no"), f"{PREFIX}:an:{application.id}:n"),
                ),
            ),
        )

    async def _calendar(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "accepted":
            return None
        application, popup, period = found
        content = self.ics(t, popup, period, application.id)
        return Reply(
            t("popup.ics_caption"), document=(f"echoppe-popup-{application.id}.ics", content)
        )

    async def _waitlisted(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "waitlisted":
            return None
        application, popup, period = found
        return Reply(
            t(
                "popup.notice_waitlisted",
                place=popup.place,
                dates=self.dates(period, t.lang),
                reason=self.reason(t, application.reason),
            )
        )

    async def _declined(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "declined":
            return None
        application, popup, period = found
        text = t(
            "popup.notice_declined",
            place=popup.place,
            dates=self.dates(period, t.lang),
            reason=self.reason(t, application.reason),
        )
        return Reply(text, ((Button(t("project.ask_coaching"), COACH_BUTTON_DATA),),))

    async def _survey(self, notice: Notice, t: Translator) -> Reply | None:
        found = await self._context(notice.subject_id)
        if found is None or found[0].status != "accepted":
            return None
        survey = await self._popup.repo.survey(notice.subject_id)
        if survey is None or survey.step != "settle":
            return None
        application, popup, period = found
        return self.settle_question(t, application.id, popup, period)

    def settle_question(
        self, t: Translator, application_id: int, popup: Popup, period: Period
    ) -> Reply:
        """Return the survey's first question, "would you settle here?"."""
        text = t("popup.survey_intro", place=popup.place, dates=self.dates(period, t.lang))
        text += "\n\n" + t("popup.q_settle")
        return Reply(
            text,
            (
                tuple(
                    Button(t(f"popup.settle_{a}"), f"{PREFIX}:sv:{application_id}:{a}")
                    for a in kinds.SETTLE
                ),
            ),
        )


def coach_line(db: Database) -> Callable[[int, Translator], Awaitable[str | None]]:
    """Return how a coaching request shows the pop-up test: its period and would-settle only.

    Nothing the candidate typed (what they learned, the cell they wish for) reaches a coach.
    """
    repo = PopupRepository(db)

    async def line(user_id: int, t: Translator) -> str | None:
        found = await repo.latest_answered(user_id)
        if found is None or found[0].would_settle is None:
            return None
        survey, period = found
        return t(
            "popup.coach_line",
            dates=PopupRenderer.dates(period, t.lang),
            answer=t(f"popup.settle_word_{survey.would_settle}"),
        )

    return line
