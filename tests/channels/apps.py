"""The bot on both apps at once, against the two emulators: what the end-to-end tests run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pydantic import SecretStr

from bot.app.run import RunningBot, running_bot
from bot.emulator import BotApiEmulator
from bot.emulator.whatsapp import WhatsAppEmulator
from bot.i18n import translate
from tests.channels.whatsapp.test_whatsapp_e2e import wa_settings
from tests.conftest import TEST_TOKEN


@asynccontextmanager
async def both_apps(
    database: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator, admin_wa: str
) -> AsyncIterator[RunningBot]:
    """Run the bot on Telegram and WhatsApp, one WhatsApp admin, k = 2."""
    settings = wa_settings(
        database,
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_max_rate=0,
        whatsapp_number="32460000000",
        admin_ids=(f"whatsapp:{admin_wa}",),
        anonymity_k=2,
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        yield bot


def fr(key: str, **params: object) -> str:
    """Return a French message, as the people of these tests read it."""
    return translate("fr", key, **params)


def head(key: str) -> str:
    """Return a message's words up to its first blank (what every variant starts with)."""
    return translate("fr", key).split("{")[0]
