"""SQL of the "you said, we did" notes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.storage.database import Database

_COLUMNS = "id, author, factor, place, texts, published_at, recipients, partner_id"


class NoteRepository:
    """Read and write dashboard_notes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        *,
        partner_id: int | None,
        admin_ref: str | None,
        author: str,
        factor: str,
        place: str,
        texts: dict[str, str],
        at: str,
        recipients: int,
        nonce: str,
    ) -> int | None:
        """Store a published note; return its id, or None if this form was published already."""
        if await self._db.fetch_one("SELECT 1 FROM dashboard_notes WHERE nonce = ?", (nonce,)):
            return None
        return await self._db.insert(
            "INSERT INTO dashboard_notes (partner_id, admin_ref, author, factor, place, texts,"
            " published_at, recipients, nonce) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                partner_id,
                admin_ref,
                author,
                factor,
                place,
                json.dumps(texts, ensure_ascii=False, sort_keys=True),
                at,
                recipients,
                nonce,
            ),
        )

    async def set_broadcast(self, note_id: int, broadcast_id: int) -> None:
        """Record the broadcast that carries a note."""
        await self._db.execute(
            "UPDATE dashboard_notes SET broadcast_id = ? WHERE id = ?", (broadcast_id, note_id)
        )

    async def withdraw(self, note_id: int, at: str) -> bool:
        """Withdraw a note; False if it was withdrawn already."""
        changed = await self._db.execute(
            "UPDATE dashboard_notes SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
            (at, note_id),
        )
        return changed == 1

    async def get(self, note_id: int) -> tuple[Any, ...] | None:
        """Return a note not withdrawn, as a row."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM dashboard_notes WHERE id = ? AND withdrawn_at IS NULL",
            (note_id,),
        )
        return None if row is None else tuple(row)

    async def shown(self, places: Sequence[str], since: str) -> list[tuple[Any, ...]]:
        """Return the notes not withdrawn, published since, about these places; newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM dashboard_notes WHERE withdrawn_at IS NULL"
            f" AND published_at >= ? AND place IN ({', '.join('?' for _ in places)})"
            " ORDER BY published_at DESC, id DESC",
            (since, *places),
        )
        return [tuple(r) for r in rows]
