"""/cells_admin: admins review empty cells before anyone sees them."""

from __future__ import annotations

import re

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.cells.render import ADMIN_PREFIX, CellCards, review_reply
from bot.features.cells.service import CellError, CellService
from bot.i18n import Translator
from bot.shared.routes import FlowRoutes, admin_routes
from bot.storage import Database

# Why a cell is refused: its landlord reads the reason in their language.
REASONS = ("incomplete", "not_shop", "duplicate", "photos", "other")
_BUTTON = re.compile(r"^ca:(v|r|rr|ph|list)(?::([0-9]{1,12}))?(?::([a-z_]{1,20}))?$")
MAX_SHOWN = 10


class CellAdminFlow:
    """Show pending cells with their photos; validate or refuse with a reason."""

    def __init__(self, db: Database, cells: CellService, cards: CellCards) -> None:
        self._db = db
        self._cells = cells
        self._cards = cards

    def routes(self) -> FlowRoutes:
        """Declare the admins' /cells_admin and its buttons."""
        return admin_routes(
            "cells_admin", ("cells_admin",), ADMIN_PREFIX, self.on_command, self.on_button
        )

    async def on_command(self, _msg: IncomingMessage, lang: str) -> Outcome:
        """List the cells waiting for validation."""
        return Outcome(await self._pending(Translator(lang)))

    async def _pending(self, t: Translator) -> tuple[Reply, ...]:
        waiting = await self._cells.repo.by_status("pending", limit=MAX_SHOWN + 1)
        if not waiting:
            return (Reply(t("cells.admin_none")),)
        replies = [
            review_reply(t, self._cards, cell, *await self._cells.repo.photo_count(cell.id))
            for cell in waiting[:MAX_SHOWN]
        ]
        if len(waiting) > MAX_SHOWN:
            replies.append(Reply(t("cells.admin_more", n=MAX_SHOWN)))
        return tuple(replies)

    async def on_button(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Validate, ask why not, refuse, or show the photos."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        action, number, reason = match[1], int(match[2] or 0), match[3]
        admin = f"{msg.channel}:{msg.user_ref}"
        try:
            async with self._db.transaction():
                if action == "list":
                    return Outcome(await self._pending(t))
                if action == "v":
                    cell = await self._cells.validate(admin, number)
                    text = t("cells.admin_validated", place=self._cards.place(t, cell, full=True))
                    return Outcome((Reply(text, edit=True),))
                if action == "r":
                    rows = tuple(
                        (Button(t(f"cells.rbtn_{r}"), f"{ADMIN_PREFIX}:rr:{number}:{r}"),)
                        for r in REASONS
                    )
                    return Outcome((Reply(t("cells.admin_why"), rows),))
                if action == "rr" and reason in REASONS:
                    cell = await self._cells.refuse(admin, number, reason)
                    text = t("cells.admin_refused", place=self._cards.place(t, cell, full=True))
                    return Outcome((Reply(text, edit=True),))
                if action == "ph":
                    photos = await self._cells.repo.photos(number)
                    if not photos:
                        return Outcome(notice=t("cells.gone"))
                    return Outcome(
                        tuple(
                            Reply(f"{i + 1}/{len(photos)}", image=p) for i, p in enumerate(photos)
                        )
                    )
        except CellError as exc:
            return Outcome(notice=t(str(exc), **exc.params))
        return Outcome(notice=t("button.invalid"))
