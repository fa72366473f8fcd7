"""Handle onboarding and profile commands, taps and typed core searches."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer
from handlers.common import onboarding_callback

COMMANDS = (
    "start",
    "help",
    "profile",
    "language",
    "history",
    "barometer",
    "skip",
    "stop_survey",
    "survey",
    "survey_results",
    "invite_partner",
    "partners",
    "digest",
    "stop",
    "start_announcements",
    "broadcast",
    "broadcasts",
    "event",
    "events",
    "mydata",
    "forget",
    "privacy",
)

GROUP_COMMANDS = ("start", "help", "digest")


def build(hooks: ChannelHooks, renderer: TelegramRenderer) -> list[BaseHandler[Any, Any, Any]]:
    """Return the onboarding handlers."""
    callback = onboarding_callback(hooks, renderer)
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(COMMANDS, callback, filters=private & filters.UpdateType.MESSAGE),
        # An admin's broadcast with a picture: a photo captioned /broadcast.
        MessageHandler(
            private & filters.PHOTO & filters.CaptionRegex(r"^/broadcast(@\w+)?(\s|$)"), callback
        ),
        # In a group, only what a partner's team needs; PTB drops commands meant for other bots.
        CommandHandler(
            GROUP_COMMANDS, callback, filters=filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
        ),
        CallbackQueryHandler(callback, pattern=r"^(ob|pf|cc|bm|fu|sv|sa|pa|bc|ev|ea|fg|pv):"),
        MessageHandler(
            private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, callback
        ),
    ]
