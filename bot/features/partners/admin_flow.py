"""Let admins invite, list and revoke partners from Telegram (/invite_partner, /partners)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.partners.service import PartnerError, PartnerService
from bot.i18n import Translator
from bot.shared.routes import FlowRoutes, admin_routes

PREFIX = "pa"
COMMANDS = frozenset({"invite_partner", "partners"})
_BUTTON = re.compile(r"^pa:(r|ok):([0-9]{1,9})$|^pa:(no)$")


class PartnerAdminFlow:
    """Admin-only partner commands; anyone else is told the command does not exist."""

    def __init__(
        self,
        partners: PartnerService,
        bot_username: Callable[[], str | None],
    ) -> None:
        self._partners = partners
        self._bot_username = bot_username

    def routes(self) -> FlowRoutes:
        """Declare the admins' /invite_partner and /partners and their buttons."""
        return admin_routes("partner_admin", COMMANDS, PREFIX, self.on_command, self.on_button)

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Handle /invite_partner TERRITORY NAME… and /partners."""
        t = Translator(lang)
        if msg.command.lower() == "partners":
            return await self._list(t)
        territory, _, name = msg.args.strip().partition(" ")
        if not territory or not name.strip():
            return Outcome((Reply(t("admin.invite_usage")),))
        try:
            partner = await self._partners.create(
                name=name,
                territories=[territory.lower()],
                language=lang,
                created_by=f"{msg.channel}:{msg.user_ref}",
            )
            invitation = await self._partners.invite(
                partner.id, created_by=f"{msg.channel}:{msg.user_ref}"
            )
        except PartnerError as exc:
            return Outcome((Reply(t("admin.invite_refused", reason=str(exc))),))
        username = self._bot_username()
        text = t(
            "admin.invite_made",
            name=partner.name,
            link=invitation.link(username),
            group_link=invitation.group_link(username),
            until=f"{invitation.expires_at:%d/%m/%Y %H:%M} UTC",
        )
        return Outcome((Reply(text),))

    async def on_button(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Revoke a partner after a confirming tap."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if match[3] == "no":
            return Outcome((Reply(t("admin.revoke_cancelled"), edit=True),))
        partner_id = int(match[2])
        if match[1] == "r":
            confirm = (
                (
                    Button(t("admin.revoke_yes"), f"{PREFIX}:ok:{partner_id}"),
                    Button(t("button.no"), f"{PREFIX}:no"),
                ),
            )
            return Outcome((Reply(t("admin.revoke_confirm", id=partner_id), confirm),))
        revoked = await self._partners.revoke(partner_id)
        return Outcome(
            (
                Reply(
                    t("admin.revoked" if revoked else "admin.revoke_none", id=partner_id),
                    edit=True,
                ),
            )
        )

    async def _list(self, t: Translator) -> Outcome:
        partners = await self._partners.all()
        if not partners:
            return Outcome((Reply(t("admin.partners_none")),))
        lines = [t("admin.partners_header")]
        buttons = []
        for partner in partners:
            state = t("admin.partner_revoked") if partner.revoked_at else t("admin.partner_active")
            scope = ", ".join(partner.territories) + (
                f" ({', '.join(partner.cores)})" if partner.cores else ""
            )
            lines.append(f"{partner.id}. {partner.name} · {scope} · {state}")
            if not partner.revoked_at:
                buttons.append(
                    (Button(f"{t('admin.revoke')} {partner.id}", f"{PREFIX}:r:{partner.id}"),)
                )
        return Outcome((Reply("\n".join(lines), tuple(buttons)),))
