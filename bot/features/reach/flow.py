"""Invite a neighbour: a message to forward and QR codes to show, tagged for the person's core.

The invitation names the core and the campaign ("neighbour"), never the person who sends it:
every neighbour of a core forwards the same links, so nobody learns who invited whom.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply, TemplateUse
from bot.features.barometer.service import SHOW_BUTTON_DATA
from bot.features.reach.links import (
    INVITE_BUTTON_DATA,
    INVITE_PREFIX,
    Campaign,
    EntryLinks,
    EntryPoint,
)
from bot.features.reach.posters import channel_name, invitation_card
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.routes import Buttons, Command, FlowRoutes
from bot.storage import User, UserRepository

# The nudge's "no more reminders".
NUDGES_OFF_DATA = "rc:off"


class ReachFlow:
    """Answer "Invite a neighbour" (after the echo, in /profile, /invite) and the nudge's taps."""

    def __init__(
        self, links: Callable[[], EntryLinks], reference: Reference, users: UserRepository
    ) -> None:
        self._links = links
        self._ref = reference
        self._users = users

    def routes(self) -> FlowRoutes:
        """Declare /invite and the invitation button, for onboarded people."""
        return FlowRoutes(
            "invite",
            commands=(Command("invite", lambda user, msg, _lang: self.on_request(user, msg)),),
            buttons=(Buttons(INVITE_PREFIX, lambda user, msg, _lang: self.on_button(user, msg)),),
        )

    async def on_button(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Route a tap: the invitation, or "no more reminders" from the nudge."""
        if msg.button_data == NUDGES_OFF_DATA:
            t = Translator(user.language if user else "fr")
            if user is None:
                return Outcome(notice=t("button.stale"))
            if user.nudges:
                await self._users.update(user.id, nudges=False)
            return Outcome((Reply(t("nudge.off")),))
        return await self.on_request(user, msg)

    def nudge(self, user: User) -> Reply:
        """Return the one nudge: what the bot is for, the barometer, a way to turn it off."""
        t = Translator(user.language)
        core = self._ref.core(user.core_id) if user.core_id else None
        core_name = core.name(t.lang) if core else "—"
        return Reply(
            t("nudge.text", core=core_name),
            (
                (Button(t("nudge.barometer"), SHOW_BUTTON_DATA),),
                (Button(t("nudge.stop"), NUDGES_OFF_DATA),),
            ),
            template=TemplateUse("nudge", (core_name,)),
        )

    async def on_request(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Send the message to forward, then the QR codes to show."""
        t = Translator(user.language if user else "fr")
        if msg.button_data and msg.button_data not in (INVITE_BUTTON_DATA,):
            return Outcome(notice=t("button.invalid"))
        core = self._ref.core(user.core_id) if user and user.core_id else None
        if user is None or core is None:
            return Outcome((Reply(t("invite.not_yet")),))
        links = self._links()
        if not links.channels:
            return Outcome((Reply(t("invite.unavailable")),))
        codes = [
            (
                channel_name(channel),
                links.url(EntryPoint(channel, core.id, Campaign.NEIGHBOUR), t.lang),
            )
            for channel in links.channels
        ]
        forward = t(
            "invite.message",
            core=core.name(t.lang),
            links="\n".join(f"{name}: {url}" for name, url in codes),
        )
        card = await asyncio.to_thread(invitation_card, codes)
        return Outcome(
            (
                Reply(t("invite.intro")),
                Reply(forward),
                Reply(t("invite.qr_caption", core=core.name(t.lang)), image=card),
            )
        )
