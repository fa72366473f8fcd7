"""Know whom the bot may message: people who blocked it are not messaged again."""

from __future__ import annotations

import logging

from bot.storage import UserRepository

logger = logging.getLogger(__name__)


class ContactService:
    """Record and check that a user blocked the bot."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def mark_blocked(self, channel: str, user_ref: str) -> None:
        """Remember that this user blocked the bot."""
        if await self._users.mark_blocked(channel, user_ref):
            logger.info("a %s user blocked the bot", channel)

    async def can_message(self, channel: str, user_ref: str) -> bool:
        """Return whether the bot may send this user a message it was not asked for."""
        return not await self._users.is_blocked(channel, user_ref)
