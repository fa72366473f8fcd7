"""The SQL of candidates (a person's project) and of teachers (a person and a school)."""

from __future__ import annotations

from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage import Database, utcnow

# Columns a service may change through update(); anything else is refused.
_UPDATABLE = frozenset(
    {
        "school_code",
        "school_year",
        "activity",
        "sector_id",
        "territory_id",
        "core_id",
        "stage",
        "description",
        "step",
        "completed_at",
    }
)


class Candidate(BaseModel):
    """A person's project on the entrepreneurs' path."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    school_code: str | None
    school_year: str | None
    activity: str | None
    sector_id: str | None
    territory_id: str | None
    core_id: str | None
    stage: str | None
    description: str | None
    step: str
    completed_at: str | None
    created_at: str
    updated_at: str

    @property
    def pupil(self) -> bool:
        """Return whether the person came through a school (often a minor)."""
        return self.school_code is not None


def _candidate(row: aiosqlite.Row) -> Candidate:
    return Candidate.model_validate(dict(row))


class CandidateRepository:
    """Read and write projects by person."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> Candidate | None:
        """Return the person's project, or None."""
        row = await self._db.fetch_one("SELECT * FROM candidates WHERE user_id = ?", (user_id,))
        return None if row is None else _candidate(row)

    async def create(self, user_id: int, step: str, **fields: Any) -> Candidate:
        """Start a project (or return the one there is: a second scan changes nothing)."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)}")
        now = utcnow()
        names = ["user_id", "step", "created_at", "updated_at", *sorted(fields)]
        values = [user_id, step, now, now, *(fields[n] for n in sorted(fields))]
        await self._db.execute(
            f"INSERT OR IGNORE INTO candidates ({', '.join(names)})"
            f" VALUES ({', '.join('?' for _ in names)})",
            values,
        )
        found = await self.get(user_id)
        assert found is not None
        return found

    async def update(self, user_id: int, **fields: Any) -> Candidate:
        """Change the given columns and return the project."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        assignments = ", ".join(f"{name} = :{name}" for name in sorted(fields))
        values = dict(fields, updated_at=utcnow(), user_id=user_id)
        changed = await self._db.execute(
            f"UPDATE candidates SET {assignments}, updated_at = :updated_at"
            " WHERE user_id = :user_id",
            values,
        )
        if changed != 1:
            raise LookupError(f"no project for {user_id}")
        found = await self.get(user_id)
        assert found is not None
        return found

    async def delete(self, user_id: int) -> bool:
        """Leave the path: the project goes."""
        return await self._db.execute("DELETE FROM candidates WHERE user_id = ?", (user_id,)) == 1

    async def pupils(self, school_code: str) -> int:
        """Return how many people came through a school's code."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM candidates WHERE school_code = ?", (school_code,)
        )
        return 0 if row is None else int(row[0])

    async def pupils_asking(self, school_code: str) -> int:
        """Return how many of a school's pupils asked for coaching (at least once)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT c.user_id) FROM candidates c JOIN coaching_requests r"
            " ON r.user_id = c.user_id WHERE c.school_code = ? AND r.submitted_at IS NOT NULL",
            (school_code,),
        )
        return 0 if row is None else int(row[0])


class TeacherRepository:
    """Who teaches at which school (admins register them)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user_id: int, school_code: str, by: str) -> bool:
        """Register a teacher at a school; False if already there."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO teachers (user_id, school_code, added_by, added_at)"
            " VALUES (?, ?, ?, ?)",
            (user_id, school_code, by, utcnow()),
        )
        return changed == 1

    async def remove(self, user_id: int, school_code: str) -> bool:
        """Take a teacher off a school's list."""
        changed = await self._db.execute(
            "DELETE FROM teachers WHERE user_id = ? AND school_code = ?", (user_id, school_code)
        )
        return changed == 1

    async def schools_of(self, user_id: int) -> list[str]:
        """Return the codes of the current schools a person teaches at."""
        rows = await self._db.fetch_all(
            "SELECT t.school_code FROM teachers t JOIN schools s ON s.code = t.school_code"
            " WHERE t.user_id = ? AND s.removed_at IS NULL ORDER BY t.school_code",
            (user_id,),
        )
        return [str(r[0]) for r in rows]

    async def listed(self) -> list[tuple[str, int, str, str]]:
        """Return (school code, user id, channel, external id) of every teacher."""
        rows = await self._db.fetch_all(
            "SELECT t.school_code, u.id, u.channel, u.external_id FROM teachers t"
            " JOIN users u ON u.id = t.user_id ORDER BY t.school_code, t.added_at"
        )
        return [(str(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]
