"""Coaching's jobs: offers that run out, reminders, the after-question, and every notice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from bot.channels.base import Recipient, Reply, SendStatus
from bot.features.entrepreneurs.coaching import CoachingService
from bot.features.entrepreneurs.coaching_store import Notice
from bot.features.entrepreneurs.render import CoachingRenderer
from bot.features.entrepreneurs.session_flow import came_question, coaching_offer
from bot.features.entrepreneurs.sessions_store import AttendanceRepository
from bot.i18n import Translator
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound
from bot.storage import Database, UserRepository, utcnow

logger = logging.getLogger(__name__)

COACHING_EVERY = timedelta(seconds=30)
SESSIONS_EVERY = timedelta(minutes=5)
# People going to an information session are asked whether they came within this after it.
ASK_WITHIN = timedelta(days=3)
# A coaching offer after a session that could not go (WhatsApp's window) waits this long.
OFFER_WITHIN = timedelta(days=14)
# A notice that failed this many times is dropped (its request stays as it is).
MAX_ATTEMPTS = 200


class NoticeSender:
    """Tell people (and admins) what changed about a request, right after it changed."""

    def __init__(
        self,
        db: Database,
        renderer: CoachingRenderer,
        outbound: Outbound,
        users: UserRepository,
    ) -> None:
        self._db = db
        self._renderer = renderer
        self._outbound = outbound
        self._users = users
        self._requests = renderer.requests
        self._lock = asyncio.Lock()

    async def kick(self) -> None:
        """Deliver once the change that queued notices is committed (and its answer sent)."""
        await self._db.after_unit(self.deliver)

    async def deliver(self) -> int:
        """Send every notice due; return how many went."""
        async with self._lock:
            sent = 0
            # Someone whose notice did not go gets nothing after it this round (their order).
            stuck: set[tuple[int | None, str | None]] = set()
            for notice in await self._requests.notices_due():
                who = (notice.user_id, notice.admin_ref)
                if who in stuck:
                    continue
                try:
                    went = await self._deliver(notice)
                except Exception:
                    # One notice must not hold the others back.
                    logger.exception("coaching notice %d failed", notice.id)
                    await self._requests.notice_failed(notice.id)
                    went = None
                if went is None:
                    stuck.add(who)
                else:
                    sent += went
            return sent

    async def _recipient(self, notice: Notice) -> tuple[Recipient, str] | None:
        if notice.user_id is not None:
            user = await self._users.get_by_id(notice.user_id)
            if user is None:
                return None
            return Recipient(user.channel, user.external_id), user.language
        channel, _, ref = (notice.admin_ref or "").partition(":")
        admin = await self._users.get(channel, ref)
        return Recipient(channel, ref), admin.language if admin else "fr"

    async def _deliver(self, notice: Notice) -> int | None:
        """Send one notice; return 1 if it went, 0 if dropped, None if it is to try again."""
        found = await self._recipient(notice)
        if found is None:
            await self._requests.notice_done(notice.id)
            return 0
        to, lang = found
        replies = await self._renderer.notice(notice, lang)
        if not replies:
            # It no longer means anything (an offer taken back, times replaced).
            await self._requests.notice_done(notice.id)
            return 0
        outcome = await self._outbound.send(to, replies)
        if outcome.sent or outcome.status is SendStatus.BLOCKED:
            await self._requests.notice_done(notice.id)
            return int(outcome.sent)
        if outcome.status is SendStatus.NOT_ALLOWED_NOW:
            # Outside WhatsApp's window: a short template; the full notice waits for a tap.
            news = await self._outbound.send(to, [self._renderer.news(Translator(lang), notice)])
            if news.sent:
                await self._requests.notice_by_template(notice.id)
                return 1
        attempts = await self._requests.notice_failed(notice.id)
        if attempts >= MAX_ATTEMPTS:
            logger.warning("coaching notice %d dropped after %d attempts", notice.id, attempts)
            await self._requests.notice_done(notice.id)
            return 0
        return None


class SessionSender:
    """Ask who came to an information session; offer coaching to those who came."""

    def __init__(self, db: Database, outbound: Outbound, users: UserRepository) -> None:
        self._db = db
        self._attendance = AttendanceRepository(db)
        self._outbound = outbound
        self._users = users

    async def run(self, now: datetime) -> int:
        """Send what is due; return how many messages went."""
        sent = 0
        after = (now - ASK_WITHIN).isoformat(timespec="milliseconds")
        for due in await self._attendance.to_ask(after, now.isoformat(timespec="milliseconds")):
            question = partial(came_question, event_id=due.event_id, title=due.title)
            went = await self._send(due.user_id, question)
            if went is not None:
                await self._attendance.asked(due.event_id, due.user_id, utcnow())
                sent += went
        offers_since = (now - OFFER_WITHIN).isoformat(timespec="milliseconds")
        for due in await self._attendance.offers_due(offers_since):
            went = await self._send(due.user_id, partial(coaching_offer, title=due.title))
            if went is not None:
                await self._attendance.offered(due.event_id, due.user_id, utcnow())
                sent += went
        return sent

    async def _send(self, user_id: int, build: Callable[[Translator], Reply]) -> int | None:
        """Send one message; return 1 if it went, 0 if it never will, None to try again."""
        user = await self._users.get_by_id(user_id)
        if user is None:
            return 0
        outcome = await self._outbound.send(
            Recipient(user.channel, user.external_id), [build(Translator(user.language))]
        )
        if outcome.status in (
            SendStatus.FAILED,
            SendStatus.RATE_LIMITED,
            # Outside WhatsApp's window (no template for it): when the person next writes.
            SendStatus.NOT_ALLOWED_NOW,
        ):
            return None
        return int(outcome.sent)


def jobs(
    coaching: CoachingService, sender: NoticeSender, sessions: SessionSender | None = None
) -> list[Job]:
    """Return the coaching job (run-outs, reminders, after-questions, notices) and sessions'."""

    async def sessions_run() -> None:
        if sessions is not None:
            await sessions.run(coaching.now())

    async def run() -> None:
        await coaching.forget_stale()
        await coaching.repair()
        await coaching.expire_due()
        await coaching.remind_due()
        await coaching.ask_after_due()
        await sender.deliver()

    return [
        Job("coaching", run, COACHING_EVERY, timedelta(seconds=10)),
        Job("info_sessions", sessions_run, SESSIONS_EVERY, timedelta(seconds=40)),
    ]
