"""Who may use admin commands, and the one answer everyone else gets."""

from __future__ import annotations

import logging
from collections.abc import Collection

from bot.channels.base import IncomingMessage, Reply
from bot.i18n import Translator

logger = logging.getLogger(__name__)


def unknown_command(t: Translator) -> Reply:
    """Answer a command that does not exist (or does not exist for this person)."""
    return Reply(t("command.unknown") + "\n\n" + t("help.text"))


class Admins:
    """The configured admins, checked on every call; refusals are logged."""

    def __init__(self, refs: Collection[str]) -> None:
        self._refs = frozenset(refs)

    def allow(self, msg: IncomingMessage) -> bool:
        """Return whether the sender is an admin; log the attempt when not."""
        if msg.user_ref in self._refs:
            return True
        what = f"/{msg.command}" if msg.command else f"button {msg.button_data.split(':')[0]}"
        logger.warning("refused %s to a non-admin", what)
        return False
