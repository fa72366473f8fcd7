"""Take in what hurts, let the person confirm or correct the factors, echo who else says so."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.features.concerns.store import Concern, ConcernRepository, ConcernStatus
from bot.features.follow_ups.service import FollowUpService
from bot.shared.text import clean_text
from bot.storage import Database, ProcessedEventRepository, Role, User
from nlp.asking import Question
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

# The model's first answer to a message: the factors it ticks, and maybe one other reading.
Classify = Callable[[str], Awaitable[Question]]
SAME_TEXT_WINDOW = timedelta(minutes=1)
FLOOD_WINDOW = timedelta(hours=1)


HELD_TEXTS_PER_USER = 5
HISTORY_SIZE = 10


class IntakeStatus(StrEnum):
    """Say what became of a message sent as a concern."""

    STORED = "stored"
    HELD = "held"
    SAME_TEXT = "same_text"
    FLOODED = "flooded"
    DUPLICATE_EVENT = "duplicate_event"
    EMPTY = "empty"


@dataclass(frozen=True)
class Intake:
    """Carry the result of an intake: its status and the concern, when there is one."""

    status: IntakeStatus
    concern: Concern | None = None


def _ago(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).isoformat(timespec="milliseconds")


def text_fingerprint(text: str) -> str:
    """Return the hash that makes "the same text" (case and spacing ignored)."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()


