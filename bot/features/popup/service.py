"""The pop-up store's use cases: define it, apply for a space, decide, survey at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.features.entrepreneurs.candidates_store import Candidate
from bot.features.notices.service import Notices
from bot.features.popup.store import (
    Application,
    Period,
    Popup,
    PopupRepository,
    Survey,
)
from bot.reference import Reference
from bot.shared.text import clean_text
from bot.storage import Database, User

MAX_PLACE = 200
MAX_CONDITIONS = 1000
MAX_FEE = 200
MAX_SPACES = 99
MAX_ACTIVITY = 120
MAX_WORDS = 500
MAX_REASON = 300
MAX_CELL = 300
# A period is at most this long, and starts at most this far ahead.
MAX_PERIOD = timedelta(days=366)
MAX_AHEAD = timedelta(days=3 * 366)
# Typed answers are taken for this long after their question.
TYPING_FOR = timedelta(hours=1)
# Why an application is waitlisted or declined, when an admin taps a preset reason.
PRESET_REASONS = ("full", "fit", "ready", "dates")
SETTLE = ("yes", "maybe", "no")
# The draft's questions, in order.
STEPS = ("activity", "sector", "to_test", "needs", "summary")
TYPED = frozenset({"activity", "to_test", "needs"})

# Notice kinds: told to someone other than the person who acted.
NEW_APPLICATION = "popup.new_application"
ACCEPTED = "popup.accepted"
CALENDAR = "popup.calendar"
WAITLISTED = "popup.waitlisted"
DECLINED = "popup.declined"
WITHDRAWN = "popup.withdrawn"
SURVEY = "popup.survey"


def subject(application_id: int) -> str:
    """Return the notices' subject of an application."""
    return f"popup_app:{application_id}"


