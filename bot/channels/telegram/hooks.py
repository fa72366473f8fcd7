"""What the Telegram channel needs from the rest of the bot, passed in (never imported)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channels.base import Apply
from bot.shared.contacts import ContactService
from bot.shared.inbox import DeliveryService


@dataclass(frozen=True)
class ChannelHooks:
    """The way in (apply an action, get its answer), the inbox, and two lookups."""

    apply: Apply
    inbox: DeliveryService
    contacts: ContactService
    # The language to address someone in: (channel, user ref, the phone's language) -> code.
    language_of: Callable[[str, str, str | None], Awaitable[str]]
    # A group got a new id (upgraded to a supergroup): (channel, old id, new id).
    chat_moved: Callable[[str, str, str], Awaitable[None]]
