"""Launch survey waves: invitations spread over a window, one reminder, never twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.features.surveys.definitions import Survey, Surveys
from bot.features.surveys.results import SurveyResults, WaveResults
from bot.features.surveys.store import Invitation, SurveyRepository, Wave
from bot.shared.sending import Delivery, send_and_record
from bot.storage import CONSENT_VERSION, Database, ProcessedEventRepository, User, UserRepository

logger = logging.getLogger(__name__)

BATCH = 500

# Send an invitation (reminder=False) or its reminder to one person.
SendInvitation = Callable[[User, Survey, int, bool], Awaitable[Delivery]]
# Send a closed wave's results (for their core and territory) to one respondent.
SendResults = Callable[[User, WaveResults], Awaitable[Delivery]]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class UnknownSurvey(LookupError):
    """Raised when a wave is launched for a survey that is not defined."""


@dataclass(frozen=True)
class Launch:
    """Say what a launch did: the wave and how many people will be invited."""

    wave: Wave
    invited: int


class WaveService:
    """Create waves and send their invitations and reminders when due."""

    def __init__(
        self,
        db: Database,
        surveys: Surveys,
        *,
        window: timedelta,
        remind_after: timedelta,
        open_for: timedelta,
        results: SurveyResults | None = None,
    ) -> None:
        self._db = db
        self._results = results
        self._surveys = surveys
        self._repo = SurveyRepository(db)
        self._users = UserRepository(db)
        self._events = ProcessedEventRepository(db)
        self._window = window
        self._remind_after = remind_after
        self._open_for = open_for

    async def results_of(self, user_id: int, wave_id: int) -> WaveResults | None:
        """Return a closed wave's results for someone it invited, or None (open, unknown)."""
        wave = await self._repo.wave(wave_id)
        if wave is None or wave.closed_at is None or self._results is None:
            return None
        survey = self._surveys.get(wave.survey_id)
        if survey is None or not await self._repo.invitation_exists(wave_id, user_id):
            return None
        return await self._results.of_wave(wave, survey)

    async def count_audience(
        self,
        survey_id: str,
        *,
        territory_id: str | None = None,
        core_id: str | None = None,
        role: str | None = None,
    ) -> int:
        """Return how many people a launch with these filters would invite."""
        survey = self._survey(survey_id)
        return len(await self._audience(survey, territory_id, core_id, role))

    async def launch(
        self,
        survey_id: str,
        *,
        created_by: str,
        territory_id: str | None = None,
        core_id: str | None = None,
        role: str | None = None,
        now: datetime | None = None,
    ) -> Launch:
        """Create a wave and plan one invitation per person, spread over the window."""
        done = await self.launch_once(
            survey_id,
            created_by=created_by,
            territory_id=territory_id,
            core_id=core_id,
            role=role,
            now=now,
        )
        assert done is not None
        return done

    async def launch_once(
        self,
        survey_id: str,
        *,
        created_by: str,
        territory_id: str | None = None,
        core_id: str | None = None,
        role: str | None = None,
        now: datetime | None = None,
        event_key: str | None = None,
        only_users: Sequence[int] | None = None,
    ) -> Launch | None:
        """Launch unless this event (an admin's tap) was already applied; then None."""
        survey = self._survey(survey_id)
        start = now or datetime.now(UTC)
        async with self._db.transaction():
            if event_key is not None and not await self._events.claim(event_key):
                return None
            people = await self._audience(survey, territory_id, core_id, role)
            if only_users is not None:
                # An event's attendees: the survey's own audience rules still apply.
                wanted = set(only_users)
                people = [p for p in people if p in wanted]
            wave = await self._repo.create_wave(
                survey_id=survey.id,
                territory_id=territory_id,
                core_id=core_id,
                role=role,
                created_by=created_by,
                send_from=_iso(start),
                send_until=_iso(start + self._window),
                remind_after_s=int(self._remind_after.total_seconds()),
                closes_at=_iso(start + self._open_for),
            )
            # Evenly spread: Telegram's rate and the bot's load stay flat, and answers trickle in.
            step = self._window / max(1, len(people))
            schedule = [(user_id, _iso(start + step * i)) for i, user_id in enumerate(people)]
            invited = await self._repo.invite(wave.id, schedule)
        logger.info("wave %d of %s: %d people invited", wave.id, survey.id, invited)
        return Launch(wave, invited)

    async def send_due(self, send: SendInvitation, now: datetime | None = None) -> int:
        """Send the invitations and reminders whose time has come; return how many went."""
        moment = now or datetime.now(UTC)
        sent = 0
        for reminder in (False, True):
            for item in await self._all_due(moment, reminder=reminder):
                survey = self._surveys.get(item.survey_id)
                if survey is None:
                    continue
                if not item.wanted or item.blocked:
                    async with self._db.transaction():
                        reason = "off" if not item.wanted else "blocked"
                        await self._repo.skip_invitation(item.wave_id, item.user_id, reason)
                    continue
                user = await self._users.get_by_id(item.user_id)
                if user is None:
                    continue
                sent += await self._deliver(
                    item.wave_id,
                    user,
                    "reminded_at" if reminder else "sent_at",
                    moment,
                    send(user, survey, item.wave_id, reminder),
                )
        return sent

    async def _deliver(
        self,
        wave_id: int,
        user: User,
        column: str,
        moment: datetime,
        sending: Awaitable[Delivery],
    ) -> int:
        """Send one message and record the outcome; return 1 if it went out."""
        delivery = await send_and_record(
            self._db,
            sending,
            what=f"{column.removesuffix('_at')} of wave {wave_id}",
            on_sent=partial(self._repo.mark_invitation, wave_id, user.id, column, _iso(moment)),
            on_blocked=partial(self._repo.skip_invitation, wave_id, user.id, "blocked"),
        )
        return int(delivery is Delivery.SENT)

    async def close_due(self, send: SendResults, now: datetime | None = None) -> int:
        """Close the waves whose time is up and send each respondent the results; return sends."""
        moment = now or datetime.now(UTC)
        for wave in await self._repo.waves_to_close(_iso(moment)):
            async with self._db.transaction():
                await self._repo.close_wave(wave.id, _iso(moment))
            logger.info("wave %d of %s closed", wave.id, wave.survey_id)
        if self._results is None:
            return 0
        sent = 0
        for wave in await self._repo.waves_with_results_due(_iso(moment)):
            survey = self._surveys.get(wave.survey_id)
            if survey is None:
                continue
            try:
                results = await self._results.of_wave(wave, survey)
            except Exception:
                # One wave's bad data must not hold back every later wave's results.
                logger.exception("could not compute the results of wave %s", wave.id)
                continue
            for user_id in await self._repo.results_pending(wave.id):
                user = await self._users.get_by_id(user_id)
                if user is None:
                    continue
                sent += await self._deliver(
                    wave.id, user, "results_sent_at", moment, send(user, results)
                )
        return sent

    async def _all_due(self, moment: datetime, *, reminder: bool) -> list[Invitation]:
        """Return everything due, read in batches (a wave may invite thousands at once)."""
        due: list[Invitation] = []
        seen: set[tuple[int, int]] = set()
        while True:
            if reminder:
                batch = await self._repo.due_reminders(_iso(moment), BATCH, offset=len(due))
            else:
                batch = await self._repo.due_invitations(_iso(moment), BATCH, offset=len(due))
            fresh = [i for i in batch if (i.wave_id, i.user_id) not in seen]
            seen.update((i.wave_id, i.user_id) for i in fresh)
            due += fresh
            if len(batch) < BATCH or not fresh:
                return due

    def _survey(self, survey_id: str) -> Survey:
        survey = self._surveys.get(survey_id)
        if survey is None:
            known = ", ".join(s.id for s in self._surveys)
            raise UnknownSurvey(f"no survey {survey_id!r} (known: {known})")
        return survey

    async def _audience(
        self, survey: Survey, territory_id: str | None, core_id: str | None, role: str | None
    ) -> list[int]:
        return await self._repo.audience(
            consent_version=CONSENT_VERSION,
            roles=survey.audience.roles,
            territories=survey.audience.territories,
            territory_id=territory_id,
            core_id=core_id,
            role=role,
        )
