"""A WhatsApp user's phone against the emulator: write, tap, read what the bot sent back.

Used by the tests, the benchmark and anyone driving the bot by hand; it times how long the
bot took to answer each action.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.emulator.whatsapp.models import SentMessage, WaUser
from bot.emulator.whatsapp.server import WhatsAppEmulator

# The id prefix of the "more choices" row of a long list (the bot's own convention).
PAGE_PREFIX = "~page:"


@dataclass
class WaPhone:
    """One WhatsApp user's phone: write, tap buttons or list rows, read the bot's messages."""

    emulator: WhatsAppEmulator
    user: WaUser
    timeout: float = 15.0
    # Seconds from each action to the bot's first message after it.
    latencies: list[float] = field(default_factory=list)

    @property
    def seen(self) -> int:
        """Return how many messages the bot has sent this user so far."""
        return len(self.emulator.messages_to(self.user.wa_id))

    async def wait(
        self, after: int, until: str | None = None, started: float | None = None
    ) -> list[SentMessage]:
        """Collect the bot's messages from index `after` until one whose text has `until`."""
        got: list[SentMessage] = []
        index = after
        while True:
            message = await self.emulator.wait_for_message(
                self.user.wa_id, after=index, timeout=self.timeout
            )
            if not got and started is not None:
                self.latencies.append(message.at - started)
            got.append(message)
            index = message.index + 1
            if until is None or until in message.text:
                return got

    async def send(self, text: str, until: str | None = None) -> list[SentMessage]:
        """Write a message; wait for the bot's answer (the one containing `until`)."""
        before, started = self.seen, time.time()
        await self.emulator.send_text(self.user, text)
        return await self.wait(before, until, started)

    async def choose(self, label: str, until: str | None = None) -> list[SentMessage]:
        """Tap the button or list row whose title has `label`, as a person would.

        The newest message with choices is searched first; when the label is on a later page
        of a long list, "more" is tapped until it shows.
        """
        for _ in range(12):
            with_choices = [
                m for m in self.emulator.messages_to(self.user.wa_id) if m.buttons or m.rows
            ]
            newest = with_choices[-1] if with_choices else None
            more = [r for r, _, _ in newest.rows if r.startswith(PAGE_PREFIX)] if newest else []
            # The newest list first, then its next page; older messages only after that, as
            # a person reads their chat (an older list's buttons may be stale).
            for message in [newest] if more and newest else list(reversed(with_choices)):
                for button_id, title in message.buttons:
                    if label in title:
                        return await self._tap(message, button_id, None, until)
                for row_id, title, description in message.rows:
                    if label in title or label in description:
                        return await self._tap(message, None, row_id, until)
            if newest is None or not more:
                break
            await self._tap(newest, None, more[0], None)
        raise AssertionError(f"no button or row {label!r} in the chat")

    async def _tap(
        self, message: SentMessage, button_id: str | None, row_id: str | None, until: str | None
    ) -> list[SentMessage]:
        before, started = self.seen, time.time()
        if button_id is not None and message.type == "template":
            await self.emulator.tap_template_button(self.user, message.id, button_id)
        elif button_id is not None:
            await self.emulator.tap_button(self.user, message.id, button_id)
        else:
            await self.emulator.pick_row(self.user, message.id, row_id or "")
        return await self.wait(before, until, started)

    def texts(self) -> list[str]:
        """Return the texts of every message the bot sent this user."""
        return [m.text for m in self.emulator.messages_to(self.user.wa_id)]
