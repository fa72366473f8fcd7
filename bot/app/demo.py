"""Chat with the real bot from a terminal: the console is a channel like Telegram or WhatsApp."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.app.container import open_services
from bot.app.run import serving
from bot.channels.console.channel import ConsoleChannel
from bot.config import Settings
from bot.i18n import normalize_language, translate


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line or None


async def run_demo(
    settings: Settings,
    *,
    user_id: int = 1001,
    language_code: str = "fr",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the bot's services and jobs with the console as its one channel, until :quit or EOF.

    No Telegram, no network: what the person types goes through the same router, store and
    outbox as on any channel, and what the jobs send unprompted is printed as it goes out.
    """
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    language = normalize_language(language_code) or "fr"
    services = await open_services(settings)
    try:
        console = ConsoleChannel(
            services.conversation.apply,
            services.onboarding.user_language,
            out,
            settings.database_path.parent / "demo-files",
            user_ref=str(user_id),
            language_hint=language,
            echo=not stdin.isatty(),
        )
        async with serving(settings, services, [console]):
            out.write(
                translate(language, "console.welcome", database=str(settings.database_path))
                + "\n"
                + await console.help_text()
                + "\n\n"
            )
            out.flush()
            if not await console.act("/start"):
                return 0
            while (line := await _read_line(stdin)) is not None:
                if not await console.act(line):
                    break
            out.write(translate(language, "console.bye") + "\n")
    finally:
        await services.close()
    return 0
