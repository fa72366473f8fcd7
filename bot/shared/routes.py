"""What a flow declares it answers: commands (and who may use them), buttons, free text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.storage import Step, User

# What every route calls: the person (None when not stored), the message, their language.
Handler = Callable[[User | None, IncomingMessage, str], Awaitable[Outcome]]


class Access(StrEnum):
    """Say who may use a command or a button."""

    # Anyone, at whatever step, stored or not (privacy commands, a feature's own buttons).
    ANYONE = "anyone"
    # People who finished onboarding; the others get onboarding's answer instead.
    ONBOARDED = "onboarded"
    # The configured admins; everyone else is refused, and every attempt is audited.
    ADMIN = "admin"
    # Chats bound to a partner, groups included; the flow checks the binding on every call.
    PARTNER_CHAT = "partner_chat"


class TextStage(IntEnum):
    """The order in which flows get free text: the lowest that accepts it takes it."""

    # During a survey, what is typed answers the question on screen.
    SURVEY = 10
    # Text a coaching request waits for: a first name, times, a note, a relayed message.
    COACHING = 12
    # The answer to "what do you miss here?" (/missing), within the hour.
    NEED = 13
    # A landlord describing an empty shop cell (street, surface, rent, photos).
    CELL = 14
    # A candidate's application to the pop-up store, or its end-of-test survey.
    POPUP = 16
    # A producer's profile or a buyer's wishes (the local food chain).
    FOOD = 17
    # A candidate's words go to their project (never classified as a shop difficulty).
    PROJECT = 18
    # A main-role producer's other words: not a shop difficulty, and not kept.
    PRODUCER = 19
    # An onboarded person's words are a concern.
    CONCERN = 20
    # Words typed before onboarding is finished are kept for after it.
    HELD = 30


@dataclass(frozen=True)
class Command:
    """A /command a flow answers."""

    name: str
    handle: Handler
    access: Access = Access.ONBOARDED
    # Answered in group chats too (a partner's team asking for its digest).
    in_groups: bool = False
    # Answered while a person has a new privacy notice to accept (what is stored is theirs).
    before_consent: bool = False


@dataclass(frozen=True)
class Buttons:
    """The buttons whose data starts with `prefix:`."""

    prefix: str
    handle: Handler
    access: Access = Access.ANYONE
    before_consent: bool = False


@dataclass(frozen=True)
class Text:
    """Free text a flow takes at a stage, when `accepts` says the person is in its state."""

    stage: TextStage
    accepts: Callable[[User, IncomingMessage], Awaitable[bool]]
    handle: Handler


@dataclass(frozen=True)
class Photo:
    """A picture a flow takes when `accepts` says the person is in its state (photos asked for)."""

    accepts: Callable[[User, IncomingMessage], Awaitable[bool]]
    handle: Handler


@dataclass(frozen=True)
class Link:
    """A /start parameter a flow claims (a partner's invitation), before consent or onboarding."""

    accepts: Callable[[IncomingMessage], bool]
    handle: Handler
    in_groups: bool = False


@dataclass(frozen=True)
class FlowRoutes:
    """Everything one flow answers."""

    name: str
    commands: tuple[Command, ...] = ()
    buttons: tuple[Buttons, ...] = ()
    texts: tuple[Text, ...] = ()
    photos: tuple[Photo, ...] = ()
    links: tuple[Link, ...] = ()
    # Whether a late reply still means something, by the prefix of its `valid_while` key.
    still_meaningful: tuple[tuple[str, Callable[[str], Awaitable[bool]]], ...] = ()
    # Replies added when a person has just finished onboarding (messages kept meanwhile).
    after_onboarding: Callable[[User, IncomingMessage], Awaitable[tuple[Reply, ...]]] | None = None


class ConsentGate:
    """The privacy flow's gate: who must accept a new notice, and how they are asked."""

    def __init__(
        self,
        needs_consent: Callable[[User], bool],
        ask_again: Callable[[User, IncomingMessage], Awaitable[Outcome]],
    ) -> None:
        self.needs_consent = needs_consent
        self.ask_again = ask_again


def known(user: User | None) -> User:
    """Return the person a route is declared for (onboarded-only routes always have one)."""
    if user is None:
        raise ValueError("this route needs a stored person")
    return user


def is_talking(user: User) -> bool:
    """Return whether a person is past onboarding, at no question, and reachable."""
    return user.onboarded and user.step is Step.DONE and user.blocked_at is None


AdminHandler = Callable[[IncomingMessage, str], Awaitable[Outcome]]


def admin_routes(
    name: str,
    commands: Iterable[str],
    prefix: str,
    on_command: AdminHandler,
    on_button: AdminHandler,
) -> FlowRoutes:
    """Declare an admin flow: its commands and buttons, all for admins only."""
    return FlowRoutes(
        name,
        commands=tuple(
            Command(c, lambda _user, msg, lang: on_command(msg, lang), Access.ADMIN)
            for c in sorted(commands)
        ),
        buttons=(Buttons(prefix, lambda _user, msg, lang: on_button(msg, lang), Access.ADMIN),),
    )
