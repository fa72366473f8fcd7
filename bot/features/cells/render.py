"""How a cell reads: its card, and the notices its landlord and the admins get."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.channels.base import Button, Reply
from bot.features.cells.store import Cell, CellRepository
from bot.features.notices.service import Notices
from bot.features.notices.store import Notice
from bot.i18n import Translator
from bot.reference import Reference

ADMIN_PREFIX = "ca"
# Browse the listed cells (the opportunities view offers it too).
BROWSE_DATA = "ce:find"


def day(iso: str | None) -> str:
    """Return a date as people write it here (dd/mm/yyyy)."""
    if not iso:
        return "—"
    return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")


def local_day(iso: str | None, tz: ZoneInfo) -> str:
    """Return the local date of a stored time."""
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%d/%m/%Y")


class CellCards:
    """Write a cell's card for people browsing, for its landlord, and for admins."""

    def __init__(self, reference: Reference, tz: ZoneInfo) -> None:
        self._ref = reference
        self.tz = tz

    def place(self, t: Translator, cell: Cell, *, full: bool = False) -> str:
        """Return "Rue X (Centre)", with the house number only where it may be shown."""
        core = self._ref.core(cell.core_id) if cell.core_id else None
        street = cell.street or "—"
        if cell.number and (full or cell.show_number):
            street = f"{street} {cell.number}"
        return f"{street} ({core.name(t.lang) if core else '—'})"

    def card(self, t: Translator, cell: Cell, *, full: bool = False) -> str:
        """Return the cell's description; `full` adds what only its landlord and admins see."""
        rent = (
            t("cells.rent_one", rent=cell.rent_min)
            if cell.rent_min == cell.rent_max
            else t("cells.rent_range", low=cell.rent_min, high=cell.rent_max)
        )
        lines = [
            f"🏪 {self.place(t, cell, full=full)}",
            t(
                "cells.card_size",
                surface=cell.surface_m2 if cell.surface_m2 is not None else "—",
                front=_metres(cell.front_m),
            ),
            f"💶 {rent if cell.rent_min is not None else '—'}",
            t("cells.card_available", day=day(cell.available_from)),
        ]
        if cell.contact == "phone" and cell.phone:
            lines.append(f"📞 {cell.phone}")
        elif cell.contact == "bot":
            lines.append(t("cells.card_via_bot"))
        if full and cell.number and not cell.show_number:
            lines.append(t("cells.card_number_hidden"))
        return "\n".join(lines)


def _metres(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}".replace(".", ",")


class CellNotices:
    """Render what the landlord and the admins are told about a cell."""

    def __init__(self, repo: CellRepository, cards: CellCards) -> None:
        self._repo = repo
        self._cards = cards

    def register(self, notices: Notices) -> None:
        """Declare the cells' notices."""
        notices.register("cell.review", self.review, "cells.news_what")
        notices.register("cell.validated", self.validated, "cells.news_what")
        notices.register("cell.refused", self.refused, "cells.news_what")
        notices.register("cell.still_free", self.still_free, "cells.news_what")
        notices.register("cell.expired", self.expired, "cells.news_what")
        notices.register("cell.interest", self.interest, "cells.news_interest")

    async def _cell(self, notice: Notice, *statuses: str) -> Cell | None:
        cell = await self._repo.get(notice.subject_id)
        return cell if cell is not None and cell.status in statuses else None

    async def review(self, notice: Notice, t: Translator) -> Reply | None:
        """Tell an admin a cell waits for validation."""
        cell = await self._cell(notice, "pending")
        if cell is None:
            return None
        return review_reply(t, self._cards, cell, *await self._repo.photo_count(cell.id))

    async def validated(self, notice: Notice, t: Translator) -> Reply | None:
        """Tell a landlord their cell is listed."""
        cell = await self._cell(notice, "validated")
        if cell is None:
            return None
        return Reply(
            t(
                "cells.validated",
                place=self._cards.place(t, cell, full=True),
                until=local_day(cell.expires_at, self._cards.tz),
            ),
            ((Button(t("cells.mine_button"), "ce:mine"),),),
        )

    async def refused(self, notice: Notice, t: Translator) -> Reply | None:
        """Tell a landlord their cell was not listed, and why."""
        cell = await self._cell(notice, "refused")
        if cell is None:
            return None
        return Reply(
            t(
                "cells.refused",
                place=self._cards.place(t, cell, full=True),
                reason=t(f"cells.reason_{notice.params.get('reason', 'other')}"),
            ),
            ((Button(t("cells.change"), f"ce:edit:{cell.id}"),),),
        )

    async def still_free(self, notice: Notice, t: Translator) -> Reply | None:
        """Ask a landlord, once, whether their listed cell is still free."""
        cell = await self._cell(notice, "validated")
        if cell is None:
            return None
        return Reply(
            t(
                "cells.still_free_q",
                place=self._cards.place(t, cell, full=True),
                until=local_day(cell.expires_at, self._cards.tz),
            ),
            (
                (Button(t("cells.free_button"), f"ce:free:{cell.id}"),),
                (Button(t("cells.let_button"), f"ce:let:{cell.id}"),),
            ),
        )

    async def expired(self, notice: Notice, t: Translator) -> Reply | None:
        """Tell a landlord their listing was taken down; one tap puts it back."""
        cell = await self._cell(notice, "expired")
        if cell is None:
            return None
        return Reply(
            t("cells.expired", place=self._cards.place(t, cell, full=True)),
            (
                (Button(t("cells.back_button"), f"ce:free:{cell.id}"),),
                (Button(t("cells.let_button"), f"ce:let:{cell.id}"),),
            ),
        )

    async def interest(self, notice: Notice, t: Translator) -> Reply | None:
        """Pass a person's first name and contact, as they agreed, to the landlord."""
        cell = await self._repo.get(notice.subject_id)
        if cell is None or notice.about_user_id is None:
            return None
        interest = await self._repo.interest(cell.id, notice.about_user_id)
        if interest is None or interest.status != "sent":
            return None
        return interest_message(t, self._cards, cell, interest.first_name, interest.contact)


def interest_message(
    t: Translator, cards: CellCards, cell: Cell, first_name: str | None, contact: str | None
) -> Reply:
    """Return exactly what a landlord receives when someone is interested."""
    return Reply(
        t(
            "cells.interest_landlord",
            name=first_name or "—",
            # What the person saw: the house number only if the landlord agreed to show it.
            place=cards.place(t, cell),
            surface=cell.surface_m2 or "—",
            contact=contact or "—",
        )
    )


def review_reply(t: Translator, cards: CellCards, cell: Cell, photos: int, failed: int) -> Reply:
    """Return a pending cell as an admin reviews it, with its buttons."""
    text = t("cells.review", card=cards.card(t, cell, full=True), photos=photos)
    if failed:
        text += "\n" + t("cells.photos_failed", n=failed)
    rows: list[tuple[Button, ...]] = [
        (
            Button(t("cells.validate"), f"{ADMIN_PREFIX}:v:{cell.id}"),
            Button(t("cells.refuse"), f"{ADMIN_PREFIX}:r:{cell.id}"),
        )
    ]
    if photos:
        rows.append((Button(t("cells.photos_button", n=photos), f"{ADMIN_PREFIX}:ph:{cell.id}"),))
    return Reply(text, tuple(rows))
