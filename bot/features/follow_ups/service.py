"""Ask, three weeks after a concern, whether the problem is solved, still there or worse."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from zoneinfo import ZoneInfo

from bot.features.concerns.store import Concern, ConcernRepository, VoiceKind
from bot.features.follow_ups.store import FollowUp, FollowUpAnswer, FollowUpRepository
from bot.shared.sending import Delivery, send_and_record
from bot.storage import Database, ProcessedEventRepository, User, UserRepository, utcnow

logger = logging.getLogger(__name__)

# Never two follow-up questions to one person within this time.
ONE_QUESTION_PER = timedelta(days=1)
BATCH = 500

_VOICE_OF = {
    FollowUpAnswer.STILL_THERE: VoiceKind.STILL_THERE,
    FollowUpAnswer.WORSE: VoiceKind.WORSE,
}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class AnswerStatus(StrEnum):
    """Say what became of a follow-up answer."""

    STORED = "stored"
    STALE = "stale"


@dataclass(frozen=True)
class AnswerResult:
    """Carry the stored answer and the concern it was about."""

    status: AnswerStatus
    concern: Concern | None = None
    answer: FollowUpAnswer | None = None


# Render the question for one person and send it through their channel.
SendQuestion = Callable[[User, Concern], Awaitable[Delivery]]


class FollowUpService:
    """Plan follow-ups at confirmation, send the due ones, store the answers."""

    def __init__(
        self,
        db: Database,
        *,
        after: timedelta,
        from_hour: int,
        until_hour: int,
        tz: ZoneInfo,
    ) -> None:
        self._db = db
        self._repo = FollowUpRepository(db)
        self._concerns = ConcernRepository(db)
        self._users = UserRepository(db)
        self._events = ProcessedEventRepository(db)
        self._after = after
        self._from_hour = from_hour
        self._until_hour = until_hour
        self._tz = tz

    async def plan(self, user: User, concern: Concern, factors: Sequence[str]) -> bool:
        """Inside the confirming transaction: plan one follow-up for a concern with factors."""
        if not factors:
            return False
        confirmed = datetime.fromisoformat(concern.confirmed_at or utcnow())
        await self._repo.schedule(
            concern_id=concern.id,
            user_id=user.id,
            core_id=user.core_id,
            territory_id=user.territory_id,
            role=user.role.value if user.role else None,
            due_at=_iso(confirmed + self._after),
        )
        return True

    def may_send_at(self, now: datetime) -> bool:
        """Return whether it is a decent local hour to ask somebody something."""
        local = now.astimezone(self._tz)
        return self._from_hour <= local.hour < self._until_hour

    async def send_due(self, send: SendQuestion, now: datetime | None = None) -> int:
        """Send the follow-ups due by now (at decent hours only); return how many went out."""
        now = now or datetime.now(UTC)
        if not self.may_send_at(now):
            return 0
        sent = 0
        due = await self._repo.due(
            now=_iso(now), quiet_since=_iso(now - ONE_QUESTION_PER), limit=BATCH
        )
        for item in due:
            follow_up = item.follow_up
            if not item.wanted or item.blocked:
                async with self._db.transaction():
                    await self._repo.mark_skipped(
                        follow_up.concern_id, "off" if not item.wanted else "blocked"
                    )
                continue
            user = await self._users.get_by_id(follow_up.user_id)
            concern = await self._concerns.get(follow_up.concern_id)
            if user is None or concern is None:
                continue
            # Marked after sending: a crash in between asks twice (answers are stored once),
            # which beats never asking.
            delivery = await send_and_record(
                self._db,
                send(user, concern),
                what=f"the follow-up of concern {concern.id}",
                on_sent=partial(self._mark_asked, concern, _iso(now)),
                on_blocked=partial(self._repo.mark_skipped, concern.id, "blocked"),
            )
            sent += delivery is Delivery.SENT
        if sent:
            logger.info("sent %d follow-up questions", sent)
        return sent

    async def _mark_asked(self, concern: Concern, at: str) -> None:
        await self._repo.mark_sent(concern.id, at)
        # One question per problem: it also answers for the person's other concerns on the
        # same factors that have not been asked about yet.
        await self._repo.cover_others(concern.id, concern.user_id, concern.draft)

    async def answer(
        self, user: User, concern_id: int, answer: FollowUpAnswer, event_key: str
    ) -> AnswerResult:
        """Store a follow-up answer once; a persisting problem counts again in the trends."""
        now = utcnow()
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return AnswerResult(AnswerStatus.STALE)
            concern = await self._concerns.get(concern_id)
            if concern is None or concern.user_id != user.id:
                return AnswerResult(AnswerStatus.STALE)
            if not await self._repo.record_answer(concern_id, user.id, answer, now):
                return AnswerResult(AnswerStatus.STALE)
            voice = _VOICE_OF.get(answer)
            if voice is not None:
                for factor in concern.draft:
                    await self._concerns.add_voice(
                        concern.id,
                        factor,
                        voice,
                        user_id=user.id,
                        core_id=user.core_id,
                        territory_id=user.territory_id,
                        role=user.role.value if user.role else None,
                        at=now,
                    )
        return AnswerResult(AnswerStatus.STORED, concern, answer)

    async def get(self, concern_id: int) -> FollowUp | None:
        """Return the follow-up of a concern, if any."""
        return await self._repo.get(concern_id)

    async def set_wanted(self, user: User, wanted: bool, event_key: str) -> User | None:
        """Turn follow-up questions on or off for a person; None for a replayed tap."""
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return None
            return await self._users.update(user.id, follow_ups=wanted)
