"""Keep the audit trail: admin and partner actions, and refused attempts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow


class AuditEntry(BaseModel):
    """One line of the audit trail."""

    model_config = ConfigDict(frozen=True)

    id: int
    at: str
    actor: str
    role: str
    action: str
    detail: str
    allowed: bool


class AuditRepository:
    """Append to and read the audit trail."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, *, actor: str, role: str, action: str, allowed: bool, detail: str = ""
    ) -> None:
        """Append one entry."""
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, role, action, detail, allowed)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (utcnow(), actor, role, action, detail[:200], int(allowed)),
        )

    async def latest(self, limit: int, *, refused_only: bool = False) -> list[AuditEntry]:
        """Return the latest entries, newest first."""
        where = " WHERE allowed = 0" if refused_only else ""
        rows = await self._db.fetch_all(
            f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditEntry.model_validate(dict(r)) for r in rows]
