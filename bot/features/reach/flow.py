"""Invite a neighbour: a message to forward and QR codes to show, tagged for the person's core.

The invitation names the core and the campaign ("neighbour"), never the person who sends it:
every neighbour of a core forwards the same links, so nobody learns who invited whom.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.channels.base import IncomingMessage, Outcome, Reply
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
from bot.storage import User


class InviteFlow:
    """Answer "Invite a neighbour" (a button after the echo and in /profile) and /invite."""

    def __init__(self, links: Callable[[], EntryLinks], reference: Reference) -> None:
        self._links = links
        self._ref = reference

    def routes(self) -> FlowRoutes:
        """Declare /invite and the invitation button, for onboarded people."""
        return FlowRoutes(
            "invite",
            commands=(Command("invite", lambda user, msg, _lang: self.on_request(user, msg)),),
            buttons=(Buttons(INVITE_PREFIX, lambda user, msg, _lang: self.on_request(user, msg)),),
        )

    async def on_request(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Send the message to forward, then the QR codes to show."""
        t = Translator(user.language if user else "fr")
        if msg.button_data and msg.button_data != INVITE_BUTTON_DATA:
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
