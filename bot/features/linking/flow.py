"""/link: a code on one app, sent on the other, makes the two accounts one person."""

from __future__ import annotations

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.linking.service import LinkService, LinkStatus
from bot.i18n import Translator
from bot.shared.routes import Access, Command, FlowRoutes
from bot.storage import User


class LinkFlow:
    """Give a code, or take one."""

    def __init__(self, links: LinkService) -> None:
        self._links = links

    def routes(self) -> FlowRoutes:
        """Declare /link (with a code, even before the notice: the code's owner accepted it)."""
        return FlowRoutes(
            "linking",
            commands=(
                Command(
                    "link",
                    lambda user, msg, lang: self.on_link(user, msg, lang),
                    access=Access.ANYONE,
                    before_consent=True,
                ),
            ),
        )

    async def on_link(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /link (a new code) or /link CODE (join this account to the code's owner)."""
        t = Translator(user.language if user is not None else lang)
        code = msg.args.strip()
        if not code:
            if user is None or not user.onboarded:
                return Outcome((Reply(t("link.need_account")),))
            return Outcome((Reply(t("link.code", code=await self._links.new_code(user))),))
        result = await self._links.use_code(code, msg.channel, msg.user_ref)
        if result.status is LinkStatus.LINKED and result.person is not None:
            done = Translator(result.person.language)
            return Outcome((Reply(done("link.done")),))
        return Outcome((Reply(t(f"link.{result.status.value}")),))