class PopupError(ValueError):
    """Input refused or a stale tap: the i18n key of the polite answer; nothing was stored."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class OpenPeriod:
    """A test period still to come (or under way), with the spaces its pop-up has left."""

    popup_id: int
    territory_id: str
    core_id: str | None
    place: str
    period_id: int
    starts_on: date
    ends_on: date
    spaces_left: int


class PopupService:
    """Keep pop-ups, their periods and applications; tell people through notices."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        notices: Notices,
        admins: tuple[str, ...],
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._repo = PopupRepository(db)
        self._ref = reference
        self._notices = notices
        self._admins = admins
        self._tz = tz
        self._clock = clock

    @property
    def repo(self) -> PopupRepository:
        """Return the pop-up store's repository."""
        return self._repo

    @property
    def tz(self) -> ZoneInfo:
        """Return the local time zone (periods are local dates)."""
        return self._tz

    def now(self) -> datetime:
        """Return the service's time."""
        return self._clock()

    def _stamp(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="milliseconds")

    def today(self) -> date:
        """Return the local date today."""
        return self._clock().astimezone(self._tz).date()

    # ---- admins: define -----------------------------------------------------------------------

    async def define(
        self,
        *,
        territory_id: str,
        core_id: str | None,
        place: str,
        spaces: str,
        conditions: str,
        fee: str,
        by: str,
    ) -> Popup:
        """Define a pop-up from an admin's form (checked first; nothing stored if refused)."""
        if self._ref.territory(territory_id) is None:
            raise PopupError("popup.bad_territory", value=territory_id[:40])
        if core_id is not None:
            core = self._ref.core(core_id)
            if core is None or core.territory != territory_id:
                raise PopupError("popup.bad_core", value=core_id[:40])
        if not spaces.strip().isdigit() or not 1 <= int(spaces) <= MAX_SPACES:
            raise PopupError("popup.bad_spaces", value=spaces[:20], max=MAX_SPACES)
        kept_place = _checked(place, MAX_PLACE, "place")
        kept_conditions = _checked(conditions, MAX_CONDITIONS, "conditions", required=False)
        kept_fee = _checked(fee, MAX_FEE, "fee", required=False)
        popup_id = await self._repo.add_popup(
            territory_id,
            core_id,
            kept_place,
            int(spaces),
            kept_conditions,
            kept_fee,
            by,
            self._stamp(),
        )
        popup = await self._repo.popup(popup_id)
        assert popup is not None
        return popup

    async def add_period(self, popup_id: int, starts: str, ends: str) -> Period:
        """Add a test period ("2027-03-01", "2027-04-30") to an open pop-up."""
        popup = await self._repo.popup(popup_id)
        if popup is None or popup.closed_at is not None:
            raise PopupError("popup.unknown", id=popup_id)
        try:
            first, last = date.fromisoformat(starts.strip()), date.fromisoformat(ends.strip())
        except ValueError as exc:
            raise PopupError("popup.bad_dates") from exc
        today = self.today()
        if last < first or first < today or first - today > MAX_AHEAD:
            raise PopupError("popup.bad_dates")
        if last - first > MAX_PERIOD:
            raise PopupError("popup.too_long_period")
        if await self._repo.overlapping(popup_id, first.isoformat(), last.isoformat()):
            raise PopupError("popup.overlap")
        period_id = await self._repo.add_period(
            popup_id, first.isoformat(), last.isoformat(), self._stamp()
        )
        period = await self._repo.period(period_id)
        assert period is not None
        return period

    async def close(self, popup_id: int) -> bool:
        """Close a pop-up to new applications (those sent stay as they are)."""
        return await self._repo.close(popup_id, self._stamp())

    async def spaces_left(self, period: Period) -> int:
        """Return the spaces of a period not given yet."""
        popup = await self._repo.popup(period.popup_id)
        accepted = (await self._repo.counts(period.id)).get("accepted", 0)
        return max(0, (popup.spaces if popup else 0) - accepted)

    # ---- the read API (opportunities, partners' report) ---------------------------------------

    async def next_periods(self, territory_id: str, today: date) -> list[OpenPeriod]:
        """Return the open pop-ups' periods of a territory not over by `today`, earliest first.

        `spaces_left` is the pop-up's own capacity minus the applications accepted: a count of
        spaces, not of people, so it needs no gate.
        """
        found: list[OpenPeriod] = []
        for popup in await self._repo.popups(territory_id, open_only=True):
            for period in await self._repo.periods(popup.id, today.isoformat()):
                found.append(
                    OpenPeriod(
                        popup.id,
                        popup.territory_id,
                        popup.core_id,
                        popup.place,
                        period.id,
                        date.fromisoformat(period.starts_on),
                        date.fromisoformat(period.ends_on),
                        await self.spaces_left(period),
                    )
                )
        return sorted(found, key=lambda p: (p.starts_on, p.period_id))

    async def report(self, territory_id: str | None, since: str, until: str) -> dict[str, int]:
        """Return raw counts within [since, until) (UTC ISO times), for the caller to gate.

        `applications`: sent in the range; `accepted`, `waitlisted`, `declined`: decisions
        taken in the range that still stand.
        """
        return await self._repo.report(territory_id, since, until)

    # ---- candidates: apply --------------------------------------------------------------------

    async def _open_period(self, period_id: int) -> tuple[Popup, Period]:
        period = await self._repo.period(period_id)
        popup = None if period is None else await self._repo.popup(period.popup_id)
        if period is None or popup is None or popup.closed_at is not None:
            raise PopupError("popup.period_gone")
        if date.fromisoformat(period.ends_on) < self.today():
            raise PopupError("popup.period_gone")
        return popup, period

    async def start(self, user: User, candidate: Candidate | None, period_id: int) -> Application:
        """Start an application for a period, prefilled from the project (or resume a draft)."""
        if candidate is None:
            raise PopupError("popup.no_project")
        popup, period = await self._open_period(period_id)
        territory = candidate.territory_id or user.territory_id
        if territory != popup.territory_id:
            raise PopupError("popup.period_gone")
        current = await self._repo.open_of(user.id, period.id)
        if current is not None and current.status != "draft":
            raise PopupError("popup.already_applied")
        if current is not None:
            stamp = self._stamp()
            await self._repo.answer(current.id, stamp, step="activity", step_at=stamp)
            app_id = current.id
        else:
            app_id = await self._repo.start_draft(
                user.id, period.id, candidate.activity, candidate.sector_id, self._stamp()
            )
        found = await self._repo.application(app_id)
        assert found is not None
        return found

    async def mine(self, user: User, application_id: int, *statuses: str) -> Application:
        """Return the person's own application in one of these statuses, or refuse the tap."""
        found = await self._repo.application(application_id)
        if found is None or found.user_id != user.id or found.status not in statuses:
            raise PopupError("button.stale")
        return found

    async def _draft_at(self, user: User, application_id: int, step: str) -> Application:
        draft = await self.mine(user, application_id, "draft")
        if draft.step != step:
            raise PopupError("button.stale")
        return draft

    async def _next(self, draft: Application, **fields: str | None) -> Application:
        """Keep answers and go to the following question (back to the summary when editing)."""
        after = STEPS[STEPS.index(draft.step) + 1]
        stamp = self._stamp()
        await self._repo.answer(draft.id, stamp, step=after, step_at=stamp, **fields)
        found = await self._repo.application(draft.id)
        assert found is not None
        return found

    async def keep_activity(self, user: User, application_id: int) -> Application:
        """Keep the activity prefilled from the project."""
        draft = await self._draft_at(user, application_id, "activity")
        if not draft.activity:
            raise PopupError("popup.type_activity")
        return await self._next(draft)

    async def answer_sector(self, user: User, application_id: int, sector_id: str) -> Application:
        """Keep the sector (the project's, or one chosen from the list)."""
        draft = await self._draft_at(user, application_id, "sector")
        if self._ref.sector(sector_id) is None:
            raise PopupError("button.invalid")
        return await self._next(draft, sector_id=sector_id)

    async def typing(self, user_id: int) -> Application | None:
        """Return the draft waiting for the person's typed words, if asked within the hour."""
        since = self._clock() - TYPING_FOR
        for draft in await self._repo.drafts_of(user_id):
            if draft.step in TYPED and datetime.fromisoformat(draft.step_at) >= since:
                return draft
        return None

    async def answer_text(self, user: User, application_id: int, text: str) -> Application:
        """Keep the typed answer to the question on screen (activity, to test, needs)."""
        draft = await self.mine(user, application_id, "draft")
        limit = MAX_ACTIVITY if draft.step == "activity" else MAX_WORDS
        if draft.step not in TYPED:
            raise PopupError("popup.use_buttons")
        kept = _checked(text, limit, draft.step)
        return await self._next(draft, **{draft.step: kept})

    async def send(self, user: User, application_id: int) -> Application:
        """Send a finished draft to the admins, who are told."""
        draft = await self._draft_at(user, application_id, "summary")
        await self._open_period(draft.period_id)
        if not (draft.activity and draft.sector_id and draft.to_test and draft.needs):
            raise PopupError("button.stale")
        if not await self._repo.submit(draft.id, self._stamp()):
            raise PopupError("button.stale")
        await self._notices.tell_admins(self._admins, NEW_APPLICATION, subject(draft.id))
        sent = await self._repo.application(draft.id)
        assert sent is not None
        return sent

    async def cancel(self, user: User, application_id: int) -> None:
        """Drop a draft: nothing of it is kept."""
        await self.mine(user, application_id, "draft")
        await self._repo.drop_draft(application_id)

    async def withdraw(self, user: User, application_id: int) -> Application:
        """Withdraw one's application (an accepted one frees its space; admins are told)."""
        found = await self.mine(user, application_id, "pending", "accepted", "waitlisted")
        if not await self._repo.withdraw(found.id, self._stamp()):
            raise PopupError("button.stale")
        if found.status == "accepted":
            await self._notices.tell_admins(self._admins, WITHDRAWN, subject(found.id))
        withdrawn = await self._repo.application(found.id)
        assert withdrawn is not None
        return withdrawn

    async def announce_consent(self, user: User, application_id: int, consent: bool) -> None:
        """Record whether the occupant's activity may be announced to customers."""
        found = await self.mine(user, application_id, "accepted")
        await self._repo.set_announce(found.id, consent, self._stamp())

    # ---- admins: decide -----------------------------------------------------------------------

    async def accept(self, application_id: int, by: str) -> Application:
        """Accept an application (pending or waitlisted) if its period has a space left."""
        found = await self._repo.application(application_id)
        if found is None or found.status not in ("pending", "waitlisted"):
            raise PopupError("popup.decided_already")
        period = await self._repo.period(found.period_id)
        assert period is not None
        if await self.spaces_left(period) <= 0:
            raise PopupError("popup.no_space_left")
        await self._repo.decide(
            found.id, "accepted", None, by, self._stamp(), ("pending", "waitlisted")
        )
        await self._notices.tell(found.user_id, ACCEPTED, subject(found.id))
        await self._notices.tell(found.user_id, CALENDAR, subject(found.id))
        return await self._decided(found.id)

    async def waitlist(self, application_id: int, by: str) -> Application:
        """Put a pending application on the waiting list (a space may free up)."""
        found = await self._repo.application(application_id)
        if found is None or not await self._repo.decide(
            application_id, "waitlisted", "preset:full", by, self._stamp(), ("pending",)
        ):
            raise PopupError("popup.decided_already")
        await self._notices.tell(found.user_id, WAITLISTED, subject(found.id))
        return await self._decided(found.id)

    async def decline(self, application_id: int, by: str, reason: str) -> Application:
        """Decline a pending or waitlisted application, with a preset or typed reason."""
        if reason.startswith("preset:"):
            if reason.removeprefix("preset:") not in PRESET_REASONS:
                raise PopupError("button.invalid")
            kept = reason
        else:
            kept = _checked(reason, MAX_REASON, "reason")
        found = await self._repo.application(application_id)
        if found is None or not await self._repo.decide(
            application_id, "declined", kept, by, self._stamp(), ("pending", "waitlisted")
        ):
            raise PopupError("popup.decided_already")
        await self._notices.tell(found.user_id, DECLINED, subject(found.id))
        return await self._decided(found.id)

    async def _decided(self, application_id: int) -> Application:
        found = await self._repo.application(application_id)
        assert found is not None
        return found

    async def ask_reason(self, admin_user_id: int, application_id: int) -> None:
        """Take a stored admin's next words, within the hour, as a decline's reason."""
        found = await self._repo.application(application_id)
        if found is None or found.status not in ("pending", "waitlisted"):
            raise PopupError("popup.decided_already")
        await self._repo.prompt(admin_user_id, application_id, self._stamp())

    async def reason_for(self, admin_user_id: int) -> int | None:
        """Return the application an admin is typing a reason for, if asked within the hour."""
        since = (self._clock() - TYPING_FOR).astimezone(UTC).isoformat(timespec="milliseconds")
        return await self._repo.prompted(admin_user_id, since)

    # ---- the end-of-test survey ----------------------------------------------------------------

    async def ask_surveys(self) -> int:
        """Start the survey of every accepted application whose period is over; return how many.

        Call inside a unit of work: the notices go after its commit.
        """
        asked = 0
        for application in await self._repo.ended_unsurveyed(self.today().isoformat()):
            if await self._repo.ask_survey(application.id, self._stamp()):
                await self._notices.tell(application.user_id, SURVEY, subject(application.id))
                asked += 1
        return asked

    async def survey_round(self) -> int:
        """Ask the surveys due in one unit of work, then send them; return how many."""
        async with self._db.unit_of_work(), self._db.transaction():
            day_ago = self._clock() - timedelta(days=1)
            await self._repo.drop_prompts(
                day_ago.astimezone(UTC).isoformat(timespec="milliseconds")
            )
            asked = await self.ask_surveys()
        if asked:
            await self._notices.deliver()
        return asked

    async def survey_of(self, user: User, application_id: int, step: str) -> Survey:
        """Return the person's own survey standing at a question, or refuse the tap."""
        await self.mine(user, application_id, "accepted")
        survey = await self._repo.survey(application_id)
        if survey is None or survey.step != step:
            raise PopupError("button.stale")
        return survey

    async def settle(self, user: User, application_id: int, answer: str) -> Survey:
        """Keep "would you settle here?" (yes, maybe, no); the typed questions follow."""
        if answer not in SETTLE:
            raise PopupError("button.invalid")
        await self.survey_of(user, application_id, "settle")
        stamp = self._stamp()
        await self._repo.answer_survey(
            application_id, "settle", stamp, would_settle=answer, step="learned", step_at=stamp
        )
        return await self._survey(application_id)

    async def survey_typing(self, user_id: int) -> Survey | None:
        """Return the survey waiting for the person's typed words, if asked within the hour."""
        since = (self._clock() - TYPING_FOR).astimezone(UTC).isoformat(timespec="milliseconds")
        found = await self._repo.surveys_typing(user_id, since)
        return found[0] if found else None

    async def survey_text(self, user: User, application_id: int, text: str | None) -> Survey:
        """Keep what was learned, then which empty cell would suit (None: skipped)."""
        survey = await self._repo.survey(application_id)
        if survey is None or survey.step not in ("learned", "cell"):
            raise PopupError("button.stale")
        await self.survey_of(user, application_id, survey.step)
        limit = MAX_WORDS if survey.step == "learned" else MAX_CELL
        kept = None if text is None else _checked(text, limit, survey.step)
        stamp = self._stamp()
        if survey.step == "learned":
            await self._repo.answer_survey(
                application_id, "learned", stamp, learned=kept, step="cell", step_at=stamp
            )
        else:
            await self._repo.answer_survey(
                application_id, "cell", stamp, done=True, cell_wish=kept, step="done",
                step_at=stamp,
            )  # fmt: skip
        return await self._survey(application_id)

    async def _survey(self, application_id: int) -> Survey:
        found = await self._repo.survey(application_id)
        assert found is not None
        return found


def _checked(text: str, limit: int, field: str, *, required: bool = True) -> str:
    """Return cleaned words, or refuse them empty (when required) or too long."""
    kept = clean_text(text, max_chars=limit + 1)
    if not kept and required:
        raise PopupError("popup.empty", field=field)
    if len(kept) > limit:
        raise PopupError("popup.too_long", max=limit)
    return kept
