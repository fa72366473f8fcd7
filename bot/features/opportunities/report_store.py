"""The SQL of the opportunities' figures: needs and empty cells, counted, never listed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage import Database
from bot.storage.scope import in_scope


class OpportunityRepository:
    """Count needs and cells in a scope and a period."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def needs(
        self, territories: Sequence[str], cores: Sequence[str], since: str, until: str
    ) -> list[tuple[int, str]]:
        """Return (person, sector) of every need confirmed in the period, in the scope."""
        where, params = in_scope("territory_id", "core_id", territories, cores)
        rows = await self._db.fetch_all(
            f"SELECT user_id, sectors FROM needs WHERE status = 'confirmed' AND {where}"
            " AND confirmed_at >= ? AND confirmed_at < ?",
            (*params, since, until),
        )
        return [
            (int(user_id), sector)
            for user_id, sectors in rows
            for sector in str(sectors).split(",")
            if sector
        ]

    async def listings(
        self, territories: Sequence[str], cores: Sequence[str], since: str, until: str
    ) -> list[tuple[int, int, str, str]]:
        """Return (landlord, surface, listed from, listed until or '') of every cell on the
        board at some time in the period."""
        where, params = in_scope("territory_id", "core_id", territories, cores)
        rows = await self._db.fetch_all(
            f"SELECT user_id, COALESCE(surface_m2, 0), validated_at, COALESCE(closed_at, '')"
            f" FROM cells WHERE validated_at IS NOT NULL AND {where} AND validated_at < ?"
            " AND (closed_at IS NULL OR closed_at >= ?)",
            (*params, until, since),
        )
        return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def interested(
        self, territories: Sequence[str], cores: Sequence[str], since: str, until: str
    ) -> int:
        """Return the distinct people who passed their interest in a cell to its landlord."""
        where, params = in_scope("c.territory_id", "c.core_id", territories, cores)
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT i.user_id) FROM cell_interest i JOIN cells c"
            f" ON c.id = i.cell_id WHERE i.status = 'sent' AND {where}"
            " AND i.consented_at >= ? AND i.consented_at < ?",
            (*params, since, until),
        )
        return 0 if row is None else int(row[0])
