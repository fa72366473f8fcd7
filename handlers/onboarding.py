"""Handle the commands a group chat gets (a partner's team); private chats go to the fallback."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler, CommandHandler, filters

from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer
from handlers.common import onboarding_callback

# The commands flows declare with in_groups=True, plus the pointers to a private chat.
GROUP_COMMANDS = ("start", "help", "digest", "dashboard")


def build(hooks: ChannelHooks, renderer: TelegramRenderer) -> list[BaseHandler[Any, Any, Any]]:
    """Return the group command handler."""
    callback = onboarding_callback(hooks, renderer)
    # Everything in private chats goes to the router through the fallback handlers, which
    # declare nothing per command or button: what exists is what the flows declare.
    return [
        # In a group, only what a partner's team needs; PTB drops commands meant for other bots.
        CommandHandler(
            GROUP_COMMANDS, callback, filters=filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
        ),
    ]
