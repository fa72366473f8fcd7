"""Channel-neutral message types: what a user sent, what the bot answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


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
    # The channel's id of the message whose button was pressed (what an edit replaces).
    message_ref: str = ""

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
class TemplateUse:
    """The pre-approved short form of an unprompted reply, for channels that need one.

    WhatsApp lets a business write freely only within 24 hours of the person's last
    message; after that only templates approved by Meta go. `kind` names the template (see
    data/whatsapp/templates.yaml), `params` fill its blanks in order; its quick-reply buttons
    carry the reply's own button data, so a tap leads back into the flow, or `payloads` when
    the template's buttons lead elsewhere than the reply's (a "show me" that the full reply
    does not need).
    """

    kind: str
    params: tuple[str, ...] = ()
    payloads: tuple[str, ...] | None = None


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
    # A picture the channel already holds (its own id for an earlier upload), sent by reference.
    image_ref: str | None = None
    # With edit=True: the channel's id of the message to replace (the one whose button was
    # pressed); without it, or when it cannot be edited any more, the reply is sent anew.
    edit_ref: str | None = None
    # What must still hold for the reply to mean something when it goes ("concern:12" asks
    # about concern 12 while it waits for an answer); checked before a late send.
    valid_while: str | None = None
    # Its template, for an unprompted reply to someone outside WhatsApp's service window.
    template: TemplateUse | None = None
    # False: no preview of the links in the text (a sign-in link must not be fetched).
    preview: bool = True


@dataclass(frozen=True)
class Outcome:
    """Collect what a service wants the channel to show after one user action."""

    replies: tuple[Reply, ...] = ()
    notice: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class Recipient:
    """Name a conversation on a channel: a person's private chat or a group."""

    channel: str
    chat_id: str


class ChannelUnavailable(Exception):
    """A channel's platform cannot be reached now (network, outage): try again later."""


class ChannelRefused(Exception):
    """A channel's platform refused the configuration (a bad token): do not start."""


class SendStatus(StrEnum):
    """Say what became of handing messages to a channel."""

    SENT = "sent"
    # The person blocked the bot (or left the group): never try again.
    BLOCKED = "blocked"
    # Too many requests: try again after `retry_after` seconds; not a failure.
    RATE_LIMITED = "rate_limited"
    # Anything else (network down, server error, a refusal): `reason` says what.
    FAILED = "failed"
    # The channel does not allow this message now (WhatsApp's 24-hour service window): the
    # caller may fall back to a pre-approved template.
    NOT_ALLOWED_NOW = "not_allowed_now"


@dataclass(frozen=True)
class SendOutcome:
    """The one outcome of sending replies to a recipient."""

    status: SendStatus
    retry_after: float = 0.0
    reason: str = ""
    # The conversation moved (a Telegram group upgraded to a supergroup): its new id.
    moved_to: str | None = None
    # The channel's id of a picture uploaded with this send, to send it by reference later.
    image_ref: str | None = None
    # The channel's ids of the messages it accepted (their delivery is reported later).
    message_ids: tuple[str, ...] = ()
    # A rate-limit wait that concerns this recipient only (WhatsApp's pair rate): the others
    # may go on meanwhile.
    recipient_only: bool = False

    @property
    def sent(self) -> bool:
        """Return whether the messages went out."""
        return self.status is SendStatus.SENT


class MediaUnavailable(Exception):
    """A picture or file a channel holds could not be fetched (gone, too big, unreachable)."""


# The largest picture or file fetched from a channel (WhatsApp's own limit for images is 5 MB,
# Telegram's for bots 20 MB).
MAX_MEDIA_BYTES = 20 * 1024 * 1024


class OutboundPort(Protocol):
    """What each channel implements once: send replies nobody asked for to a recipient."""

    channel: str

    async def send(self, to: Recipient, replies: Sequence[Reply]) -> SendOutcome:
        """Send the replies in order; stop at the first that does not go, and say why."""
        ...

    async def fetch_media(self, ref: str) -> bytes:
        """Return the bytes of a picture or file this channel knows by `ref`.

        Raises MediaUnavailable when it cannot.
        """
        ...


# What a channel hands each user action to (the router), and gets back to show.
Handle = Callable[[IncomingMessage], Awaitable[Outcome]]


@dataclass(frozen=True)
class Answer:
    """An applied action: what to show at once (a tap's notice), and how to send its replies.

    The replies are already stored with the change they answer; `deliver` sends them through
    the outbound port and forgets them once sent.
    """

    outcome: Outcome
    deliver: Callable[[], Awaitable[None]]


# Apply one user action exactly once and return its answer.
Apply = Callable[[IncomingMessage], Awaitable[Answer]]
