"""Store partner organisations, their invitations and the chats bound to them."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow


class Partner(BaseModel):
    """A partner organisation and its scope."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    language: str
    territories: tuple[str, ...]
    cores: tuple[str, ...]
    email: str | None
    created_by: str
    created_at: str
    revoked_at: str | None


def _to_partner(row: aiosqlite.Row) -> Partner:
    data = dict(row)
    data["territories"] = tuple(json.loads(data["territories"]))
    data["cores"] = tuple(json.loads(data["cores"]))
    return Partner.model_validate(data)


class PartnerRepository:
    """Read and write partners, invitations and bound chats."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        name: str,
        language: str,
        territories: Sequence[str],
        cores: Sequence[str],
        email: str | None,
        created_by: str,
    ) -> Partner:
        """Insert a partner and return it."""
        partner_id = await self._db.insert(
            "INSERT INTO partners (name, language, territories, cores, email, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                language,
                json.dumps(sorted(territories)),
                json.dumps(sorted(cores)),
                email,
                created_by,
                utcnow(),
            ),
        )
        partner = await self.get(partner_id)
        assert partner is not None
        return partner

    async def get(self, partner_id: int) -> Partner | None:
        """Return a partner by id, or None."""
        row = await self._db.fetch_one("SELECT * FROM partners WHERE id = ?", (partner_id,))
        return None if row is None else _to_partner(row)

    async def all(self) -> list[Partner]:
        """Return every partner, revoked ones included, oldest first."""
        rows = await self._db.fetch_all("SELECT * FROM partners ORDER BY id")
        return [_to_partner(r) for r in rows]

    async def set_email(self, partner_id: int, email: str | None) -> bool:
        """Set or clear an active partner's e-mail address; False if there is no such partner."""
        changed = await self._db.execute(
            "UPDATE partners SET email = ? WHERE id = ? AND revoked_at IS NULL",
            (email, partner_id),
        )
        return changed == 1

    async def move_chat(self, channel: str, old_chat_id: str, new_chat_id: str) -> bool:
        """Carry a bound chat (and what it was sent) over to its new id; False if unbound."""
        changed = await self._db.execute(
            "UPDATE partner_chats SET chat_id = ? WHERE channel = ? AND chat_id = ?",
            (new_chat_id, channel, old_chat_id),
        )
        await self._db.execute(
            "UPDATE OR IGNORE digest_deliveries SET chat_id = ? WHERE channel = ? AND chat_id = ?",
            (new_chat_id, channel, old_chat_id),
        )
        return changed == 1

    async def revoke(self, partner_id: int) -> bool:
        """Revoke a partner: its chats are unbound and its invitations stop working."""
        changed = await self._db.execute(
            "UPDATE partners SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (utcnow(), partner_id),
        )
        await self._db.execute("DELETE FROM partner_chats WHERE partner_id = ?", (partner_id,))
        return changed == 1

    async def add_invitation(
        self, *, token_hash: str, partner_id: int, created_by: str, expires_at: str
    ) -> None:
        """Record an invitation by the hash of its token."""
        await self._db.execute(
            "INSERT INTO partner_invitations (token_hash, partner_id, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_hash, partner_id, created_by, utcnow(), expires_at),
        )

    async def invitation(self, token_hash: str) -> tuple[int, str, str | None] | None:
        """Return (partner id, expires at, used at) of an invitation, or None."""
        row = await self._db.fetch_one(
            "SELECT partner_id, expires_at, used_at FROM partner_invitations WHERE token_hash = ?",
            (token_hash,),
        )
        return None if row is None else (int(row[0]), str(row[1]), row[2])

    async def use_invitation(self, token_hash: str) -> bool:
        """Mark an invitation used; False if it already was."""
        changed = await self._db.execute(
            "UPDATE partner_invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
            (utcnow(), token_hash),
        )
        return changed == 1

    async def bind(self, channel: str, chat_id: str, partner_id: int) -> None:
        """Bind a chat to a partner (a chat belongs to one partner at a time)."""
        await self._db.execute(
            "INSERT OR REPLACE INTO partner_chats (channel, chat_id, partner_id, bound_at)"
            " VALUES (?, ?, ?, ?)",
            (channel, chat_id, partner_id, utcnow()),
        )

    async def partner_of_chat(self, channel: str, chat_id: str) -> Partner | None:
        """Return the partner a chat is bound to (never a revoked one), or None."""
        row = await self._db.fetch_one(
            "SELECT p.* FROM partner_chats c JOIN partners p ON p.id = c.partner_id"
            " WHERE c.channel = ? AND c.chat_id = ? AND p.revoked_at IS NULL",
            (channel, chat_id),
        )
        return None if row is None else _to_partner(row)

    async def chats(self, partner_id: int) -> list[tuple[str, str]]:
        """Return (channel, chat id) of every chat bound to a partner."""
        rows = await self._db.fetch_all(
            "SELECT channel, chat_id FROM partner_chats WHERE partner_id = ? ORDER BY bound_at",
            (partner_id,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def delivered(self, partner_id: int, week: str, channel: str, chat_id: str) -> bool:
        """Return whether a week's digest already went to a chat."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM digest_deliveries WHERE partner_id = ? AND week = ? AND channel = ?"
            " AND chat_id = ?",
            (partner_id, week, channel, chat_id),
        )
        return row is not None

    async def record_delivery(
        self, partner_id: int, week: str, channel: str, chat_id: str, at: str
    ) -> None:
        """Record that a week's digest went to a chat."""
        await self._db.execute(
            "INSERT OR IGNORE INTO digest_deliveries (partner_id, week, channel, chat_id,"
            " sent_at) VALUES (?, ?, ?, ?, ?)",
            (partner_id, week, channel, chat_id, at),
        )
