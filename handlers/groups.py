"""Handle what happens to groups themselves: a group upgraded to a supergroup gets a new id."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import CHANNEL


def build(hooks: ChannelHooks) -> list[BaseHandler[Any, Any, Any]]:
    """Return the group handlers."""

    async def migrated(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        await hooks.chat_moved(CHANNEL, str(message.chat_id), str(message.migrate_to_chat_id))

    return [MessageHandler(filters.StatusUpdate.MIGRATE, migrated)]
