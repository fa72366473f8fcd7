"""The opportunities' figures for partners: needs, empty cells, the pop-up, the food chain.

Every count goes through the one gate. People who miss something are counted once however
many needs they named; the sectors are parts of that total (`gate.parts`). Cells are counted
as listings, and their surface and time on the board are shown only when the count is. The
pop-up's outcomes are parts of its applications; accepted food-chain matches are a subset of
the proposed ones (`gate.nested`).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.features.entrepreneurs.report import HIDDEN, iso_weeks
from bot.features.opportunities.report_store import OpportunityRepository
from bot.shared.gate import nested, parts, visible
from bot.storage import Database

TOP_SECTORS = 5
POPUP_OUTCOMES = ("accepted", "waitlisted", "declined")
# Raw counts a feature gives for one territory and a period [since, until) in UTC text.
Counts = Callable[[str | None, str, str], Awaitable[dict[str, int]]]


@dataclass(frozen=True)
class OpportunityFigures:
    """One period's needs and offers in a scope (None: hidden under the gate)."""

    needs_people: int | None = None
    needs_by_sector: dict[str, int] = field(default_factory=dict)
    cells_listed: int | None = None
    cells_new: int | None = None
    cells_median_m2: int | None = None
    cells_median_days: int | None = None
    cell_interests: int | None = None
    # None for a scope of cores: the pop-up and the food chain belong to a territory.
    popup_applications: int | None = None
    popup_outcomes: dict[str, int] = field(default_factory=dict)
    producers: int | None = None
    food_wishes: int | None = None
    matches_proposed: int | None = None
    matches_accepted: int | None = None

    @property
    def shows_something(self) -> bool:
        """Return whether any figure passes the gate (else no section at all)."""
        return any(
            n is not None
            for n in (
                self.needs_people,
                self.cells_listed,
                self.cells_new,
                self.cell_interests,
                self.popup_applications,
                self.producers,
                self.food_wishes,
                self.matches_proposed,
                self.matches_accepted,
            )
        )


class OpportunityReport:
    """Count needs and offers for a partner's scope, or an operator's territory."""

    def __init__(
        self,
        db: Database,
        anonymity_k: int,
        popup: Counts | None = None,
        food: Counts | None = None,
    ) -> None:
        self._repo = OpportunityRepository(db)
        self._k = anonymity_k
        self._popup = popup
        self._food = food

    async def figures(
        self,
        territories: Sequence[str],
        cores: Sequence[str],
        start: datetime,
        end: datetime,
    ) -> OpportunityFigures:
        """Return the gated figures of [start, end)."""
        since = start.astimezone(UTC).isoformat(timespec="milliseconds")
        until = end.astimezone(UTC).isoformat(timespec="milliseconds")
        k = self._k
        named = await self._repo.needs(territories, cores, since, until)
        people = {person for person, _ in named}
        by_sector = Counter(sector for _, sector in set(named))
        sectors, needs_people = parts(by_sector, len(people), k, at_most=TOP_SECTORS)
        listings = await self._repo.listings(territories, cores, since, until)
        new = [s for s in listings if since <= s[2] < until]
        # Listings are counted only when they are at least k landlords' (one landlord's five
        # cells would describe that landlord); the new ones are a subset of those on the board.
        fresh, listed = nested(
            [
                len(new) if len({s[0] for s in new}) >= k else 0,
                len(listings) if len({s[0] for s in listings}) >= k else 0,
            ],
            k,
        )
        median_m2 = median_days = None
        if listed is not None:
            median_m2 = round(statistics.median(s[1] for s in listings))
            median_days = round(
                statistics.median(_days_listed(s[2], s[3], until) for s in listings)
            )
        figures = OpportunityFigures(
            needs_people=needs_people,
            needs_by_sector=sectors,
            cells_listed=listed,
            cells_new=fresh,
            cells_median_m2=median_m2,
            cells_median_days=median_days,
            cell_interests=visible(
                await self._repo.interested(territories, cores, since, until), k
            ),
        )
        if cores:
            return figures
        popup = await _summed(self._popup, territories, since, until)
        applications = popup.get("applications", 0)
        outcomes, shown_applications = parts(
            {o: popup.get(o, 0) for o in POPUP_OUTCOMES}, applications, k
        )
        food = await _summed(self._food, territories, since, until)
        accepted, proposed = nested(
            [food.get("matches_accepted", 0), food.get("matches_proposed", 0)], k
        )
        return OpportunityFigures(
            **{
                **figures.__dict__,
                "popup_applications": shown_applications,
                "popup_outcomes": outcomes,
                "producers": visible(food.get("producers", 0), k),
                "food_wishes": visible(food.get("wishes", 0), k),
                "matches_proposed": proposed,
                "matches_accepted": accepted,
            }
        )


def _days_listed(start: str, closed: str, until: str) -> float:
    """Return how many days a listing was on the board, up to the period's end."""
    end = min(closed, until) if closed else until
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return max(delta.total_seconds(), 0.0) / 86400


async def _summed(
    counts: Counts | None, territories: Sequence[str], since: str, until: str
) -> dict[str, int]:
    """Add up a feature's counts over territories (each person belongs to one)."""
    total: Counter[str] = Counter()
    if counts is None:
        return {}
    for territory in territories:
        total.update(await counts(territory, since, until))
    return dict(total)


CSV_COLUMNS = ("week", "metric", "key", "value")


async def export_csv(
    report: OpportunityReport, territory: str, first: date, last: date, tz: ZoneInfo
) -> bytes:
    """Write a territory's figures as CSV, one gated block of rows per whole ISO week.

    As for the entrepreneurs' report: whole weeks, no total over several (a span of days or
    a total next to its weeks would give a hidden group away by subtraction). A hidden count
    reads "hidden".
    """

    def cell(value: int | None) -> str:
        return HIDDEN if value is None else str(value)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for week, monday in iso_weeks(first, last):
        start = datetime.combine(monday, time(0), tz)
        end = datetime.combine(monday + timedelta(days=7), time(0), tz)
        f = await report.figures([territory], [], start, end)
        writer.writerow((week, "needs_people", "", cell(f.needs_people)))
        for sector, count in sorted(f.needs_by_sector.items()):
            writer.writerow((week, "needs_people_by_sector", sector, str(count)))
        writer.writerow((week, "cells_listed", "", cell(f.cells_listed)))
        writer.writerow((week, "cells_new", "", cell(f.cells_new)))
        writer.writerow((week, "cells_median_m2", "", cell(f.cells_median_m2)))
        writer.writerow((week, "cells_median_days_listed", "", cell(f.cells_median_days)))
        writer.writerow((week, "cell_interests", "", cell(f.cell_interests)))
        writer.writerow((week, "popup_applications", "", cell(f.popup_applications)))
        for outcome in POPUP_OUTCOMES:
            writer.writerow((week, "popup_outcome", outcome, cell(f.popup_outcomes.get(outcome))))
        writer.writerow((week, "food_producers_validated", "", cell(f.producers)))
        writer.writerow((week, "food_buyer_wishes_added", "", cell(f.food_wishes)))
        writer.writerow((week, "food_matches_proposed", "", cell(f.matches_proposed)))
        writer.writerow((week, "food_matches_accepted", "", cell(f.matches_accepted)))
    return out.getvalue().encode("utf-8")
