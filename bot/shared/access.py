"""Who may use admin commands, and the one answer everyone else gets."""

from __future__ import annotations

import logging
from collections.abc import Collection

from bot.channels.base import IncomingMessage, Reply
from bot.i18n import Translator
from bot.storage.audit import AuditRepository

logger = logging.getLogger(__name__)


def unknown_command(t: Translator) -> Reply:
    """Answer a command that does not exist (or does not exist for this person)."""
    return Reply(t("command.unknown") + "\n\n" + t("help.text"))


class Admins:
    """The configured admins, checked on every call; every call goes in the audit trail."""

    def __init__(self, refs: Collection[str], audit: AuditRepository | None = None) -> None:
        # "whatsapp:<number>" names a WhatsApp admin; a bare id is a Telegram one (and the
        # console demo's, which stands for a Telegram user).
        self._refs = frozenset(r if ":" in r else f"telegram:{r}" for r in refs)
        self._audit = audit

    @property
    def refs(self) -> tuple[str, ...]:
        """Return every admin as "channel:id" (where the bot tells them things)."""
        return tuple(sorted(self._refs))

    async def allow(self, msg: IncomingMessage) -> bool:
        """Return whether the sender is an admin; record the attempt either way."""
        channel = "telegram" if msg.channel == "console" else msg.channel
        allowed = f"{channel}:{msg.user_ref}" in self._refs
        what = f"/{msg.command}" if msg.command else f"button {msg.button_data.split(':')[0]}"
        if not allowed:
            logger.warning("refused %s to a non-admin", what)
        if self._audit is not None:
            await self._audit.record(
                actor=f"{msg.channel}:{msg.user_ref}",
                role="admin" if allowed else "none",
                action=what,
                # The buttons' data names what was done (which broadcast, which event).
                detail=msg.button_data or msg.args[:80].split("\n", 1)[0],
                allowed=allowed,
            )
        return allowed
