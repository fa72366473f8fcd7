"""The SQL of notices."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage import Database, utcnow


@dataclass(frozen=True)
class Notice:
    """One message waiting to go to someone other than the person who acted."""

    id: int
    user_id: int | None
    admin_ref: str | None
    about_user_id: int | None
    kind: str
    subject: str
    params: dict[str, Any]
    template_sent_at: str | None

    @property
    def subject_id(self) -> int:
        """Return the numeric id in the subject ("cell:12" -> 12), or 0."""
        tail = self.subject.rpartition(":")[2]
        return int(tail) if tail.isdigit() else 0


_COLUMNS = "id, user_id, admin_ref, about_user_id, kind, subject, params, template_sent_at"


def _notice(row: aiosqlite.Row) -> Notice:
    return Notice(
        int(row[0]),
        None if row[1] is None else int(row[1]),
        row[2],
        None if row[3] is None else int(row[3]),
        str(row[4]),
        str(row[5]),
        json.loads(row[6] or "{}"),
        row[7],
    )


class NoticeRepository:
    """Queue, list and settle notices."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        kind: str,
        subject: str,
        *,
        user_id: int | None = None,
        admin_ref: str | None = None,
        about: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> int:
        """Queue a notice for a stored person or an admin."""
        return await self._db.insert(
            "INSERT INTO notices (user_id, admin_ref, about_user_id, kind, subject, params,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                admin_ref,
                about,
                kind,
                subject,
                json.dumps(params or {}, ensure_ascii=False),
                utcnow(),
            ),
        )

    async def depth(self) -> int:
        """Return how many notices wait to be sent (those announced by template excluded)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM notices WHERE template_sent_at IS NULL"
        )
        return 0 if row is None else int(row[0])

    async def due(self, limit: int = 200) -> list[Notice]:
        """Return notices not sent yet, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM notices WHERE template_sent_at IS NULL ORDER BY id LIMIT ?",
            (limit,),
        )
        return [_notice(r) for r in rows]

    async def get(self, notice_id: int) -> Notice | None:
        """Return one notice."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM notices WHERE id = ?", (notice_id,)
        )
        return None if row is None else _notice(row)

    async def waiting(self, user_id: int | None, admin_ref: str | None) -> list[Notice]:
        """Return the notices announced to a person (or an admin) by template, not shown yet."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM notices WHERE (user_id = ? OR admin_ref = ?)"
            " AND template_sent_at IS NOT NULL ORDER BY id",
            (user_id, admin_ref),
        )
        return [_notice(r) for r in rows]

    async def done(self, notice_id: int) -> None:
        """Forget a notice once sent, shown, or meaningless."""
        await self._db.execute("DELETE FROM notices WHERE id = ?", (notice_id,))

    async def by_template(self, notice_id: int) -> None:
        """Mark a notice announced by a template; it waits for the person's tap."""
        await self._db.execute(
            "UPDATE notices SET template_sent_at = ? WHERE id = ?", (utcnow(), notice_id)
        )

    async def failed(self, notice_id: int) -> int:
        """Count one failed attempt; return the attempts so far."""
        await self._db.execute(
            "UPDATE notices SET attempts = attempts + 1 WHERE id = ?", (notice_id,)
        )
        row = await self._db.fetch_one("SELECT attempts FROM notices WHERE id = ?", (notice_id,))
        return 0 if row is None else int(row[0])

    async def drop(self, subject: str) -> int:
        """Forget every notice about something deleted; return how many."""
        return await self._db.execute("DELETE FROM notices WHERE subject = ?", (subject,))

    async def drop_before(self, before: str) -> int:
        """Forget notices older than a time (they would only confuse now)."""
        return await self._db.execute("DELETE FROM notices WHERE created_at < ?", (before,))
