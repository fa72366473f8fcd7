"""Coaching's jobs: offers that run out, reminders, the after-question, and every notice."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.channels.base import Recipient, SendStatus
from bot.features.entrepreneurs.coaching import CoachingService
from bot.features.entrepreneurs.coaching_store import Notice
from bot.features.entrepreneurs.render import CoachingRenderer
from bot.i18n import Translator
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound
from bot.storage import Database, UserRepository

logger = logging.getLogger(__name__)

COACHING_EVERY = timedelta(seconds=30)
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
            for notice in await self._requests.notices_due():
                try:
                    sent += await self._deliver(notice)
                except Exception:
                    # One notice must not hold the others back.
                    logger.exception("coaching notice %d failed", notice.id)
                    await self._requests.notice_failed(notice.id)
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

    async def _deliver(self, notice: Notice) -> int:
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


def jobs(coaching: CoachingService, sender: NoticeSender) -> list[Job]:
    """Return the coaching job: run-outs, reminders, after-questions, then notices."""

    async def run() -> None:
        await coaching.expire_due()
        await coaching.remind_due()
        await coaching.ask_after_due()
        await sender.deliver()

    return [Job("coaching", run, COACHING_EVERY, timedelta(seconds=10))]
