"""SQL of the dashboard's sign-in links and sessions (hashes of tokens only)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database


@dataclass(frozen=True)
class Holder:
    """Who a link or a session belongs to: a partner, or an admin."""

    partner_id: int | None
    admin_ref: str | None


@dataclass(frozen=True)
class StoredLink:
    """A sign-in link as stored."""

    id: int
    holder: Holder
    lang: str
    expires_at: str
    used_at: str | None


@dataclass(frozen=True)
class StoredSession:
    """A session as stored, with its partner's revocation when it has one."""

    id: int
    holder: Holder
    lang: str
    seen_at: str
    ended_at: str | None
    partner_revoked_at: str | None


class AccessRepository:
    """Read and write dashboard_links and dashboard_sessions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_link(
        self, token_hash: str, holder: Holder, lang: str, created_at: str, expires_at: str
    ) -> None:
        """Store a new sign-in link."""
        await self._db.execute(
            "INSERT INTO dashboard_links (token_hash, partner_id, admin_ref, lang, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash, holder.partner_id, holder.admin_ref, lang, created_at, expires_at),
        )

    async def link(self, token_hash: str) -> StoredLink | None:
        """Return a link by its token's hash."""
        row = await self._db.fetch_one(
            "SELECT id, partner_id, admin_ref, lang, expires_at, used_at FROM dashboard_links"
            " WHERE token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return StoredLink(int(row[0]), Holder(row[1], row[2]), str(row[3]), str(row[4]), row[5])

    async def use_link(self, link_id: int, at: str) -> bool:
        """Mark a link used; False when it was used already (two tabs racing)."""
        changed = await self._db.execute(
            "UPDATE dashboard_links SET used_at = ? WHERE id = ? AND used_at IS NULL",
            (at, link_id),
        )
        return changed == 1

    async def add_session(self, token_hash: str, holder: Holder, lang: str, at: str) -> None:
        """Store a new session."""
        await self._db.execute(
            "INSERT INTO dashboard_sessions (token_hash, partner_id, admin_ref, lang,"
            " created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash, holder.partner_id, holder.admin_ref, lang, at, at),
        )

    async def session(self, token_hash: str) -> StoredSession | None:
        """Return a session by its token's hash, with its partner's revocation."""
        row = await self._db.fetch_one(
            "SELECT s.id, s.partner_id, s.admin_ref, s.lang, s.seen_at, s.ended_at,"
            " p.revoked_at FROM dashboard_sessions s"
            " LEFT JOIN partners p ON p.id = s.partner_id WHERE s.token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return StoredSession(
            int(row[0]), Holder(row[1], row[2]), str(row[3]), str(row[4]), row[5], row[6]
        )

    async def touch(self, session_id: int, at: str, lang: str) -> None:
        """Record that a session was used now, in this language."""
        await self._db.execute(
            "UPDATE dashboard_sessions SET seen_at = ?, lang = ? WHERE id = ?",
            (at, lang, session_id),
        )

    async def end(self, session_id: int, at: str) -> None:
        """End one session."""
        await self._db.execute(
            "UPDATE dashboard_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            (at, session_id),
        )

    async def end_partner(self, partner_id: int, at: str) -> int:
        """End every session of a partner; return how many were open."""
        return await self._db.execute(
            "UPDATE dashboard_sessions SET ended_at = ? WHERE partner_id = ? AND ended_at IS NULL",
            (at, partner_id),
        )

    async def purge(self, links_before: str, sessions_before: str) -> None:
        """Delete links expired long ago and sessions ended or idle long ago."""
        await self._db.execute("DELETE FROM dashboard_links WHERE expires_at < ?", (links_before,))
        await self._db.execute(
            "DELETE FROM dashboard_sessions WHERE coalesce(ended_at, seen_at) < ?",
            (sessions_before,),
        )
