"""Drive a WhatsApp user against the emulator and wait for what the bot sends."""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.whatsapp.render import PAGE_PREFIX
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator


@dataclass
class WaPhone:
    """One WhatsApp user's phone: write, tap buttons or list rows, read the bot's messages."""

    emulator: WhatsAppEmulator
    user: WaUser
    timeout: float = 15.0

    @property
    def seen(self) -> int:
        """Return how many messages the bot has sent this user so far."""
        return len(self.emulator.messages_to(self.user.wa_id))

    async def wait(self, after: int, until: str | None = None) -> list[object]:
        """Collect the bot's messages from index `after` until one whose text has `until`."""
        got: list[object] = []
        index = after
        while True:
            message = await self.emulator.wait_for_message(
                self.user.wa_id, after=index, timeout=self.timeout
            )
            got.append(message)
            index = message.index + 1
            if until is None or until in message.text:
                return got

    async def send(self, text: str, until: str | None = None) -> list[object]:
        """Write a message; wait for the bot's answer (the one containing `until`)."""
        before = self.seen
        await self.emulator.send_text(self.user, text)
        return await self.wait(before, until)

    async def choose(self, label: str, until: str | None = None) -> list[object]:
        """Tap the button or list row whose title has `label`, as a person would.

        The newest message with choices is searched first; when the label is on a later page
        of a long list, "more" is tapped until it shows.
        """
        for _ in range(12):
            messages = self.emulator.messages_to(self.user.wa_id)
            with_choices = [m for m in messages if m.buttons or m.rows]
            newest = with_choices[-1] if with_choices else None
            paged = newest is not None and any(
                r.startswith(PAGE_PREFIX) for r, _, _ in newest.rows
            )
            # The newest list first, then its next page; older messages only after that, as
            # a person reads their chat (an older list's buttons may be stale).
            for message in [newest] if paged else list(reversed(with_choices)):
                for button_id, title in message.buttons:
                    if label in title:
                        before = self.seen
                        if message.type == "template":
                            await self.emulator.tap_template_button(
                                self.user, message.id, button_id
                            )
                        else:
                            await self.emulator.tap_button(self.user, message.id, button_id)
                        return await self.wait(before, until)
                for row_id, title, description in message.rows:
                    if label in title or label in description:
                        before = self.seen
                        await self.emulator.pick_row(self.user, message.id, row_id)
                        return await self.wait(before, until)
            more = [r for r, _, _ in newest.rows if r.startswith(PAGE_PREFIX)] if newest else []
            if not more or newest is None:
                break
            before = self.seen
            await self.emulator.pick_row(self.user, newest.id, more[0])
            await self.wait(before)
        raise AssertionError(f"no button or row {label!r} in the chat")

    def texts(self) -> list[str]:
        """Return the texts of every message the bot sent this user."""
        return [m.text for m in self.emulator.messages_to(self.user.wa_id)]
