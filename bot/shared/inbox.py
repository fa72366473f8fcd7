"""Make incoming updates of consented users survive a crash before they are applied."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.storage import CONSENT_VERSION, InboxRepository, UserRepository

logger = logging.getLogger(__name__)

# Telegram itself gives up on an update after 24 hours; so do we.
INBOX_RETENTION = timedelta(days=1)


class DeliveryService:
    """Keep raw updates of people who consented until the update is applied."""

    def __init__(self, inbox: InboxRepository, users: UserRepository) -> None:
        self._inbox = inbox
        self._users = users

    async def keep(self, channel: str, user_ref: str, event_key: str, payload: str) -> bool:
        """Store the update if its sender consented; return whether it was stored."""
        # Nothing is kept for people who have not consented: their actions before consent
        # live in the buttons they tap, and nothing of theirs can be lost.
        user = await self._users.get(channel, user_ref)
        if user is None or user.consent_version != CONSENT_VERSION:
            # Nor for people asked to accept a new notice: nothing of theirs until they do.
            return False
        await self._inbox.store(event_key, channel, payload)
        return True

    async def pending(self, channel: str) -> list[tuple[str, str]]:
        """Return the updates kept but not yet applied, oldest first."""
        return await self._inbox.pending(channel)

    async def prune(self) -> int:
        """Forget kept updates older than Telegram's own retention."""
        return await self._inbox.prune(INBOX_RETENTION)