class ConcernService:
    """Own the life of a concern: intake, factor edits, confirmation, echo."""

    def __init__(
        self,
        db: Database,
        classify: Classify,
        *,
        anonymity_k: int,
        flood_per_hour: int = 20,
        follow_ups: FollowUpService | None = None,
        voices_removed: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._classify = classify
        self._concerns = ConcernRepository(db)
        self._events = ProcessedEventRepository(db)
        self._k = anonymity_k
        self._flood = flood_per_hour
        self._follow_ups = follow_ups
        self._voices_removed = voices_removed

    async def hold(self, user: User, text: str, event_key: str) -> Intake:
        """Keep a message of someone not yet onboarded, to be filed once they are."""
        cleaned = clean_text(text)
        if not cleaned:
            return Intake(IntakeStatus.EMPTY)
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return Intake(IntakeStatus.DUPLICATE_EVENT)
            kept = await self._concerns.hold_text(user.id, cleaned, HELD_TEXTS_PER_USER)
        return Intake(IntakeStatus.HELD if kept else IntakeStatus.FLOODED)

    async def file_held(self, user: User, event_key: str) -> list[Intake]:
        """File the messages kept during onboarding as concerns, oldest first."""
        if user.role is Role.PRODUCER:
            # A producer's words are not shop difficulties: what they wrote meanwhile goes.
            async with self._db.transaction():
                for held_id, _text in await self._concerns.held_texts(user.id):
                    await self._concerns.drop_held_text(held_id)
            return []
        filed: list[Intake] = []
        for held_id, text in await self._concerns.held_texts(user.id):
            filed.append(
                await self.intake(user, text, f"{event_key}:held:{held_id}", held_id=held_id)
            )
        return filed

    async def intake(
        self, user: User, text: str, event_key: str, *, held_id: int | None = None
    ) -> Intake:
        """Classify a message and keep it as a pending concern, applied once per event."""
        cleaned = clean_text(text)
        if not cleaned:
            return Intake(IntakeStatus.EMPTY)
        # Classify before taking the write lock: the model must not hold up other people.
        question = await self._classify(cleaned)
        predicted = [f for f in question.draft if f in FACTOR_IDS]
        alternative = question.alternative
        if alternative is not None and any(f not in FACTOR_IDS for f in alternative):
            alternative = None
        fingerprint = text_fingerprint(cleaned)
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return Intake(IntakeStatus.DUPLICATE_EVENT)
            if held_id is not None:
                await self._concerns.drop_held_text(held_id)
            same = await self._concerns.find_same_text(
                user.id, fingerprint, _ago(SAME_TEXT_WINDOW)
            )
            if same is not None:
                return Intake(IntakeStatus.SAME_TEXT, same)
            if await self._concerns.count_since(user.id, _ago(FLOOD_WINDOW)) >= self._flood:
                logger.info(
                    "flood control: user %s over %d concerns an hour", user.id, self._flood
                )
                return Intake(IntakeStatus.FLOODED)
            concern = await self._concerns.create(
                user_id=user.id,
                text=cleaned,
                lang=user.language,
                predicted=predicted,
                text_hash=fingerprint,
                alternative=alternative,
            )
        return Intake(IntakeStatus.STORED, concern)

    async def get(self, concern_id: int) -> Concern | None:
        """Return a concern by id, or None."""
        return await self._concerns.get(concern_id)

    async def pending_of(self, user: User, concern_id: int) -> Concern | None:
        """Return the concern if it is this user's and still pending, else None."""
        concern = await self._concerns.get(concern_id)
        if concern is None or concern.user_id != user.id:
            return None
        return concern if concern.status is ConcernStatus.PENDING else None

    async def _claim_pending(self, user: User, concern_id: int, event_key: str) -> Concern | None:
        """Inside a transaction: record the tap once, then return the user's pending concern."""
        # A replayed tap must not act twice (a toggle would undo itself).
        if not await self._events.claim(event_key):
            return None
        return await self.pending_of(user, concern_id)

    async def toggle(
        self, user: User, concern_id: int, factor: str, event_key: str
    ) -> Concern | None:
        """Add or remove one factor of a pending concern's draft; None if not allowed."""
        if factor not in FACTOR_IDS:
            return None
        async with self._db.transaction():
            concern = await self._claim_pending(user, concern_id, event_key)
            if concern is None:
                return None
            draft = set(concern.draft) ^ {factor}
            return await self._concerns.set_draft(concern.id, sorted(draft))

    async def confirm(
        self,
        user: User,
        concern_id: int,
        event_key: str,
        factors: Sequence[str] | None = None,
        *,
        only_if_untouched: bool = False,
    ) -> Concern | None:
        """Confirm a pending concern with its draft (or the given factors); None if not allowed.

        With `only_if_untouched`, refuse once the person has edited the model's guess.
        """
        async with self._db.transaction():
            concern = await self._claim_pending(user, concern_id, event_key)
            if concern is None:
                return None
            if only_if_untouched and not concern.untouched:
                return None
            final = concern.draft if factors is None else tuple(factors)
            if any(f not in FACTOR_IDS for f in final):
                return None
            confirmed = await self._concerns.confirm(
                concern,
                final,
                core_id=user.core_id,
                territory_id=user.territory_id,
                role=user.role.value if user.role else None,
            )
            if self._follow_ups is not None:
                await self._follow_ups.plan(user, confirmed, confirmed.draft)
            return confirmed

    async def take_alternative(
        self, user: User, concern_id: int, event_key: str
    ) -> Concern | None:
        """Confirm a pending concern with the other reading it was offered; None if none."""
        concern = await self.pending_of(user, concern_id)
        if concern is None or concern.alternative is None:
            return None
        # The other reading was offered next to the model's guess; after edits it is stale.
        return await self.confirm(
            user, concern_id, event_key, concern.alternative, only_if_untouched=True
        )

    async def history(self, user: User, limit: int = HISTORY_SIZE) -> list[Concern]:
        """Return the user's own recent concerns, newest first."""
        return await self._concerns.list_for_user(user.id, limit)

    async def delete(self, user: User, concern_id: int, event_key: str) -> bool:
        """Delete one of the user's own concerns (it stops counting in every echo)."""
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return False
            deleted = await self._concerns.delete(concern_id, user.id)
        if deleted and self._voices_removed is not None:
            self._voices_removed()
        return deleted
