"""Answer a partner invitation link opened in Telegram (/start partner_...)."""

from __future__ import annotations

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.partners.service import LINK_PREFIX, PartnerService, Redeemed
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.routes import FlowRoutes, Link
from bot.storage.audit import AuditRepository


def is_partner_link(msg: IncomingMessage) -> bool:
    """Return whether a message is /start with a partner invitation."""
    return msg.command.lower() == "start" and msg.args.strip().startswith(LINK_PREFIX)


class PartnerFlow:
    """Bind the chat that opens an invitation, or say politely why not."""

    def __init__(
        self, partners: PartnerService, reference: Reference, audit: AuditRepository | None = None
    ) -> None:
        self._partners = partners
        self._ref = reference
        self._audit = audit

    def routes(self) -> FlowRoutes:
        """Declare a partner's invitation link, in a private chat or a group."""
        return FlowRoutes(
            "partners",
            links=(
                Link(is_partner_link, lambda _user, msg, lang: self.on_start(msg, lang), True),
            ),
        )

    async def on_start(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Redeem the invitation in the /start parameter for this chat."""
        t = Translator(lang)
        status, partner = await self._partners.redeem(
            msg.args.strip(), channel=msg.channel, chat_id=msg.chat_ref, event_key=msg.event_key
        )
        if status is Redeemed.DUPLICATE:
            return Outcome(duplicate=True)
        if self._audit is not None:
            await self._audit.record(
                actor=f"{msg.channel}:{msg.chat_ref}",
                role="partner" if status is Redeemed.BOUND else "none",
                action="open invitation",
                detail=status.value + (f" partner {partner.id}" if partner else ""),
                allowed=status is Redeemed.BOUND,
            )
        if status is not Redeemed.BOUND or partner is None:
            return Outcome((Reply(t(f"partner.{status.value}")),))
        places = [
            territory.name(partner.language)
            for tid in partner.territories
            if (territory := self._ref.territory(tid)) is not None
        ]
        cores = [
            core.name(partner.language)
            for cid in partner.cores
            if (core := self._ref.core(cid)) is not None
        ]
        scope = ", ".join(places) + (f" ({', '.join(cores)})" if cores else "")
        t = Translator(partner.language)
        return Outcome((Reply(t("partner.bound", name=partner.name, scope=scope)),))
