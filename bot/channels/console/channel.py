"""A terminal as a channel: typed lines become user actions, replies are printed."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.channels.base import (
    Apply,
    IncomingKind,
    IncomingMessage,
    MediaUnavailable,
    Recipient,
    Reply,
    SendOutcome,
    SendStatus,
)
from bot.i18n import translate

logger = logging.getLogger(__name__)

CHANNEL = "console"
# What a typed ":photo" and the like stand for: the content types other channels report.
NON_TEXT = ("photo", "sticker", "voice", "video", "document", "location", "contact")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
LanguageOf = Callable[[str, str, str | None], Awaitable[str]]


class ConsoleChannel:
    """One person chatting from a terminal; also the outbound port of the channel "console".

    Jobs (follow-ups, survey invitations, announcements, digests) reach the console through
    the same port as on any channel, so they are printed when they go out.
    """

    channel = CHANNEL

    def __init__(
        self,
        apply: Apply,
        language_of: LanguageOf,
        out: TextIO,
        files: Path,
        *,
        user_ref: str = "1001",
        language_hint: str = "fr",
        echo: bool = False,
    ) -> None:
        self._apply = apply
        self._language_of = language_of
        self._out = out
        self._files = files
        self.user_ref = user_ref
        self._hint = language_hint
        # A terminal already shows what was typed; a script's lines need showing.
        self._echo = echo
        self._message_id = 0
        # The buttons of the last message that had some: (message id, button data).
        self._buttons: list[tuple[str, str]] = []

    async def send(self, to: Recipient, replies: Sequence[Reply]) -> SendOutcome:
        """Print the replies in order (the console has one chat: the person at the keyboard)."""
        if to.chat_id != self.user_ref:
            return SendOutcome(SendStatus.FAILED, reason="not the console's chat")
        for reply in replies:
            await self._print(reply)
        return SendOutcome(SendStatus.SENT)

    async def fetch_media(self, ref: str) -> bytes:
        """Say that the console keeps no pictures to fetch."""
        raise MediaUnavailable(f"the console keeps no media ({ref})")

    async def help_text(self) -> str:
        """Return the console's own commands, in the person's language."""
        return translate(await self._language(), "console.help", non_text=_non_text_list())

    async def act(self, line: str) -> bool:
        """Turn one typed line into a user action and show its answer; False means quit."""
        stripped = line.rstrip("\n").strip()
        if stripped in (":quit", ":q", ":exit"):
            return False
        if not stripped:
            return True
        if stripped in (":help", ":h"):
            self._write(await self.help_text() + "\n")
            return True
        if self._echo:
            self._write(f"👤 {stripped}\n")
        msg = await self._incoming(stripped)
        if msg is None:
            return True
        answer = await self._apply(msg)
        if answer.outcome.notice:
            self._write(f"   💬 {answer.outcome.notice}\n")
        await answer.deliver()
        return True

    async def _incoming(self, line: str) -> IncomingMessage | None:
        def make(kind: IncomingKind, **fields: str) -> IncomingMessage:
            return IncomingMessage(
                channel=CHANNEL,
                user_ref=self.user_ref,
                # Unique across runs: the demo keeps its database, and with it the keys seen.
                event_key=f"{CHANNEL}:{uuid.uuid4().hex}",
                kind=kind,
                language_hint=self._hint,
                display_name="Demo",
                **fields,
            )

        if line.isdigit():
            number = int(line)
            if not 1 <= number <= len(self._buttons):
                self._write(
                    "   "
                    + translate(
                        await self._language(),
                        "console.no_button",
                        number=number,
                        count=len(self._buttons),
                    )
                    + "\n"
                )
                return None
            message_ref, data = self._buttons[number - 1]
            return make(IncomingKind.BUTTON, button_data=data, message_ref=message_ref)
        if line.startswith(":") and line[1:] in NON_TEXT:
            return make(IncomingKind.UNSUPPORTED, content_type=line[1:])
        command = _COMMAND.match(line)
        if command is not None:
            return make(
                IncomingKind.COMMAND,
                text=line,
                command=command[1].lower(),
                args=(command[2] or "").strip(),
            )
        return make(IncomingKind.TEXT, text=line)

    async def _print(self, reply: Reply) -> None:
        if reply.edit and reply.edit_ref:
            message_ref, prefix = reply.edit_ref, "🤖 ✏️"
        else:
            self._message_id += 1
            message_ref, prefix = str(self._message_id), "🤖"
        lines = [f"{prefix} {reply.text}".rstrip()]
        if reply.image is not None:
            kept = await asyncio.to_thread(self._keep, f"image-{message_ref}.png", reply.image)
            lines.append(f"   🖼️ {kept}")
        elif reply.image_ref:
            lines.append("   🖼️")
        if reply.document is not None:
            name, content = reply.document
            lines.append(f"   📎 {await asyncio.to_thread(self._keep, name, content)}")
        buttons: list[tuple[str, str]] = []
        for row in reply.buttons:
            cells = []
            for button in row:
                buttons.append((message_ref, button.data))
                cells.append(f"[{len(buttons)}] {button.label}")
            lines.append("   " + "   ".join(cells))
        if buttons:
            self._buttons = buttons
        elif reply.edit and self._buttons and self._buttons[0][0] == message_ref:
            # The message whose buttons were current has lost them.
            self._buttons = []
        self._write("\n".join(lines) + "\n\n")

    def _keep(self, name: str, content: bytes) -> Path:
        """Write a picture or a file the bot sent where the person can open it."""
        self._files.mkdir(parents=True, exist_ok=True)
        path = self._files / (_UNSAFE_NAME.sub("_", name).strip("._") or "file")
        path.write_bytes(content)
        return path

    async def _language(self) -> str:
        return await self._language_of(CHANNEL, self.user_ref, self._hint)

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


def _non_text_list() -> str:
    return " ".join(f":{kind}" for kind in NON_TEXT)
