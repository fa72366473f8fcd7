"""Pass every private message, edit and tap to the router (which answers each politely)."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer
from handlers.common import onboarding_callback


def build(hooks: ChannelHooks, renderer: TelegramRenderer) -> list[BaseHandler[Any, Any, Any]]:
    """Return the catch-all handlers; the service answers each politely."""
    callback = onboarding_callback(hooks, renderer)
    private = filters.ChatType.PRIVATE
    return [
        # Unknown commands, stickers, photos, voice notes, locations, contacts, documents...
        MessageHandler(private & filters.UpdateType.MESSAGE, callback),
        # Edited messages are ignored on purpose; recorded so a redelivery stays harmless.
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, callback),
        # Forged or foreign callback data still gets an answer, so the spinner stops.
        CallbackQueryHandler(callback),
    ]
