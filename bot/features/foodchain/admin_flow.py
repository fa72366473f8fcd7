"""Let admins validate or refuse producers' profiles (/producers): nothing shows before."""

from __future__ import annotations

import re

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.foodchain.render import producer_summary, refusal_label
from bot.features.foodchain.service import REFUSALS, FoodError, FoodService
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.routes import FlowRoutes, admin_routes
from bot.storage import Database

PREFIX = "fa"
# At most this many profiles are shown at once; the rest after these are handled.
SHOWN = 10
_BUTTON = re.compile(r"^fa:(?:(list)|(v|r):([0-9]{1,12})|x:([0-9]{1,12}):([a-z_]{1,20}))$")


class FoodAdminFlow:
    """Answer /producers: the profiles waiting, with validate and refuse."""

    def __init__(self, db: Database, food: FoodService, reference: Reference) -> None:
        self._db = db
        self._food = food
        self._ref = reference

    def routes(self) -> FlowRoutes:
        """Declare the admins' /producers and its buttons."""
        return admin_routes("food_admin", ("producers",), PREFIX, self.on_command, self.on_button)

    async def on_command(self, _msg: IncomingMessage, lang: str) -> Outcome:
        """List the profiles waiting for validation."""
        return Outcome(await self._pending(Translator(lang)))

    async def _pending(self, t: Translator) -> tuple[Reply, ...]:
        pending = await self._food.pending()
        if not pending:
            return (Reply(t("food.admin_none")),)
        replies = [Reply(t("food.admin_list", n=len(pending)))]
        for producer in pending[:SHOWN]:
            uid = producer.user_id
            replies.append(
                Reply(
                    t(
                        "food.admin_profile",
                        id=uid,
                        summary=producer_summary(self._ref, t, producer),
                    ),
                    (
                        (
                            Button(t("food.admin_validate"), f"fa:v:{uid}"),
                            Button(t("food.admin_refuse"), f"fa:r:{uid}"),
                        ),
                    ),
                )
            )
        return tuple(replies)

    async def on_button(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Validate, ask why it is refused, or refuse."""
        t = Translator(lang)
        found = _BUTTON.match(msg.button_data)
        if found is None:
            return Outcome(notice=t("button.invalid"))
        if found[1]:
            return Outcome(await self._pending(t))
        by = f"{msg.channel}:{msg.user_ref}"
        try:
            async with self._db.transaction():
                if found[2] == "v":
                    await self._food.validate(int(found[3]), by)
                    return Outcome((Reply(t("food.admin_validated", id=found[3]), edit=True),))
                if found[2] == "r":
                    return Outcome((self._reasons(t, int(found[3])),))
                await self._food.refuse(int(found[4]), by, found[5])
        except FoodError as exc:
            return Outcome(notice=t(str(exc)))
        reason = refusal_label(t, found[5])
        return Outcome((Reply(t("food.admin_refused", id=found[4], reason=reason), edit=True),))

    @staticmethod
    def _reasons(t: Translator, user_id: int) -> Reply:
        return Reply(
            t("food.admin_why"),
            tuple((Button(refusal_label(t, r), f"fa:x:{user_id}:{r}"),) for r in REFUSALS),
        )
