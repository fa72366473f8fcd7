"""Send each partner's weekly digest once, at the set local time, catching up after downtime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.features.digests.service import DigestFigures, DigestService
from bot.features.partners.store import Partner, PartnerRepository
from bot.shared.schedule import WeeklyTime, last_full_week
from bot.shared.sending import Delivery, send_and_record
from bot.storage import Database

logger = logging.getLogger(__name__)

# The channel name under which a partner's e-mail deliveries are recorded.
EMAIL_CHANNEL = "email"

# Send one week's digest to one chat of a partner (or to its address, channel "email").
SendDigest = Callable[[Partner, str, str, DigestFigures], Awaitable[Delivery]]


class DigestDispatcher:
    """At each run, send the last full week's digest to every bound chat that lacks it."""

    def __init__(
        self,
        db: Database,
        digests: DigestService,
        when: WeeklyTime,
        tz: ZoneInfo,
        *,
        email: bool = False,
    ) -> None:
        self._db = db
        # Whether partners with an e-mail address get the digest there too (SMTP configured).
        self._email = email
        self._digests = digests
        self._repo = PartnerRepository(db)
        self._when = when
        self._tz = tz
        self._lock = asyncio.Lock()

    def due_week(self, now: datetime) -> str:
        """Return the week whose digest is due at `now`: the one before the latest send time."""
        # The latest send time at or before now, stepping in local time (a week across a DST
        # change is not 7 × 24 hours).
        latest = self._when.next_after(now - timedelta(days=8), self._tz)
        while (following := self._when.next_after(latest, self._tz)) <= now:
            latest = following
        return last_full_week(latest, self._tz)

    async def run(self, send: SendDigest, now: datetime | None = None) -> int:
        """Send what is due and not yet sent; return how many digests went out."""
        # The weekly job and the catch-up sweep may fire together: one run at a time, so a
        # chat is never found unsent by both.
        async with self._lock:
            return await self._run(send, now)

    async def _run(self, send: SendDigest, now: datetime | None) -> int:
        moment = now or datetime.now(UTC)
        week = self.due_week(moment)
        sent = 0
        for partner in await self._repo.all():
            if partner.revoked_at is not None:
                continue
            targets = list(await self._repo.chats(partner.id))
            if self._email and partner.email:
                targets.append((EMAIL_CHANNEL, partner.email))
            chats = [
                chat for chat in targets if not await self._repo.delivered(partner.id, week, *chat)
            ]
            if not chats:
                continue
            try:
                figures = await self._digests.figures(partner, week, moment)
            except Exception:
                # One partner's trouble (a broken survey definition, say) must not hold back
                # every other partner's digest; this one is tried again at the next run.
                logger.exception("could not count partner %d's digest of %s", partner.id, week)
                continue
            for channel, chat_id in chats:
                # A chat that blocked the bot is recorded too: it is not sent the week again.
                record = partial(
                    self._repo.record_delivery,
                    partner.id,
                    week,
                    channel,
                    chat_id,
                    moment.isoformat(),
                )
                delivery = await send_and_record(
                    self._db,
                    send(partner, channel, chat_id, figures),
                    what=f"partner {partner.id}'s digest",
                    on_sent=record,
                    on_blocked=record,
                )
                sent += delivery is Delivery.SENT
        if sent:
            logger.info("sent %d digest(s) for %s", sent, week)
        return sent
