"""Apply each user action once and answer it once: the answer is stored with the change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.channels.base import Answer, IncomingMessage, Outcome, Recipient, SendStatus
from bot.shared.metrics import Metrics
from bot.shared.outbound import Outbound
from bot.storage import Database, ProcessedEventRepository
from bot.storage.replies import QueuedReply, ReplyOutbox

logger = logging.getLogger(__name__)

# Past this, an answer that could not go is out of context (Telegram itself gives up on an
# update after a day); it is dropped rather than sent stale.
REPLY_TTL = timedelta(hours=24)
# The drain leaves younger answers to the live path that is sending them.
LIVE_GRACE = timedelta(seconds=30)
StillMeaningful = Callable[[str], Awaitable[bool]]


class Conversation:
    """Route an action, store its answers with its effects, then send and forget them."""

    def __init__(
        self,
        db: Database,
        handle: Callable[[IncomingMessage], Awaitable[Outcome]],
        outbound: Outbound,
        still_meaningful: StillMeaningful,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._handle = handle
        self._outbound = outbound
        self._still_meaningful = still_meaningful
        self._clock = clock
        self._events = ProcessedEventRepository(db)
        self._outbox = ReplyOutbox(db)
        self._in_flight: set[int] = set()
        self._draining = asyncio.Lock()

    async def apply(self, msg: IncomingMessage) -> Answer:
        """Apply an action once; its answers are committed with it, then handed back to send."""
        to = Recipient(msg.channel, msg.chat_ref)
        try:
            async with self._db.unit_of_work() as unit:
                outcome = await self._handle(msg)
                if outcome.duplicate:
                    return Answer(outcome, _nothing)
                replies = tuple(
                    replace(r, edit_ref=msg.message_ref) if r.edit and msg.message_ref else r
                    for r in outcome.replies
                )
                async with self._db.transaction(undo_alone=False):
                    # Read-only actions are recorded here; those that changed something were
                    # recorded by their flow, in this same unit. A key recorded before is an
                    # action applied before (a redelivery): undo what it just did again.
                    if not await self._events.claim(msg.event_key):
                        raise _AppliedBefore
                    ids = await self._outbox.add(to, msg.event_key, replies)
        except _AppliedBefore:
            return Answer(Outcome(duplicate=True), _nothing)
        if self._metrics is not None and not outcome.duplicate:
            self._metrics.updates.labels(msg.channel, msg.kind.value).inc()
        queued = [
            QueuedReply(id_, to, msg.event_key, reply, "")
            for id_, reply in zip(ids, replies, strict=True)
        ]
        self._in_flight.update(ids)
        later = list(unit.deferred)
        return Answer(replace(outcome, replies=replies), lambda: self._send(queued, later))

    async def _send(
        self, queued: list[QueuedReply], later: list[Callable[[], Awaitable[object]]]
    ) -> None:
        """Send one action's answers in order; what went out is forgotten, the rest waits."""
        done: list[int] = []
        try:
            for item in queued:
                outcome = await self._outbound.send(item.to, [item.reply], unprompted=False)
                if outcome.status is SendStatus.BLOCKED:
                    # Nobody to answer any more.
                    done += [q.id for q in queued]
                    break
                if not outcome.sent:
                    logger.warning("an answer did not go (%s); kept for a retry", outcome.status)
                    break
                done.append(item.id)
        finally:
            self._in_flight.difference_update(q.id for q in queued)
            if done:
                # One statement, committed on its own.
                await self._outbox.delete(done)
            for work in later:
                await work()

    async def drain(self, *, everything: bool = False) -> int:
        """Send answers stored but not sent (after a crash, or a failed send); return how many.

        Answers past their time, or whose question no longer stands, are dropped.
        """
        async with self._draining:
            now = self._clock()
            sent = 0
            stuck: set[tuple[str, str]] = set()
            dropped: list[int] = []
            for item in await self._outbox.pending():
                chat = (item.to.channel, item.to.chat_id)
                created = datetime.fromisoformat(item.created_at)
                if item.id in self._in_flight or chat in stuck:
                    continue
                if not everything and now - created < LIVE_GRACE:
                    continue
                if now - created > REPLY_TTL or (
                    item.reply.valid_while is not None
                    and not await self._still_meaningful(item.reply.valid_while)
                ):
                    dropped.append(item.id)
                    continue
                outcome = await self._outbound.send(item.to, [item.reply], unprompted=False)
                if outcome.sent or outcome.status is SendStatus.BLOCKED:
                    await self._outbox.delete([item.id])
                    sent += outcome.sent
                else:
                    # Keep the chat's order: nothing after an answer that did not go.
                    stuck.add(chat)
            if dropped:
                logger.info("dropped %d answer(s) no longer meaningful", len(dropped))
                await self._outbox.delete(dropped)
            if sent:
                logger.info("sent %d answer(s) kept before", sent)
            return sent


class _AppliedBefore(Exception):
    """Raised to undo a unit of work whose action turned out to be a redelivery."""


async def _nothing() -> None:
    return None
