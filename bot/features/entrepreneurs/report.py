"""The candidate entrepreneurs' figures: the partners' digest section and the CSV report.

Every count is of people and goes through the one gate: under k it is hidden; a part of a
total (a stage, a sector) is hidden so that what is hidden is never a small group; a subset
shown next to its set (accepted within 48 hours, of the requests) differs from it by 0 or k
or more.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.features.entrepreneurs.candidates import STAGES
from bot.features.entrepreneurs.report_store import ReportRepository
from bot.shared.gate import nested, parts, visible
from bot.storage import Database

ACCEPTED_WITHIN = timedelta(hours=48)
TOP_SECTORS = 5


@dataclass(frozen=True)
class CandidateFigures:
    """One period's candidate entrepreneurs in a scope (None: hidden under the gate)."""

    new_candidates: int | None
    by_stage: dict[str, int] = field(default_factory=dict)
    by_sector: dict[str, int] = field(default_factory=dict)
    # None for a scope of cores: sessions belong to a territory.
    sessions_held: int | None = 0
    sessions_attended: int | None = None
    requests: int | None = None
    accepted_48h: int | None = None
    appointments_held: int | None = None

    @property
    def shows_something(self) -> bool:
        """Return whether any figure passes the gate (else no section: its presence alone
        would tell that a few people did something)."""
        return bool(self.sessions_held) or any(
            n is not None
            for n in (
                self.new_candidates,
                self.sessions_attended,
                self.requests,
                self.accepted_48h,
                self.appointments_held,
            )
        )


class CandidateReport:
    """Count the entrepreneurs' path for a partner's scope, or an operator's territory."""

    def __init__(self, db: Database, anonymity_k: int) -> None:
        self._repo = ReportRepository(db)
        self._k = anonymity_k

    async def figures(
        self,
        territories: Sequence[str],
        cores: Sequence[str],
        start: datetime,
        end: datetime,
    ) -> CandidateFigures:
        """Return the gated figures of [start, end)."""
        # Stored times are UTC text: the bounds must be too, or the window shifts by hours.
        since = start.astimezone(UTC).isoformat(timespec="milliseconds")
        until = end.astimezone(UTC).isoformat(timespec="milliseconds")
        k = self._k
        projects = await self._repo.new_candidates(territories, cores, since, until)
        total = len(projects)
        stages, _ = parts(Counter(s for s, _ in projects if s in STAGES), total, k)
        sectors, _ = parts(Counter(s for _, s in projects if s), total, k, at_most=TOP_SECTORS)
        # Sessions belong to a territory, not a core: a partner of some cores sees none.
        held: int | None
        held, came = (None, 0) if cores else await self._repo.sessions(territories, since, until)
        asked, quick = await self._repo.requests(
            territories, cores, since, until, ACCEPTED_WITHIN.total_seconds()
        )
        shown_quick, shown_asked = nested([quick, asked], k)
        met = await self._repo.appointments_held(territories, cores, since, until)
        return CandidateFigures(
            new_candidates=visible(total, k),
            by_stage=stages,
            by_sector=sectors,
            sessions_held=held,
            sessions_attended=visible(came, k),
            requests=shown_asked,
            accepted_48h=shown_quick,
            appointments_held=visible(met, k),
        )


CSV_COLUMNS = ("week", "metric", "key", "value")
HIDDEN = "hidden"


def iso_weeks(first: date, last: date) -> list[tuple[str, date]]:
    """Return the ISO weeks ("2027-W09", their Monday) that the days first..last touch."""
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        year, number, _ = monday.isocalendar()
        weeks.append((f"{year}-W{number:02d}", monday))
        monday += timedelta(days=7)
    return weeks


async def report_csv(
    report: CandidateReport, territory: str, first: date, last: date, tz: ZoneInfo
) -> bytes:
    """Write a territory's figures as CSV, one block of rows per whole ISO week.

    Whole weeks, each gated as the partners' digest gates it, and no total over several:
    spans of days, or a total next to its weeks, would let a hidden group be worked out by
    subtraction. A hidden count reads "hidden".
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
        writer.writerow((week, "new_candidates", "", cell(f.new_candidates)))
        for stage in STAGES:
            writer.writerow((week, "new_candidates_by_stage", stage, cell(f.by_stage.get(stage))))
        for sector, count in sorted(f.by_sector.items()):
            writer.writerow((week, "new_candidates_by_sector", sector, str(count)))
        writer.writerow((week, "information_sessions_held", "", cell(f.sessions_held)))
        writer.writerow((week, "information_sessions_attended", "", cell(f.sessions_attended)))
        writer.writerow((week, "coaching_requests", "", cell(f.requests)))
        writer.writerow((week, "accepted_within_48h", "", cell(f.accepted_48h)))
        writer.writerow((week, "appointments_held", "", cell(f.appointments_held)))
    return out.getvalue().encode("utf-8")
