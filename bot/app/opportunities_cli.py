"""`bot.py opportunities export`: needs, cells, the pop-up and the food chain, as weekly CSV."""

from __future__ import annotations

from datetime import date

from bot.app.entrepreneurs_cli import weekly_report
from bot.config import Settings
from bot.features.foodchain.store import FoodRepository
from bot.features.opportunities.report import OpportunityReport, export_csv
from bot.features.popup.store import PopupRepository
from bot.storage.database import Database


def opportunities_export(
    settings: Settings, territory: str, date_from: str, date_to: str, out: str
) -> int:
    """Write a territory's needs and opportunities figures, week by week, gated, as CSV."""

    async def build(db: Database, first: date, last: date) -> bytes:
        report = OpportunityReport(
            db,
            settings.anonymity_k,
            PopupRepository(db).report,
            FoodRepository(db).counts,
        )
        return await export_csv(report, territory, first, last, settings.tz)

    return weekly_report(settings, territory, date_from, date_to, out, build)
