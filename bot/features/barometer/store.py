"""The SQL of barometer openings: which core opened for which factor and role, and when."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import Database

_SEEDED = ("*", "*", "*")


@dataclass(frozen=True)
class Opening:
    """A core's barometer showing a factor to a role for the first time."""

    core_id: str
    role: str
    factor: str


class OpeningRepository:
    """Find cores that have just opened, record them, list who raised the factor there."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def open_now(self, since: str, at_least: int) -> list[Opening]:
        """Return (core, role, factor) raised by at least `at_least` people since a time."""
        rows = await self._db.fetch_all(
            "SELECT core_id, role, factor FROM concern_factors"
            " WHERE confirmed_at >= ? AND core_id IS NOT NULL AND role IS NOT NULL"
            " GROUP BY core_id, role, factor HAVING COUNT(DISTINCT user_id) >= ?"
            " ORDER BY core_id, role, factor",
            (since, at_least),
        )
        return [Opening(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def recorded(self) -> set[Opening]:
        """Return every opening already recorded."""
        rows = await self._db.fetch_all(
            "SELECT core_id, role, factor FROM barometer_openings WHERE core_id != '*'"
        )
        return {Opening(str(r[0]), str(r[1]), str(r[2])) for r in rows}

    async def seeded(self) -> bool:
        """Return whether the openings present at the first run were recorded."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM barometer_openings WHERE core_id = ? AND role = ? AND factor = ?",
            _SEEDED,
        )
        return row is not None

    async def record(self, openings: list[Opening], at: str, *, seed: bool = False) -> None:
        """Record openings (inside a transaction); with `seed`, mark the first run done."""
        rows = [(o.core_id, o.role, o.factor, at) for o in openings]
        if seed:
            rows.append((*_SEEDED, at))
        for row in rows:
            await self._db.execute(
                "INSERT OR IGNORE INTO barometer_openings (core_id, role, factor, opened_at)"
                " VALUES (?, ?, ?, ?)",
                row,
            )

    async def raised_by(self, opening: Opening, since: str) -> list[int]:
        """Return the people of the role who raised the factor in the core since a time."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT user_id FROM concern_factors WHERE core_id = ? AND role = ?"
            " AND factor = ? AND confirmed_at >= ? ORDER BY user_id",
            (opening.core_id, opening.role, opening.factor, since),
        )
        return [int(r[0]) for r in rows]
