"""Channel-neutral message types: what a user sent, what the bot answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IncomingKind(StrEnum):
    """Classify what a user sent."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    UNSUPPORTED = "unsupported"
    EDITED = "edited"


def utf16_len(text: str) -> int:
    """Return a text's length as Telegram counts it: UTF-16 units (an emoji can count two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class IncomingMessage:
    """Describe one user action, whatever the channel."""

    channel: str
    user_ref: str
    event_key: str
    kind: IncomingKind
    text: str = ""
    command: str = ""
    args: str = ""
    button_data: str = ""
    language_hint: str | None = None
    content_type: str = ""
    # The conversation (a private chat is the person; a group is shared); defaults to user_ref.
    chat: str = ""
    # A picture that came with the message (the channel's own reference to it).
    image_ref: str = ""
    # The name the person shows on the channel; stored only if they agree to share it.
    display_name: str = ""

    @property
    def chat_ref(self) -> str:
        """Return the conversation this message belongs to."""
        return self.chat or self.user_ref


@dataclass(frozen=True)
class Button:
    """Describe one inline button: a label and the data it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    """Describe one message to show; edit=True replaces the message whose button was pressed.

    With an image (PNG bytes) or a document (file name, bytes) the text is its caption, so
    keep it short.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    image: bytes | None = None
    document: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class Outcome:
    """Collect what a service wants the channel to show after one user action."""

    replies: tuple[Reply, ...] = ()
    notice: str | None = None
    duplicate: bool = False
