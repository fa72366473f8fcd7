"""Route each user action to the flow that declared it; the precedence is written once, here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from bot.channels.base import IncomingKind, IncomingMessage, Outcome, Reply
from bot.i18n import DEFAULT_LANGUAGE, Translator, normalize_language
from bot.shared.access import Admins, unknown_command
from bot.shared.routes import (
    Access,
    Buttons,
    Command,
    ConsentGate,
    FlowRoutes,
    Handler,
    Link,
    Photo,
    Text,
)
from bot.storage import User

logger = logging.getLogger(__name__)

# Commands a group gets a pointer to the private chat for.
GROUP_POINTERS = frozenset({"start", "help"})
GetUser = Callable[[str, str], Awaitable[User | None]]


class Router:
    """Send each action to one flow, in this order.

    1. A group chat: only partner links and commands declared for groups; nobody becomes a user.
    2. The consent gate: a person with a new privacy notice to accept is asked to, except for
       what is declared `before_consent` (the privacy commands and buttons).
    3. A button, by its prefix (admin buttons checked and audited).
    4. A /start parameter a flow claims (a partner's invitation), before any other command.
    5. A command, by its name, with the access it declares; an onboarded-only command from
       someone not onboarded goes on to onboarding.
    6. Free text, to the lowest stage whose flow accepts it (surveys, coaching, needs, empty
       cells, the pop-up, the food chain, projects, concerns, held texts); a picture, to the
       flow that asked for one (an empty cell's photos).
    7. Onboarding answers everything else; when it finishes, flows add what they kept.
    """

    def __init__(
        self,
        get_user: GetUser,
        admins: Admins,
        consent: ConsentGate,
        fallback: Handler,
        flows: Sequence[FlowRoutes],
    ) -> None:
        self._get_user = get_user
        self._admins = admins
        self._consent = consent
        self._fallback = fallback
        self._commands: dict[str, Command] = {}
        self._buttons: dict[str, Buttons] = {}
        self._texts: list[Text] = []
        self._links: list[Link] = []
        self._photos: list[Photo] = []
        self._after_onboarding = [f.after_onboarding for f in flows if f.after_onboarding]
        self._meaningful = {prefix: check for f in flows for prefix, check in f.still_meaningful}
        for flow in flows:
            for command in flow.commands:
                if command.name in self._commands:
                    raise ValueError(f"/{command.name} is declared twice ({flow.name})")
                self._commands[command.name] = command
            for buttons in flow.buttons:
                if buttons.prefix in self._buttons:
                    raise ValueError(
                        f"button prefix {buttons.prefix} declared twice ({flow.name})"
                    )
                self._buttons[buttons.prefix] = buttons
            self._texts.extend(flow.texts)
            self._links.extend(flow.links)
            self._photos.extend(flow.photos)
        self._texts.sort(key=lambda text: text.stage)

    async def still_meaningful(self, key: str) -> bool:
        """Return whether a late reply's condition ("concern:12") still holds."""
        check = self._meaningful.get(key.split(":", 1)[0])
        return True if check is None else await check(key)

    async def handle(self, msg: IncomingMessage) -> Outcome:
        """Apply one user action and return what to show."""
        if msg.chat and msg.chat != msg.user_ref:
            return await self._in_group(msg)
        # One chat's updates are handled in order, so this read cannot race the write after it.
        user = await self._get_user(msg.channel, msg.user_ref)
        lang = _language(user, msg)
        if (
            user is not None
            and self._consent.needs_consent(user)
            and not self._before_consent(msg)
        ):
            return await self._consent.ask_again(user, msg)
        if msg.kind is IncomingKind.BUTTON:
            buttons = self._buttons.get(msg.button_data.split(":", 1)[0])
            if buttons is not None:
                if buttons.access is Access.ADMIN and not await self._admins.allow(msg):
                    return Outcome(notice=Translator(lang)("button.invalid"))
                return await buttons.handle(user, msg, lang)
        if msg.kind is IncomingKind.COMMAND:
            for link in self._links:
                if link.accepts(msg):
                    # No consent or onboarding: the chat speaks for a partner.
                    return await link.handle(user, msg, lang)
            command = self._commands.get(msg.command.lower())
            if command is not None:
                if command.access is Access.ADMIN:
                    # Admins are known by their channel id (settings), onboarded or not.
                    if not await self._admins.allow(msg):
                        return Outcome((unknown_command(Translator(lang)),))
                    return await command.handle(user, msg, lang)
                if command.access is not Access.ONBOARDED or (user is not None and user.onboarded):
                    return await command.handle(user, msg, lang)
        if msg.kind is IncomingKind.TEXT and user is not None:
            for text in self._texts:
                if await text.accepts(user, msg):
                    return await text.handle(user, msg, lang)
        if msg.kind is IncomingKind.UNSUPPORTED and msg.image_ref and user is not None:
            for photo in self._photos:
                if await photo.accepts(user, msg):
                    return await photo.handle(user, msg, lang)
        return await self._onboarding(user, msg, lang)

    async def _onboarding(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        outcome = await self._fallback(user, msg, lang)
        if user is None or user.onboarded or outcome.duplicate or not self._after_onboarding:
            return outcome
        after = await self._get_user(msg.channel, msg.user_ref)
        if after is None or not after.onboarded:
            return outcome
        added: tuple[Reply, ...] = ()
        for hook in self._after_onboarding:
            added += await hook(after, msg)
        return replace(outcome, replies=outcome.replies + added) if added else outcome

    def _before_consent(self, msg: IncomingMessage) -> bool:
        if msg.kind is IncomingKind.COMMAND:
            command = self._commands.get(msg.command.lower())
            return command is not None and command.before_consent
        if msg.kind is IncomingKind.BUTTON:
            buttons = self._buttons.get(msg.button_data.split(":", 1)[0])
            return buttons is not None and buttons.before_consent
        return False

    async def _in_group(self, msg: IncomingMessage) -> Outcome:
        """Serve a group: partner links and group commands only; nobody becomes a user."""
        lang = _language(None, msg)
        if msg.kind is not IncomingKind.COMMAND:
            return Outcome(())
        for link in self._links:
            if link.in_groups and link.accepts(msg):
                return await link.handle(None, msg, lang)
        name = msg.command.lower()
        command = self._commands.get(name)
        if command is not None and command.in_groups:
            return await command.handle(None, msg, lang)
        if name in GROUP_POINTERS:
            return Outcome((Reply(Translator(lang)("group.private_only")),))
        return Outcome(())


def _language(user: User | None, msg: IncomingMessage) -> str:
    """Return the person's language, or their phone's for someone not stored."""
    if user is not None:
        return user.language
    return normalize_language(msg.language_hint) or DEFAULT_LANGUAGE
