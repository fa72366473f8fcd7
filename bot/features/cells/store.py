"""The SQL of empty shop cells, their photos, the interest shown in them, and what is typed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import aiosqlite

from bot.storage import Database, utcnow
from bot.storage.columns import set_clause

# The columns a landlord's answers fill, one question each.
EDITABLE = frozenset(
    {
        "core_id",
        "street",
        "number",
        "show_number",
        "surface_m2",
        "front_m",
        "rent_min",
        "rent_max",
        "available_from",
        "contact",
        "phone",
    }
)
# What moving a cell to a status may stamp on it (the status itself included).
STAMPS = frozenset(
    {
        "status",
        "reason",
        "submitted_at",
        "validated_at",
        "validated_by",
        "expires_at",
        "asked_at",
        "closed_at",
    }
)
# Listed: seen by people browsing.
LISTED = "validated"
CLOSED = ("refused", "expired", "withdrawn", "let")


@dataclass(frozen=True)
class Cell:
    """One empty shop cell, as its landlord described it."""

    id: int
    user_id: int
    status: str
    territory_id: str
    core_id: str | None
    street: str | None
    number: str | None
    show_number: int
    surface_m2: int | None
    front_m: float | None
    rent_min: int | None
    rent_max: int | None
    available_from: str | None
    contact: str | None
    phone: str | None
    reason: str | None
    created_at: str
    updated_at: str
    submitted_at: str | None
    validated_at: str | None
    validated_by: str | None
    expires_at: str | None
    asked_at: str | None
    closed_at: str | None

    @property
    def subject(self) -> str:
        """Return the notices' name for this cell."""
        return f"cell:{self.id}"


_COLUMNS = ", ".join(f.name for f in fields(Cell))


def _cell(row: aiosqlite.Row) -> Cell:
    return Cell(*tuple(row))


@dataclass(frozen=True)
class Interest:
    """A person's interest in a cell: what they agreed to pass to its landlord."""

    id: int
    cell_id: int
    user_id: int
    first_name: str | None
    contact: str | None
    status: str
    created_at: str
    consented_at: str | None


@dataclass(frozen=True)
class Typing:
    """What a person's next words answer."""

    cell_id: int
    what: str
    since: str


@dataclass(frozen=True)
class PendingPhoto:
    """A picture still to download from its channel."""

    id: int
    cell_id: int
    channel: str
    ref: str
    attempts: int


