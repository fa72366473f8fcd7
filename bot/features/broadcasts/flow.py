"""Answer /stop and /start_announcements, and word an admin's delivery report."""

from __future__ import annotations

import logging

from bot.channels.base import Outcome, Reply
from bot.features.broadcasts.store import Broadcast
from bot.i18n import Translator
from bot.shared.routes import Command, FlowRoutes
from bot.shared.routes import known as _known
from bot.storage import User, UserRepository

logger = logging.getLogger(__name__)


class AnnouncementsFlow:
    """Let a person turn announcements off and on; tell admins how a broadcast went."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    def routes(self) -> FlowRoutes:
        """Declare /stop and /start_announcements."""
        return FlowRoutes(
            "announcements",
            commands=tuple(
                Command(
                    name,
                    lambda user, msg, _lang: self.on_command(_known(user), msg.command.lower()),
                )
                for name in ("stop", "start_announcements")
            ),
        )

    async def on_command(self, user: User, command: str) -> Outcome:
        """Answer /stop (no more announcements) or /start_announcements."""
        t = Translator(user.language)
        wanted = command == "start_announcements"
        if user.announcements != wanted:
            await self._users.update(user.id, announcements=wanted)
            logger.info("user %d turned announcements %s", user.id, "on" if wanted else "off")
        return Outcome((Reply(t("announcements.on" if wanted else "announcements.off")),))

    async def report(
        self,
        broadcast: Broadcast,
        progress: dict[str, int],
        reasons: list[tuple[str, int]],
        statuses: dict[str, int] | None = None,
    ) -> Reply:
        """Word the delivery report of a finished (or cancelled) broadcast."""
        t = Translator(broadcast.report_language)
        lines = [
            t(
                "broadcast.report",
                id=broadcast.id,
                status=t(f"broadcast.status_{broadcast.status.value}"),
                recipients=broadcast.recipients or 0,
                sent=progress.get("sent", 0),
                blocked=progress.get("blocked", 0),
                failed=progress.get("failed", 0),
                cancelled=progress.get("cancelled", 0),
            )
        ]
        lines += [t("broadcast.report_reason", reason=reason, n=n) for reason, n in reasons]
        if statuses:
            # What WhatsApp said so far: accepted is not delivered.
            lines.append(
                t(
                    "broadcast.report_delivery",
                    delivered=statuses.get("delivered", 0) + statuses.get("read", 0),
                    read=statuses.get("read", 0),
                    failed=statuses.get("failed", 0),
                )
            )
        return Reply("\n".join(lines))
