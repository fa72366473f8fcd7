"""python-telegram-bot handlers: parse the update, call a service, render the reply."""

from __future__ import annotations

from telegram.ext import Application

from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer
from handlers import errors, fallback, groups, onboarding


def register(application: Application, hooks: ChannelHooks, renderer: TelegramRenderer) -> None:  # type: ignore[type-arg]
    """Attach every handler to the application, most specific first."""
    for handler in groups.build(hooks):
        application.add_handler(handler)
    for handler in onboarding.build(hooks, renderer):
        application.add_handler(handler)
    for handler in fallback.build(hooks, renderer):
        application.add_handler(handler)
    application.add_error_handler(errors.build(hooks, renderer))
