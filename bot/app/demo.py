"""Chat with the real bot from a terminal: the emulator plays Telegram, stdin plays the user."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any, TextIO

from pydantic import SecretStr

from bot.app.run import running_bot
from bot.config import Settings
from bot.emulator import BotApiEmulator, BotEvent, FakeUser

DEMO_TOKEN = "1000001:demo-token-not-secret"
QUIET_S = 0.25
REPLY_TIMEOUT_S = 10.0
CONSOLE_HELP = """\
Type as the shopkeeper would. Commands:
  a number        press that button of the bot's last message
  /start, /help…  send a bot command (/start core_bru_flagey to simulate a QR poster)
  :photo :sticker :voice :location :contact :document   send a non-text message
  :quit           leave (Ctrl-D too)
"""
_NON_TEXT: dict[str, Callable[[BotApiEmulator, FakeUser], int]] = {
    ":photo": BotApiEmulator.send_photo,
    ":sticker": BotApiEmulator.send_sticker,
    ":voice": BotApiEmulator.send_voice,
    ":location": BotApiEmulator.send_location,
    ":contact": BotApiEmulator.send_contact,
    ":document": BotApiEmulator.send_document,
}


class ConsoleChat:
    """Print what the bot does in the user's chat and turn typed lines into user actions."""

    def __init__(
        self, emulator: BotApiEmulator, user: FakeUser, out: TextIO, *, echo: bool = True
    ) -> None:
        self._emulator = emulator
        self._user = user
        self._out = out
        # A terminal already shows what was typed; a script's lines need showing.
        self._echo = echo
        self._buttons: list[tuple[int, str]] = []

    def on_event(self, event: BotEvent) -> None:
        """Print one bot action in the user's chat."""
        if event.chat_id != self._user.id:
            return
        if event.kind in (
            "send_message",
            "send_photo",
            "send_document",
            "edit_text",
            "edit_markup",
        ):
            self._print_message(event)
        elif event.kind == "answer_callback" and event.text:
            self._write(f"   💬 {event.text}\n")
        elif event.kind == "rejected":
            self._write(f"   ⚠️ Bot API refused a call: {event.error}\n")

    def _print_message(self, event: BotEvent) -> None:
        if event.kind == "edit_markup":
            prefix = "🤖 (buttons updated)"
            text = ""
        else:
            prefix = {
                "edit_text": "🤖 (edited)",
                "send_photo": "🤖 🖼️ [image]",
                "send_document": "🤖 📎 [file]",
            }.get(event.kind, "🤖")
            text = event.text or ""
        lines = [f"{prefix} {text}".rstrip()]
        rows = (event.reply_markup or {}).get("inline_keyboard") or []
        buttons: list[tuple[int, str]] = []
        for row in rows:
            cells = []
            for button in row:
                buttons.append((event.message_id or 0, str(button.get("callback_data", ""))))
                cells.append(f"[{len(buttons)}] {button.get('text', '')}")
            lines.append("   " + "   ".join(cells))
        if buttons:
            self._buttons = buttons
        self._write("\n".join(lines) + "\n\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    async def act(self, line: str) -> bool:
        """Turn one typed line into a user action and wait for the bot; False means quit."""
        line = line.rstrip("\n")
        stripped = line.strip()
        if stripped in (":quit", ":q", ":exit"):
            return False
        if stripped in (":help", ":h"):
            self._write(CONSOLE_HELP)
            return True
        if not stripped:
            return True
        if self._echo:
            self._write(f"👤 {line}\n")
        before = self._emulator.last_seq
        if stripped.isdigit():
            number = int(stripped)
            if not 1 <= number <= len(self._buttons):
                self._write(
                    f"   (no button {number}; the last message has {len(self._buttons)})\n"
                )
                return True
            message_id, data = self._buttons[number - 1]
            self._emulator.press_button(self._user, message_id, data)
        elif stripped in _NON_TEXT:
            _NON_TEXT[stripped](self._emulator, self._user)
        else:
            self._emulator.send_text(self._user, line)
        await self._settle(before)
        return True

    async def _settle(self, before: int) -> None:
        """Wait for the bot's first reaction, then for it to fall quiet."""
        try:
            event = await self._emulator.wait_for_event(
                self._user.id, after_seq=before, timeout=REPLY_TIMEOUT_S
            )
        except TimeoutError:
            self._write("   (no answer from the bot)\n")
            return
        last = event.seq
        while True:
            try:
                event = await self._emulator.wait_for_event(
                    self._user.id, after_seq=last, timeout=QUIET_S
                )
            except TimeoutError:
                return
            last = event.seq


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
    """Start the emulator and the real bot, then relay the terminal until :quit or EOF."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    user = FakeUser(id=user_id, first_name="Demo", language_code=language_code)
    async with BotApiEmulator() as emulator:
        overrides: dict[str, Any] = {
            "telegram_base_url": emulator.base_url,
            "telegram_token": SecretStr(DEMO_TOKEN),
        }
        demo_settings = settings.model_copy(update=overrides)
        async with running_bot(demo_settings, poll_timeout=1):
            chat = ConsoleChat(emulator, user, out, echo=not stdin.isatty())
            emulator.subscribe(chat.on_event)
            out.write(
                "Échoppe demo: the real bot, a local Telegram emulator, database "
                f"{settings.database_path}.\n{CONSOLE_HELP}\n"
            )
            if not await chat.act("/start"):
                return 0
            while (line := await _read_line(stdin)) is not None:
                if not await chat.act(line):
                    break
            out.write("Bye!\n")
    return 0
