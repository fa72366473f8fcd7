"""The SQL of needs and of the "what do you miss?" prompts."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage import Database, utcnow


@dataclass(frozen=True)
class Need:
    """One person's need, proposed or confirmed."""

    id: int
    user_id: int
    text: str | None
    sectors: tuple[str, ...]
    core_id: str
    territory_id: str
    status: str


def _need(row: aiosqlite.Row) -> Need:
    return Need(
        int(row[0]),
        int(row[1]),
        row[2],
        tuple(s for s in str(row[3]).split(",") if s),
        str(row[4]),
        str(row[5]),
        str(row[6]),
    )


_COLUMNS = "id, user_id, text, sectors, core_id, territory_id, status"


class NeedRepository:
    """Propose, confirm and count needs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def propose(
        self, user_id: int, text: str, sectors: list[str], core_id: str, territory_id: str
    ) -> Need:
        """Keep a need waiting for the person's confirmation."""
        need_id = await self._db.insert(
            "INSERT INTO needs (user_id, text, sectors, core_id, territory_id, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (user_id, text, ",".join(sectors), core_id, territory_id, utcnow()),
        )
        found = await self.get(need_id)
        assert found is not None
        return found

    async def get(self, need_id: int) -> Need | None:
        """Return a need."""
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM needs WHERE id = ?", (need_id,))
        return None if row is None else _need(row)

    async def settle(
        self, need_id: int, status: str, at: str, sectors: list[str] | None = None
    ) -> bool:
        """Confirm (with its sectors) or cancel a pending need; False if not pending."""
        confirmed = at if status == "confirmed" else None
        if sectors is None:
            changed = await self._db.execute(
                "UPDATE needs SET status = ?, confirmed_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (status, confirmed, need_id),
            )
        else:
            changed = await self._db.execute(
                "UPDATE needs SET status = ?, sectors = ?, confirmed_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (status, ",".join(sectors), confirmed, need_id),
            )
        return changed == 1

    async def move(self, need_id: int, core_id: str, territory_id: str) -> bool:
        """Put a pending need in another area; False if it is not pending."""
        changed = await self._db.execute(
            "UPDATE needs SET core_id = ?, territory_id = ? WHERE id = ? AND status = 'pending'",
            (core_id, territory_id, need_id),
        )
        return changed == 1

    async def people(self, territory_id: str, core_id: str | None, since: str) -> dict[str, int]:
        """Return distinct people per sector who confirmed a need there since a time."""
        rows = await self._db.fetch_all(
            "SELECT sectors, user_id FROM needs WHERE status = 'confirmed'"
            " AND territory_id = ? AND (? IS NULL OR core_id = ?) AND confirmed_at >= ?",
            (territory_id, core_id, core_id, since),
        )
        people: dict[str, set[int]] = {}
        for sectors, user_id in rows:
            for sector in str(sectors).split(","):
                if sector:
                    people.setdefault(sector, set()).add(int(user_id))
        return {sector: len(ids) for sector, ids in people.items()}

    async def people_by_core(self, territory_id: str, since: str) -> dict[str, dict[str, int]]:
        """Return distinct people per sector and core of a territory since a time."""
        rows = await self._db.fetch_all(
            "SELECT sectors, core_id, user_id FROM needs WHERE status = 'confirmed'"
            " AND territory_id = ? AND confirmed_at >= ?",
            (territory_id, since),
        )
        people: dict[str, dict[str, set[int]]] = {}
        for sectors, core_id, user_id in rows:
            for sector in str(sectors).split(","):
                if sector:
                    people.setdefault(sector, {}).setdefault(str(core_id), set()).add(int(user_id))
        return {
            sector: {core: len(ids) for core, ids in cores.items()}
            for sector, cores in people.items()
        }

    async def prompt(self, user_id: int) -> None:
        """Take the person's next words as what they miss."""
        await self._db.execute(
            "INSERT INTO need_prompts (user_id, since) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET since = excluded.since",
            (user_id, utcnow()),
        )

    async def prompted(self, user_id: int, since: str) -> bool:
        """Return whether the person was asked since then."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM need_prompts WHERE user_id = ? AND since >= ?", (user_id, since)
        )
        return row is not None

    async def unprompt(self, user_id: int) -> None:
        """Stop taking the person's words as a need."""
        await self._db.execute("DELETE FROM need_prompts WHERE user_id = ?", (user_id,))
