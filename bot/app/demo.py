"""Chat with the real bot from a terminal: the console is a channel like Telegram or WhatsApp."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

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


WHATSAPP_MEDIA = ("image", "audio", "video", "document", "sticker", "location", "contacts")
QUIET_S = 0.3


class WhatsAppConsole:
    """Show a WhatsApp chat in the terminal as the app shows it, and act for the person."""

    def __init__(self, emulator: Any, user: Any, out: TextIO, *, echo: bool) -> None:
        self._emulator = emulator
        self._user = user
        self._out = out
        self._echo = echo
        self._next = 0
        self._choices: list[tuple[str, str, str]] = []  # (kind, message id, choice id)
        self._arrived = asyncio.Event()

    async def watch(self) -> None:
        """Print the bot's messages to this person as they come."""
        while True:
            message = await self._emulator.wait_for_message(
                self._user.wa_id, after=self._next, timeout=3600
            )
            self._next = message.index + 1
            self._print(message)
            self._arrived.set()

    def _print(self, message: Any) -> None:
        lines = []
        if message.type == "template":
            lines.append(f"📄 [template {message.template_name}]")
        if message.type in ("image", "document"):
            lines.append("🖼️" if message.type == "image" else f"📎 {message.filename or ''}")
        if message.text:
            lines.append(f"🟢 {message.formatted}")
        choices: list[tuple[str, str, str]] = []
        kind = "template" if message.type == "template" else "button"
        for button_id, title in message.buttons:
            choices.append((kind, message.id, button_id))
            lines.append(f"   [{len(choices)}] {title}")
        if message.rows:
            lines.append(f"   ☰ {message.list_button}")
        for row_id, title, description in message.rows:
            choices.append(("row", message.id, row_id))
            lines.append(
                f"   [{len(choices)}] {title}" + (f" — {description}" if description else "")
            )
        if choices:
            self._choices = choices
        self._out.write("\n".join(lines) + "\n\n")
        self._out.flush()

    async def act(self, line: str, help_text: str) -> bool:
        """Turn one typed line into what the person does; False means quit."""
        stripped = line.strip()
        if stripped in (":quit", ":q", ":exit"):
            return False
        if not stripped:
            return True
        if stripped in (":help", ":h"):
            self._out.write(help_text + "\n")
            return True
        if self._echo:
            self._out.write(f"👤 {stripped}\n")
        self._arrived.clear()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self._choices):
            kind, message_id, choice = self._choices[int(stripped) - 1]
            if kind == "row":
                await self._emulator.pick_row(self._user, message_id, choice)
            elif kind == "template":
                await self._emulator.tap_template_button(self._user, message_id, choice)
            else:
                await self._emulator.tap_button(self._user, message_id, choice)
        elif stripped.startswith(":") and stripped[1:] in WHATSAPP_MEDIA:
            await self._emulator.send_media(self._user, stripped[1:])
        else:
            await self._emulator.send_text(self._user, stripped)
        await self._settle()
        return True

    async def _settle(self) -> None:
        """Wait for the bot's first answer, then for it to fall quiet."""
        timeout = 10.0
        while True:
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return
            self._arrived.clear()
            timeout = QUIET_S


async def run_whatsapp_demo(
    settings: Settings,
    *,
    wa_id: str = "32470001001",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the real bot on WhatsApp against the project's Cloud API emulator, in a terminal."""
    from pydantic import SecretStr

    from bot.app.run import running_bot
    from bot.emulator.whatsapp import WaUser, WhatsAppEmulator

    stdin = stdin or sys.stdin
    out = out or sys.stdout
    async with WhatsAppEmulator() as emulator:
        demo_settings = settings.model_copy(
            update={
                "telegram_token": None,
                "whatsapp_token": SecretStr("wa-test-token"),
                "whatsapp_app_secret": SecretStr("wa-app-secret"),
                "whatsapp_verify_token": SecretStr("wa-verify"),
                "whatsapp_phone_number_id": "1000000001",
                "whatsapp_business_account_id": "2000000002",
                "whatsapp_api_url": emulator.base_url,
                "http_port": 0,
            }
        )
        async with running_bot(demo_settings) as bot:
            emulator.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
            console = WhatsAppConsole(
                emulator, WaUser(wa_id, "Demo"), out, echo=not stdin.isatty()
            )
            help_text = translate(
                "fr", "console.help", non_text=" ".join(f":{k}" for k in WHATSAPP_MEDIA)
            )
            out.write(
                translate("fr", "console.welcome", database=str(settings.database_path))
                + " (WhatsApp)\n"
                + help_text
                + "\n\n"
            )
            watcher = asyncio.create_task(console.watch())
            try:
                if await console.act("Bonjour", help_text):
                    while (line := await _read_line(stdin)) is not None:
                        if not await console.act(line, help_text):
                            break
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            out.write(translate("fr", "console.bye") + "\n")
    return 0
