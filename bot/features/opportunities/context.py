"""What an opportunity is, in words: for a candidate's screen and for the coach they ask."""

from __future__ import annotations

from bot.features.cells.render import CellCards
from bot.features.cells.store import LISTED, CellRepository
from bot.features.foodchain.render import kind_label, place, product_label
from bot.features.foodchain.service import FoodService
from bot.features.popup.render import PopupRenderer
from bot.features.popup.service import PopupService
from bot.i18n import Translator
from bot.reference import Reference

KINDS = ("need", "cell", "popup", "producer")


class OpportunityContext:
    """Describe "cell:12", "need:butcher", "popup:3" or "producer:5" as business information."""

    def __init__(
        self,
        reference: Reference,
        cells: CellRepository,
        cards: CellCards,
        popup: PopupService,
        popup_render: PopupRenderer,
        food: FoodService,
    ) -> None:
        self._ref = reference
        self._cells = cells
        self._cards = cards
        self._popup = popup
        self._popup_render = popup_render
        self._food = food

    async def describe(self, context: str, t: Translator) -> str | None:
        """Return the words for an opportunity (never a person's), or None if unknown."""
        kind, _, key = context.partition(":")
        if kind == "need":
            need = self._ref.need(key)
            return (
                None
                if need is None
                else t("opp.about_need", need=f"{need.emoji} {need.label(t.lang)}")
            )
        if not key.isdigit() or len(key) > 12:
            return None
        if kind == "cell":
            cell = await self._cells.get(int(key))
            # Only what people may see: a cell not (or no longer) listed tells nothing.
            if cell is None or cell.status != LISTED:
                return t("opp.about_cell_gone")
            return t("opp.about_cell", place=self._cards.place(t, cell), surface=cell.surface_m2)
        if kind == "popup":
            period = await self._popup.repo.period(int(key))
            popup = await self._popup.repo.popup(period.popup_id) if period else None
            if period is None or popup is None:
                return None
            return t(
                "opp.about_popup",
                place=popup.place,
                dates=self._popup_render.dates(period, t.lang),
            )
        if kind == "producer":
            producer = await self._food.repo.producer(int(key))
            if producer is None or producer.status != "validated" or producer.kind is None:
                return None
            return t(
                "opp.about_producer",
                kind=kind_label(t, producer.kind),
                village=place(self._ref, t, producer.core_id),
                products=", ".join(product_label(t, p.product) for p in producer.products),
            )
        return None
