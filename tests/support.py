"""Drive a fake Telegram user against the emulator and wait for what the bot does."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller

from bot.channels.base import MediaUnavailable, Recipient, Reply, SendOutcome, SendStatus
from bot.emulator import BotApiEmulator, BotEvent, FakeUser
from bot.i18n import normalize_language, translate

MESSAGE_KINDS = ("send_message", "edit_text", "edit_markup")


@dataclass
class Phone:
    """One user's phone: send things, tap buttons, read the bot's answers."""

    emulator: BotApiEmulator
    user: FakeUser
    timeout: float = 10.0

    async def _act(self, inject: Callable[[], int], until: str | None) -> list[BotEvent]:
        before = self.emulator.last_seq
        inject()
        return await self.wait(before, until)

    async def wait(self, after_seq: int, until: str | None = None) -> list[BotEvent]:
        """Collect events in this chat until a message whose text contains `until` appears."""
        seen: list[BotEvent] = []
        last = after_seq
        while True:
            event = await self.emulator.wait_for_event(
                self.user.id, after_seq=last, timeout=self.timeout
            )
            seen.append(event)
            last = event.seq
            if event.kind in MESSAGE_KINDS and (until is None or until in (event.text or "")):
                return seen
            if event.kind == "rejected" and until is None:
                return seen

    async def send(self, text: str, until: str | None = None) -> list[BotEvent]:
        """Send a text message (or a /command) and wait for the bot's message."""
        return await self._act(lambda: self.emulator.send_text(self.user, text), until)

    async def tap(self, label: str, until: str | None = None) -> list[BotEvent]:
        """Tap the button whose label contains `label`; wait for its answer and the message."""
        message_id, data = self.find_button(label)
        return await self.tap_data(message_id, data, until)

    async def tap_data(
        self, message_id: int, data: str, until: str | None = None
    ) -> list[BotEvent]:
        """Tap a button by its raw callback data; wait for the tap's answer and the message."""
        before = self.emulator.last_seq
        seen = await self._act(
            lambda: self.emulator.press_button(self.user, message_id, data), until
        )
        last = seen[-1].seq
        while not any(
            e.kind in ("answer_callback", "rejected") and e.message_id == message_id
            for e in self.emulator.events_after(before, self.user.id)
        ):
            event = await self.emulator.wait_for_event(
                self.user.id, after_seq=last, timeout=self.timeout
            )
            last = event.seq
        return seen

    async def answer_to(self, message_id: int, data: str) -> BotEvent:
        """Tap a button by its raw callback data and return the bot's answer to that tap."""
        before = self.emulator.last_seq
        self.emulator.press_button(self.user, message_id, data)
        while True:
            event = await self.emulator.wait_for_event(
                self.user.id, after_seq=before, kinds={"answer_callback"}, timeout=self.timeout
            )
            if event.message_id == message_id:
                return event
            before = event.seq

    async def consent(self) -> None:
        """Send /start and accept the privacy notice, in the phone's language."""
        lang = normalize_language(self.user.language_code) or "fr"
        await self.send("/start", until=translate(lang, "privacy.notice")[:20])
        await self.tap(translate(lang, "privacy.accept"), until=translate(lang, "role.question"))

    def find_button(self, label: str) -> tuple[int, str]:
        """Return (message id, callback data) of the newest button containing `label`."""
        for message in reversed(self.emulator.messages(self.user.id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if label in button.get("text", ""):
                        return int(message["message_id"]), str(button["callback_data"])
        raise AssertionError(f"no button containing {label!r} in chat {self.user.id}")

    def buttons(self) -> list[str]:
        """Return the labels of the buttons on the newest message that has buttons."""
        for message in reversed(self.emulator.messages(self.user.id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            if rows:
                return [b["text"] for row in rows for b in row]
        return []

    def last_text(self) -> str:
        """Return the text of the newest bot message in this chat."""
        message = self.emulator.last_message(self.user.id)
        assert message is not None, "the bot sent nothing"
        return str(message["text"])


async def onboard(phone: Phone, role: str = "shopkeeper", core: str = "Ogy") -> None:
    """Take a phone through consent and onboarding in a Lessines core, by taps."""
    lang = phone.user.language_code or "fr"

    def t(key: str) -> str:
        return translate(lang, key)

    await phone.consent()
    await phone.tap(t(f"role.{role}"), until=t("territory.question"))
    await phone.tap("Lessines" if lang != "nl" else "Lessen", until="1/1")
    await phone.tap(core, until=t("sector.question"))
    await phone.tap("🥖", until="🎉")


async def eventually(check: Callable[[], Awaitable[bool]], attempts: int = 500) -> None:
    """Wait until an async check holds (state written after the bot's last HTTP call)."""
    step = 0.02
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")


@dataclass
class SmtpInbox:
    """What a real local SMTP server (aiosmtpd) received, and the addresses it refuses."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    # How the server answers the message itself, and after how long.
    data_reply: str = "250 Message accepted"
    data_delay_s: float = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.data_delay_s:
            # Taken, but slow to say so.
            await asyncio.sleep(self.data_delay_s)
        return self.data_reply

    def messages(self) -> list[EmailMessage]:
        """Parse what was received, as a mail client would."""
        return [
            cast(EmailMessage, message_from_bytes(raw, policy=email_policy.default))
            for _, _, raw in self.received
        ]


@contextmanager
def smtp_server() -> Iterator[SmtpInbox]:
    """Run aiosmtpd on a free loopback port for the duration of the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = SmtpInbox(port)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


class MemoryPort:
    """An in-memory channel behind the outbound port: records what it is asked to send.

    `fail` decides, per reply, an outcome other than sent (None: sent).
    """

    def __init__(
        self,
        channel: str = "telegram",
        fail: Callable[[Recipient, Reply], SendOutcome | None] | None = None,
    ) -> None:
        self.channel = channel
        self.sent: list[tuple[Recipient, Reply]] = []
        self._fail = fail
        # Pictures this channel holds, by reference.
        self.media: dict[str, bytes] = {}

    async def send(self, to: Recipient, replies: Sequence[Reply]) -> SendOutcome:
        """Record each reply until one fails."""
        for reply in replies:
            outcome = self._fail(to, reply) if self._fail else None
            if outcome is not None:
                return outcome
            self.sent.append((to, reply))
        return SendOutcome(SendStatus.SENT)

    async def fetch_media(self, ref: str) -> bytes:
        """Return a picture this channel holds."""
        if ref not in self.media:
            raise MediaUnavailable(f"no media {ref}")
        return self.media[ref]

    @property
    def texts(self) -> list[str]:
        """Return the texts sent, in order."""
        return [reply.text for _, reply in self.sent]


def echo_line(lang: str, factor: str, *places: tuple[str, int]) -> str:
    """Return the echo's line for a factor with the counts of the places shown."""
    shown = " · ".join(translate(lang, "echo.place", place=name, n=n) for name, n in places)
    return translate(lang, "echo.line", factor=factor, places=shown)