class CellRepository:
    """Store cells, photos, interest and typing state."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- cells ----------------------------------------------------------------------------

    async def create(self, user_id: int, territory_id: str, core_id: str | None) -> Cell:
        """Start a draft cell."""
        now = utcnow()
        cell_id = await self._db.insert(
            "INSERT INTO cells (user_id, territory_id, core_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, territory_id, core_id, now, now),
        )
        cell = await self.get(cell_id)
        assert cell is not None
        return cell

    async def get(self, cell_id: int) -> Cell | None:
        """Return a cell."""
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM cells WHERE id = ?", (cell_id,))
        return None if row is None else _cell(row)

    async def update(self, cell_id: int, **values: Any) -> None:
        """Change what the landlord answered (only the columns of the form)."""
        assignments, given = set_clause(values, EDITABLE)
        await self._db.execute(
            f"UPDATE cells SET {assignments}, updated_at = ? WHERE id = ?",
            (*given, utcnow(), cell_id),
        )

    async def set_status(self, cell_id: int, status: str, now: str, **stamps: Any) -> bool:
        """Move a cell to a status, with the stamps that go with it; False if it is gone."""
        assignments, given = set_clause({"status": status, **stamps}, STAMPS)
        changed = await self._db.execute(
            f"UPDATE cells SET {assignments}, updated_at = ? WHERE id = ?",
            (*given, now, cell_id),
        )
        return changed == 1

    async def mark_asked(self, cell_id: int, now: str) -> None:
        """Remember the landlord was asked whether the cell is still free."""
        await self._db.execute("UPDATE cells SET asked_at = ? WHERE id = ?", (now, cell_id))

    async def delete(self, cell_id: int) -> None:
        """Delete a cell with its photos, interest and typing state."""
        await self._db.execute("DELETE FROM cells WHERE id = ?", (cell_id,))

    async def of_user(self, user_id: int) -> list[Cell]:
        """Return a person's cells, newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM cells WHERE user_id = ? ORDER BY id DESC", (user_id,)
        )
        return [_cell(r) for r in rows]

    async def by_status(self, status: str, limit: int = 50) -> list[Cell]:
        """Return cells in a status, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM cells WHERE status = ? ORDER BY submitted_at, id LIMIT ?",
            (status, limit),
        )
        return [_cell(r) for r in rows]

    async def listed(
        self,
        territory_id: str,
        core_id: str | None,
        min_m2: int,
        max_m2: int | None,
    ) -> list[Cell]:
        """Return validated cells of a territory (a core), within a surface, newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM cells WHERE status = ? AND territory_id = ?"
            " AND (? IS NULL OR core_id = ?) AND surface_m2 >= ?"
            " AND (? IS NULL OR surface_m2 < ?) ORDER BY validated_at DESC, id DESC",
            (LISTED, territory_id, core_id, core_id, min_m2, max_m2, max_m2),
        )
        return [_cell(r) for r in rows]

    async def listed_cores(self, territory_id: str) -> dict[str, int]:
        """Return how many cells are listed per core of a territory."""
        rows = await self._db.fetch_all(
            "SELECT core_id, COUNT(*) FROM cells WHERE status = ? AND territory_id = ?"
            " GROUP BY core_id",
            (LISTED, territory_id),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def to_ask(self, before: str) -> list[Cell]:
        """Return listed cells whose landlord must now be asked if they are still free."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM cells WHERE status = ? AND asked_at IS NULL"
            " AND expires_at <= ? ORDER BY expires_at",
            (LISTED, before),
        )
        return [_cell(r) for r in rows]

    async def to_expire(self, now: str) -> list[Cell]:
        """Return listed cells whose time is up."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM cells WHERE status = ? AND expires_at <= ?",
            (LISTED, now),
        )
        return [_cell(r) for r in rows]

    async def spans(self, territory_id: str | None, until: str) -> list[tuple[str, int, str, str]]:
        """Return (territory, surface, listed from, listed until or '') of every listing."""
        rows = await self._db.fetch_all(
            "SELECT territory_id, surface_m2, validated_at, COALESCE(closed_at, '') FROM cells"
            " WHERE validated_at IS NOT NULL AND validated_at < ?"
            " AND (? IS NULL OR territory_id = ?)",
            (until, territory_id, territory_id),
        )
        return [(str(r[0]), int(r[1] or 0), str(r[2]), str(r[3])) for r in rows]

    async def tidy(self, typing_before: str, interest_before: str) -> None:
        """Forget waits for answers that never came, and interests never agreed to."""
        await self._db.execute("DELETE FROM cell_typing WHERE since < ?", (typing_before,))
        await self._db.execute(
            "DELETE FROM cell_interest WHERE status = 'draft' AND created_at < ?",
            (interest_before,),
        )

    async def prune(self, closed_before: str, drafts_before: str) -> int:
        """Delete closed cells and abandoned drafts (photos go with them); return how many."""
        return await self._db.execute(
            "DELETE FROM cells WHERE (status IN ('refused', 'expired', 'withdrawn', 'let')"
            " AND closed_at < ?) OR (status = 'draft' AND updated_at < ?)",
            (closed_before, drafts_before),
        )

    # ---- photos ---------------------------------------------------------------------------

    async def add_photo(self, cell_id: int, channel: str, ref: str) -> int:
        """Keep a picture's channel id until it is downloaded."""
        return await self._db.insert(
            "INSERT INTO cell_photos (cell_id, channel, ref, created_at) VALUES (?, ?, ?, ?)",
            (cell_id, channel, ref, utcnow()),
        )

    async def photo_count(self, cell_id: int) -> tuple[int, int]:
        """Return (photos kept or on their way, photos that could not be read)."""
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(status != 'failed'), 0), COALESCE(SUM(status = 'failed'), 0)"
            " FROM cell_photos WHERE cell_id = ?",
            (cell_id,),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def pending_photos(self, limit: int = 20) -> list[PendingPhoto]:
        """Return pictures still to download, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id, cell_id, channel, ref, attempts FROM cell_photos"
            " WHERE status = 'pending' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [PendingPhoto(int(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in rows]

    async def photo_ready(self, photo_id: int, image: bytes) -> None:
        """Keep a cleaned picture; its channel id is no longer needed."""
        await self._db.execute(
            "UPDATE cell_photos SET image = ?, bytes = ?, ref = NULL, status = 'ready'"
            " WHERE id = ? AND status = 'pending'",
            (image, len(image), photo_id),
        )

    async def photo_failed(self, photo_id: int, final: bool) -> None:
        """Count a failed download; give up on it when final."""
        await self._db.execute(
            "UPDATE cell_photos SET attempts = attempts + 1,"
            " status = CASE WHEN ? THEN 'failed' ELSE status END,"
            " ref = CASE WHEN ? THEN NULL ELSE ref END WHERE id = ?",
            (final, final, photo_id),
        )

    async def photos(self, cell_id: int, limit: int = 5) -> list[bytes]:
        """Return a cell's cleaned pictures, in the order they were sent."""
        rows = await self._db.fetch_all(
            "SELECT image FROM cell_photos WHERE cell_id = ? AND status = 'ready'"
            " ORDER BY id LIMIT ?",
            (cell_id, limit),
        )
        return [bytes(r[0]) for r in rows]

    async def drop_photos(self, cell_id: int) -> None:
        """Delete a cell's pictures (the landlord sends new ones)."""
        await self._db.execute("DELETE FROM cell_photos WHERE cell_id = ?", (cell_id,))

    # ---- interest -------------------------------------------------------------------------

    async def interest(self, cell_id: int, user_id: int) -> Interest | None:
        """Return a person's interest in a cell."""
        row = await self._db.fetch_one(
            "SELECT id, cell_id, user_id, first_name, contact, status, created_at, consented_at"
            " FROM cell_interest WHERE cell_id = ? AND user_id = ?",
            (cell_id, user_id),
        )
        return None if row is None else Interest(*tuple(row))

    async def start_interest(self, cell_id: int, user_id: int) -> None:
        """Begin an interest (nothing is passed before the person agrees)."""
        await self._db.execute(
            "INSERT INTO cell_interest (cell_id, user_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (cell_id, user_id) DO NOTHING",
            (cell_id, user_id, utcnow()),
        )

    async def interest_answer(self, cell_id: int, user_id: int, **values: str | None) -> None:
        """Keep the first name or contact of an interest not sent yet."""
        assignments, given = set_clause(values, ("first_name", "contact"))
        await self._db.execute(
            f"UPDATE cell_interest SET {assignments} WHERE cell_id = ? AND user_id = ?"
            " AND status = 'draft'",
            (*given, cell_id, user_id),
        )

    async def interest_sent(self, cell_id: int, user_id: int, now: str) -> bool:
        """Record the person's consent and that their details went; False if not a draft."""
        changed = await self._db.execute(
            "UPDATE cell_interest SET status = 'sent', consented_at = ?"
            " WHERE cell_id = ? AND user_id = ? AND status = 'draft'"
            " AND first_name IS NOT NULL AND contact IS NOT NULL",
            (now, cell_id, user_id),
        )
        return changed == 1

    async def drop_interest(self, cell_id: int, user_id: int) -> None:
        """Forget an interest not sent."""
        await self._db.execute(
            "DELETE FROM cell_interest WHERE cell_id = ? AND user_id = ? AND status = 'draft'",
            (cell_id, user_id),
        )

    async def interests_sent(self, territory_id: str | None, since: str, until: str) -> int:
        """Return how many interests went to landlords in a period."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM cell_interest i JOIN cells c ON c.id = i.cell_id"
            " WHERE i.status = 'sent' AND i.consented_at >= ? AND i.consented_at < ?"
            " AND (? IS NULL OR c.territory_id = ?)",
            (since, until, territory_id, territory_id),
        )
        return 0 if row is None else int(row[0])

    async def prune_interest(self, before: str) -> int:
        """Delete interests older than the retention time (names and contacts go)."""
        return await self._db.execute("DELETE FROM cell_interest WHERE created_at < ?", (before,))

    # ---- typing ---------------------------------------------------------------------------

    async def typing(self, user_id: int) -> Typing | None:
        """Return what a person's next words answer."""
        row = await self._db.fetch_one(
            "SELECT cell_id, what, since FROM cell_typing WHERE user_id = ?", (user_id,)
        )
        return None if row is None else Typing(int(row[0]), str(row[1]), str(row[2]))

    async def expect(self, user_id: int, cell_id: int, what: str) -> None:
        """Take the person's next words (or pictures) as this answer."""
        await self._db.execute(
            "INSERT INTO cell_typing (user_id, cell_id, what, since) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET cell_id = excluded.cell_id,"
            " what = excluded.what, since = excluded.since",
            (user_id, cell_id, what, utcnow()),
        )

    async def stop_typing(self, user_id: int) -> None:
        """Stop taking the person's words as an answer."""
        await self._db.execute("DELETE FROM cell_typing WHERE user_id = ?", (user_id,))
