"""The SQL of schools and venues (registered by the programme's staff; no person in them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import Database, utcnow


@dataclass(frozen=True)
class School:
    """A school the programme works with."""

    code: str
    name: str
    territory_id: str


@dataclass(frozen=True)
class Venue:
    """A public place where coaching appointments can take place."""

    id: int
    territory_id: str
    name: str
    address: str


class RegistryRepository:
    """Add, list and remove schools and venues (removal keeps the row, for past records)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_school(self, code: str, name: str, territory_id: str, by: str) -> bool:
        """Register a school; False if the code is taken (by a current or a removed school)."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO schools (code, name, territory_id, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code, name, territory_id, by, utcnow()),
        )
        return changed == 1

    async def schools(self) -> list[School]:
        """Return the current schools, by territory and name."""
        rows = await self._db.fetch_all(
            "SELECT code, name, territory_id FROM schools WHERE removed_at IS NULL"
            " ORDER BY territory_id, name COLLATE NOCASE"
        )
        return [School(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def school(self, code: str) -> School | None:
        """Return a current school by its code."""
        row = await self._db.fetch_one(
            "SELECT code, name, territory_id FROM schools WHERE code = ? AND removed_at IS NULL",
            (code,),
        )
        return None if row is None else School(str(row[0]), str(row[1]), str(row[2]))

    async def name(self, code: str) -> str | None:
        """Return a school's name, removed or not (a pupil's record keeps it)."""
        row = await self._db.fetch_one("SELECT name FROM schools WHERE code = ?", (code,))
        return None if row is None else str(row[0])

    async def remove_school(self, code: str) -> bool:
        """Remove a school; False if there is no such current school."""
        changed = await self._db.execute(
            "UPDATE schools SET removed_at = ? WHERE code = ? AND removed_at IS NULL",
            (utcnow(), code),
        )
        return changed == 1

    async def add_venue(self, territory_id: str, name: str, address: str, by: str) -> int:
        """Register a venue; return its id."""
        return await self._db.insert(
            "INSERT INTO venues (territory_id, name, address, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (territory_id, name, address, by, utcnow()),
        )

    async def venues(self, territory_id: str | None = None) -> list[Venue]:
        """Return the current venues, in a territory or everywhere."""
        rows = await self._db.fetch_all(
            "SELECT id, territory_id, name, address FROM venues WHERE removed_at IS NULL"
            " AND (? IS NULL OR territory_id = ?) ORDER BY territory_id, name COLLATE NOCASE",
            (territory_id, territory_id),
        )
        return [Venue(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def venue(self, venue_id: int) -> Venue | None:
        """Return a venue, removed or not (past appointments keep theirs)."""
        row = await self._db.fetch_one(
            "SELECT id, territory_id, name, address FROM venues WHERE id = ?", (venue_id,)
        )
        return None if row is None else Venue(int(row[0]), str(row[1]), str(row[2]), str(row[3]))

    async def remove_venue(self, venue_id: int) -> bool:
        """Remove a venue; False if there is no such current venue."""
        changed = await self._db.execute(
            "UPDATE venues SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
            (utcnow(), venue_id),
        )
        return changed == 1
