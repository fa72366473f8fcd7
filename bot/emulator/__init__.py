"""Emulate the Telegram Bot API locally so the real python-telegram-bot stack can be driven."""

from bot.emulator.models import BotEvent, EmulatorLimits, FakeUser
from bot.emulator.server import BotApiEmulator

__all__ = ["BotApiEmulator", "BotEvent", "EmulatorLimits", "FakeUser"]
