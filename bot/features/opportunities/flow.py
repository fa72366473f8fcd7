"""/opportunities: what a candidate can build on in their territory, and a coach to ask."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.cells.photos import MAX_PHOTOS
from bot.features.cells.render import BROWSE_DATA, CellCards
from bot.features.cells.service import CellService
from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.candidates_store import Candidate
from bot.features.entrepreneurs.links import COACH_BUTTON_DATA, PROJECT_BUTTON_DATA
from bot.features.foodchain.render import (
    delivery_label,
    kind_label,
    months_text,
    place,
    product_label,
    volume_label,
)
from bot.features.foodchain.service import FoodService
from bot.features.needs.service import BOARD_DAYS, FOOD, NeedService
from bot.features.opportunities.context import KINDS, OpportunityContext
from bot.features.popup.render import APPLY_DATA
from bot.features.popup.service import PopupService
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.routes import Buttons, Command, FlowRoutes, known
from bot.storage import Database, User

PREFIX = "op"
MENU_DATA = "op:menu"
_BUTTON = re.compile(
    r"^op:(menu|needs|cells|popup|food|i)(?::(need):([a-z0-9_]{1,40})|:(cell|popup|producer):([0-9]{1,12}))?$"
)
# Projects for which local producers are an opportunity (what they sell or cook is food).
FOOD_PROJECTS = frozenset({*FOOD, "cafe_bar", "restaurant"})
SHOWN = 5
CELLS_SHOWN = 3


class OpportunitiesFlow:
    """Show a candidate the needs, cells, pop-up periods and producers of their territory."""

    def __init__(
        self,
        db: Database,
        candidates: CandidateService,
        needs: NeedService,
        cells: CellService,
        cards: CellCards,
        popup: PopupService,
        food: FoodService,
        context: OpportunityContext,
        reference: Reference,
        tz: ZoneInfo,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._candidates = candidates
        self._needs = needs
        self._cells = cells
        self._cards = cards
        self._popup = popup
        self._food = food
        self._context = context
        self._ref = reference
        self._tz = tz
        self._clock = clock

    def routes(self) -> FlowRoutes:
        """Declare /opportunities and its buttons."""
        return FlowRoutes(
            "opportunities",
            commands=(Command("opportunities", self.on_command),),
            buttons=(Buttons(PREFIX, self.on_button),),
        )

    async def on_command(self, user: User | None, _msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /opportunities with the menu of what there is."""
        return await self._menu(known(user), Translator(lang))

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Show one kind of opportunity, or what a coach would be told about one."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        action = match[1]
        if action == "menu":
            return await self._menu(user, t)
        project = await self._project(user)
        if project is None:
            return Outcome((self._project_first(t),))
        territory = project.territory_id or user.territory_id
        if territory is None:
            return Outcome((Reply(t("needs.no_place")),))
        if action == "needs":
            return Outcome((await self._needs_board(t, territory),))
        if action == "cells":
            return Outcome(await self._cells_fit(t, user, project, territory))
        if action == "popup":
            return Outcome((await self._periods(t, territory),))
        if action == "food":
            return Outcome(await self._producers(t, territory))
        kind, key = match[2] or match[4], match[3] or match[5]
        if kind not in KINDS or key is None:
            return Outcome(notice=t("button.invalid"))
        about = await self._context.describe(f"{kind}:{key}", t)
        if about is None:
            return Outcome(notice=t("button.stale"))
        return Outcome(
            (
                Reply(
                    t("opp.coach_offer", about=about),
                    ((Button(t("opp.ask_coach"), f"{COACH_BUTTON_DATA}:{kind}:{key}"),),),
                ),
            )
        )

    async def _project(self, user: User) -> Candidate | None:
        candidate = await self._candidates.get(user.id)
        return candidate if candidate is not None and candidate.step == "done" else None

    @staticmethod
    def _project_first(t: Translator) -> Reply:
        return Reply(t("opp.project_first"), ((Button(t("project.my"), PROJECT_BUTTON_DATA),),))

    async def _menu(self, user: User, t: Translator) -> Outcome:
        project = await self._project(user)
        if project is None:
            return Outcome((self._project_first(t),))
        territory = self._ref.territory(project.territory_id or user.territory_id or "")
        if territory is None:
            return Outcome((Reply(t("needs.no_place")),))
        rows: list[tuple[Button, ...]] = [
            (Button(t("opp.needs_button"), f"{PREFIX}:needs"),),
            (Button(t("opp.cells_button"), f"{PREFIX}:cells"),),
            (Button(t("opp.popup_button"), f"{PREFIX}:popup"),),
        ]
        if project.sector_id in FOOD_PROJECTS:
            rows.append((Button(t("opp.food_button"), f"{PREFIX}:food"),))
        return Outcome((Reply(t("opp.menu", territory=territory.name(t.lang)), tuple(rows)),))

    def _interesting(self, t: Translator, kind: str, key: str | int) -> Button:
        return Button(t("opp.interesting"), f"{PREFIX}:i:{kind}:{key}")

    async def _needs_board(self, t: Translator, territory_id: str) -> Reply:
        """Return what people miss in the territory, and where, through the gate."""
        territory = self._ref.territory(territory_id)
        assert territory is not None
        board = (await self._needs.territory_board(territory_id))[:SHOWN]
        if not board:
            return Reply(t("opp.needs_none", k=self._needs.k, days=BOARD_DAYS))
        lines, rows = [], []
        for line in board:
            need = self._ref.need(line.sector_id)
            label = f"{need.emoji} {need.label(t.lang)}" if need else line.sector_id
            where = ", ".join(
                f"{core.name(t.lang)} {n}"
                for core_id, n in sorted(line.cores.items(), key=lambda item: -item[1])
                if (core := self._ref.core(core_id)) is not None
            )
            lines.append(
                t(
                    "opp.needs_line",
                    need=label,
                    n=line.territory,
                    where=where or t("opp.needs_spread"),
                )
            )
            rows.append((Button(f"⭐ {label}"[:20], f"{PREFIX}:i:need:{line.sector_id}"),))
        text = t("opp.needs_header", territory=territory.name(t.lang), days=BOARD_DAYS)
        return Reply(text + "\n" + "\n".join(lines), tuple(rows))

    async def _cells_fit(
        self, t: Translator, user: User, project: Candidate, territory_id: str
    ) -> tuple[Reply, ...]:
        """Return the listed cells, those in the project's area first."""
        listed = await self._cells.browse(territory_id, None, 0)
        listed.sort(key=lambda c: (c.core_id != project.core_id,))
        if not listed:
            return (Reply(t("opp.cells_none")),)
        replies = []
        for cell in listed[:CELLS_SHOWN]:
            photos = await self._cells.repo.photos(cell.id, limit=1)
            rows: list[tuple[Button, ...]] = [(self._interesting(t, "cell", cell.id),)]
            if cell.user_id != user.id:
                rows.insert(0, (Button(t("cells.interested"), f"ce:i:{cell.id}"),))
            replies.append(
                Reply(self._cards.card(t, cell), tuple(rows), image=photos[0] if photos else None)
            )
        replies.append(
            Reply(
                t("opp.cells_more", n=len(listed), max=MAX_PHOTOS),
                ((Button(t("cells.search"), BROWSE_DATA),),),
            )
        )
        return tuple(replies)

    async def _periods(self, t: Translator, territory_id: str) -> Reply:
        """Return the pop-up's next test periods with their spaces left."""
        today = self._clock().astimezone(self._tz).date()
        periods = (await self._popup.next_periods(territory_id, today))[:SHOWN]
        if not periods:
            return Reply(t("opp.popup_none"))
        lines, rows = [], []
        for period in periods:
            first, last = period.starts_on, period.ends_on
            dates = f"{first:%d/%m/%Y} – {last:%d/%m/%Y}"
            lines.append(
                t("opp.popup_line", place=period.place, dates=dates, n=period.spaces_left)
            )
            rows.append(
                (
                    Button(
                        t("opp.apply", dates=f"{first:%d/%m}"),
                        APPLY_DATA.format(period_id=period.period_id),
                    ),
                    self._interesting(t, "popup", period.period_id),
                )
            )
        return Reply(t("opp.popup_header") + "\n" + "\n".join(lines), tuple(rows))

    async def _producers(self, t: Translator, territory_id: str) -> tuple[Reply, ...]:
        """Return the validated local producers of the territory (business information)."""
        producers = (await self._food.producers(territory_id))[:SHOWN]
        if not producers:
            return (Reply(t("opp.food_none")),)
        replies = []
        for producer in producers:
            offers = "\n".join(
                t(
                    "food.product_line",
                    product=product_label(t, o.product),
                    months=months_text(t, sum(1 << (m - 1) for m in o.months)),
                    volume=volume_label(t, o.volume),
                )
                for o in producer.products
            )
            text = t(
                "opp.producer",
                name=producer.business_name or kind_label(t, producer.kind),
                kind=kind_label(t, producer.kind),
                village=place(self._ref, t, producer.core_id),
                products=offers or "—",
                delivery=", ".join(delivery_label(t, w) for w in producer.delivers) or "—",
            )
            replies.append(Reply(text, ((self._interesting(t, "producer", producer.user_id),),)))
        return tuple(replies)
