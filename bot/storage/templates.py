"""Remember the review status of each channel's message templates."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, utcnow


@dataclass(frozen=True)
class TemplateStatus:
    """One template in one language, as the platform last said."""

    name: str
    language: str
    category: str
    status: str
    remote_id: str | None
    updated_at: str


class TemplateStatusRepository:
    """Read and record template review statuses."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        channel: str,
        name: str,
        language: str,
        category: str,
        status: str,
        remote_id: str | None,
    ) -> None:
        """Record what the platform says of a template in one language."""
        await self._db.execute(
            "INSERT INTO channel_templates"
            " (channel, name, language, category, status, remote_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, name, language) DO UPDATE SET category = excluded.category,"
            " status = excluded.status, remote_id = COALESCE(excluded.remote_id, remote_id),"
            " updated_at = excluded.updated_at",
            (channel, name, language, category, status.upper(), remote_id, utcnow()),
        )

    async def status(self, channel: str, name: str, language: str) -> str | None:
        """Return a template's status in one language, or None if never submitted."""
        row = await self._db.fetch_one(
            "SELECT status FROM channel_templates WHERE channel = ? AND name = ? AND language = ?",
            (channel, name, language),
        )
        return None if row is None else str(row[0])

    async def all(self, channel: str) -> list[TemplateStatus]:
        """Return every template of a channel, by name and language."""
        rows = await self._db.fetch_all(
            "SELECT name, language, category, status, remote_id, updated_at"
            " FROM channel_templates WHERE channel = ? ORDER BY name, language",
            (channel,),
        )
        return [TemplateStatus(*(r[i] for i in range(6))) for r in rows]
