"""Define the value types shared by the Bot API emulator: limits, fake users, events, errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Methods that count against the flood limits and are refused while the user blocks the bot.
SENDING_METHODS: frozenset[str] = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "copyMessage",
        "forwardMessage",
    }
)

# Methods whose refusals are recorded as "rejected" events.
CHAT_METHODS: frozenset[str] = SENDING_METHODS | {
    "answerCallbackQuery",
    "deleteMessage",
    "sendChatAction",
}

EVENT_KINDS: frozenset[str] = frozenset(
    {
        "send_message",
        "edit_text",
        "edit_markup",
        "answer_callback",
        "send_photo",
        "send_document",
        "delete_message",
        "rejected",
    }
)


@dataclass
class EmulatorLimits:
    """Describe the flood limits the emulator enforces as token buckets (None = unlimited)."""

    global_per_s: float | None = None
    global_burst: int = 30
    per_chat_per_s: float | None = None
    per_chat_burst: int = 5
    # Share of sending calls refused with a 429 at random (Telegram's unexplained flood waits).
    random_429_share: float = 0.0
    random_429_retry_after: int = 1
    random_seed: int = 429


@dataclass(frozen=True)
class FakeUser:
    """Describe a Telegram user who talks to the bot in a private chat."""

    id: int
    first_name: str = "Test"
    language_code: str | None = "fr"
    username: str | None = None


@dataclass(frozen=True)
class BotEvent:
    """Record one thing the bot did (or tried to do) through the Bot API."""

    seq: int
    chat_id: int
    kind: str
    message_id: int | None
    text: str | None
    reply_markup: dict[str, Any] | None
    at: float
    method: str
    error: str | None = None


class ApiError(Exception):
    """Carry a Bot API error as Telegram reports it: HTTP code, description, parameters."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        """Store the Telegram error fields."""
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """Return the error envelope Telegram sends."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """Build a 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}")
