"""The "👀 Show" tap under a WhatsApp template: the notices that waited for it."""

from __future__ import annotations

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.notices.service import SHOW_DATA, Notices
from bot.i18n import Translator
from bot.shared.routes import Buttons, FlowRoutes
from bot.storage import Database, User

PREFIX = "nt"


class NoticesFlow:
    """Show the notices a template announced."""

    def __init__(self, db: Database, notices: Notices, admins: tuple[str, ...]) -> None:
        self._db = db
        self._notices = notices
        self._admins = frozenset(admins)

    def routes(self) -> FlowRoutes:
        """Declare the show button."""
        return FlowRoutes("notices", buttons=(Buttons(PREFIX, self.on_button),))

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Show what waited, or say there is nothing new."""
        t = Translator(lang)
        if msg.button_data != SHOW_DATA:
            return Outcome(notice=t("button.invalid"))
        # An admin may not be a stored person: their notices are kept by "channel:id".
        ref = f"{msg.channel}:{msg.user_ref}"
        admin = ref if ref in self._admins else None
        if admin is None and (user is None or not user.onboarded):
            return Outcome(notice=t("button.stale"))
        async with self._db.transaction():
            replies = await self._notices.waiting(
                user.id if user is not None and user.onboarded else None, admin, lang
            )
        return Outcome(tuple(replies) or (Reply(t("notices.nothing")),))
