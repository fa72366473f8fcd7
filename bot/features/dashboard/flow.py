"""/dashboard: a personal sign-in link for a bound partner chat or an admin."""

from __future__ import annotations

import logging

from bot.channels.base import IncomingMessage, Outcome, Recipient, Reply, SendStatus
from bot.features.dashboard.access import LINK_TTL, DashboardAccess
from bot.features.dashboard.access_store import Holder
from bot.features.partners.service import PartnerService
from bot.i18n import Translator
from bot.shared.access import Admins, unknown_command
from bot.shared.outbound import Outbound
from bot.shared.routes import Access, Command, FlowRoutes
from bot.storage import Database, User

logger = logging.getLogger(__name__)


class DashboardFlow:
    """Answer /dashboard with a link valid 15 minutes, used once, without a preview."""

    def __init__(
        self,
        access: DashboardAccess,
        partners: PartnerService,
        admins: Admins,
        outbound: Outbound,
        db: Database,
    ) -> None:
        self._db = db
        self._access = access
        self._partners = partners
        self._admins = admins
        self._outbound = outbound

    def routes(self) -> FlowRoutes:
        """Declare /dashboard, in private chats and in a partner's group."""
        return FlowRoutes(
            "dashboard",
            commands=(
                Command(
                    "dashboard",
                    self.on_command,
                    # Checked here: a partner's chat or an admin (audited either way).
                    Access.ANYONE,
                    in_groups=True,
                ),
            ),
        )

    async def on_command(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Send the link to the person who asked: privately when they asked in a group."""
        partner = await self._partners.partner_of(msg.channel, msg.chat_ref)
        actor = f"{msg.channel}:{msg.user_ref}"
        if partner is not None:
            holder = Holder(partner.id, None)
            link_lang = partner.language if user is None else lang
        elif await self._admins.allow(msg):
            channel = "telegram" if msg.channel == "console" else msg.channel
            holder = Holder(None, f"{channel}:{msg.user_ref}")
            link_lang = lang
        else:
            return Outcome((unknown_command(Translator(lang)),))
        t = Translator(link_lang)
        url = await self._access.issue(holder, link_lang, actor)
        minutes = int(LINK_TTL.total_seconds() // 60)
        link = Reply(t("dash.link.message", url=url, minutes=minutes), preview=False)
        in_group = bool(msg.chat) and msg.chat != msg.user_ref
        if not in_group:
            return Outcome((link,))
        # In a group the link would open the dashboard for everyone who reads it: it goes to
        # the person's private chat, after the link is stored (never from inside the unit).
        recipient = Recipient(msg.channel, msg.user_ref)

        async def send_privately() -> None:
            sent = await self._outbound.send(recipient, (link,), unprompted=False)
            if sent.status is not SendStatus.SENT:
                logger.info("could not send a dashboard link privately: %s", sent.status)

        await self._db.after_unit(send_privately)
        return Outcome((Reply(t("dash.link.sent_privately")),))
