"""python-telegram-bot handlers: parse the update, call a service, render the reply."""

from __future__ import annotations

from telegram.ext import Application

from bot.channels.telegram import TelegramRenderer
from bot.services.container import Services
from handlers import errors, fallback, groups, onboarding


def register(application: Application, services: Services, renderer: TelegramRenderer) -> None:  # type: ignore[type-arg]
    """Attach every handler to the application, most specific first."""
    for handler in groups.build(services):
        application.add_handler(handler)
    for handler in onboarding.build(services, renderer):
        application.add_handler(handler)
    for handler in fallback.build(services, renderer):
        application.add_handler(handler)
    application.add_error_handler(errors.build(services, renderer))
