"""Let admins register coaches from the chat (/coach_admin)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.coaching import CoachingError, CoachingService, CoachRegistry
from bot.i18n import Translator
from bot.shared.routes import FlowRoutes, admin_routes
from bot.storage import Database

PREFIX = "ka"


class CoachAdminFlow:
    """Answer /coach_admin: the list, add (or change) and remove."""

    def __init__(
        self,
        db: Database,
        registry: CoachRegistry,
        coaching: CoachingService,
        kick: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._registry = registry
        self._coaching = coaching
        self._kick = kick

    def routes(self) -> FlowRoutes:
        """Declare the admins' /coach_admin."""
        return admin_routes(
            "coach_admin", ("coach_admin",), PREFIX, self.on_command, self.on_button
        )

    async def on_button(self, _msg: IncomingMessage, lang: str) -> Outcome:
        """No buttons: an old tap is stale."""
        return Outcome(notice=Translator(lang)("button.stale"))

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Route /coach_admin by its first word."""
        t = Translator(lang)
        words = msg.args.split()
        try:
            if not words:
                return Outcome((await self._list(t),))
            action = words[0].lower()
            if action == "add" and len(words) >= 5:
                return await self._add(t, words, f"{msg.channel}:{msg.user_ref}")
            if action == "remove" and len(words) == 2:
                done = await self._registry.remove(words[1])
                key = "coach_admin.removed" if done else "coach_admin.not_a_coach"
                return Outcome((Reply(t(key)),))
        except CoachingError as exc:
            return Outcome((Reply(t(exc.key, **exc.params)),))
        return Outcome((Reply(t("coach_admin.usage")),))

    async def _add(self, t: Translator, words: list[str], by: str) -> Outcome:
        who, territories, specialities = words[1], words[2].split(","), words[3].split(",")
        _, coach = await self._registry.add(
            who, " ".join(words[4:]), territories, specialities, by
        )
        # Requests nobody could take in these territories go to the new coach.
        async with self._db.transaction():
            routed = await self._coaching.reroute_unmatched(coach.territories)
        if routed:
            await self._kick()
        return Outcome(
            (
                Reply(
                    t(
                        "coach_admin.added",
                        name=coach.name,
                        territories=", ".join(coach.territories),
                        specialities=", ".join(coach.specialities),
                        routed=routed,
                    )
                ),
            )
        )

    async def _list(self, t: Translator) -> Reply:
        coaches = await self._registry.listed()
        if not coaches:
            return Reply(t("coach_admin.none") + "\n\n" + t("coach_admin.usage"))
        lines = [
            f"• {c.name} ({c.channel}:{c.external_id}): {', '.join(c.territories)};"
            f" {', '.join(c.specialities)}"
            for c in coaches
        ]
        return Reply(
            t("coach_admin.list", coaches="\n".join(lines)) + "\n\n" + t("coach_admin.usage")
        )
