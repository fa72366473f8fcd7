"""Store users (after consent) and their onboarding state."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow

# The privacy notice in force; a person who accepted an older one is asked again.
CONSENT_VERSION = "2026-11"


class Role(StrEnum):
    """Say who the person is in the commercial ecosystem."""

    SHOPKEEPER = "shopkeeper"
    CUSTOMER = "customer"
    LANDLORD = "landlord"
    PUBLIC_ACTOR = "public_actor"
    COACH = "coach"
    RESEARCHER = "researcher"
    # A person with a project (the entrepreneurs' path); their words are not shop concerns.
    CANDIDATE = "candidate"
    # A local producer (farmer, brewer...): their words are their profile's, not shop concerns.
    PRODUCER = "producer"


class Step(StrEnum):
    """Name where a user stands in onboarding or in a profile change."""

    ROLE = "role"
    TERRITORY = "territory"
    CORE = "core"
    SECTOR = "sector"
    DONE = "done"
    EDIT_CORE = "edit_core"


class User(BaseModel):
    """Describe one person who accepted the privacy notice."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: str
    external_id: str
    language: str
    role: Role | None
    territory_id: str | None
    core_id: str | None
    sector_id: str | None
    step: Step
    pending_territory_id: str | None
    pending_core_id: str | None
    # The campaign of the link that brought the person, until they finish onboarding.
    pending_campaign: str | None = None
    consent_at: str
    consent_version: str
    blocked_at: str | None
    follow_ups: bool = True
    surveys: bool = True
    quote_consent: bool = False
    quote_consent_at: str | None = None
    announcements: bool = True
    # One nudge a week after onboarding if nothing was said yet: wanted, and when it went.
    nudges: bool = True
    nudged_at: str | None = None
    # When the person last wrote (WhatsApp's 24-hour service window starts there).
    last_inbound_at: str | None = None
    created_at: str
    updated_at: str

    @property
    def onboarded(self) -> bool:
        """Return whether the person finished onboarding at least once."""
        return self.sector_id is not None and self.core_id is not None


# Columns a service may change through update(); anything else is refused.
_UPDATABLE = frozenset(
    {
        "language",
        "role",
        "territory_id",
        "core_id",
        "sector_id",
        "step",
        "pending_territory_id",
        "pending_core_id",
        "pending_campaign",
        "blocked_at",
        "follow_ups",
        "surveys",
        "quote_consent",
        "quote_consent_at",
        "announcements",
        "nudges",
    }
)


def _to_user(row: aiosqlite.Row) -> User:
    return User.model_validate(dict(row))


class UserRepository:
    """Read and write users by channel and external id."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, channel: str, external_id: str) -> User | None:
        """Return the person with that channel identity (their first or a linked one), or None."""
        row = await self._db.fetch_one(
            "SELECT * FROM users WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        if row is None:
            row = await self._db.fetch_one(
                "SELECT u.* FROM user_identities i JOIN users u ON u.id = i.user_id"
                " WHERE i.channel = ? AND i.external_id = ?",
                (channel, external_id),
            )
        return None if row is None else _to_user(row)

    async def identities(self, user_id: int) -> list[tuple[str, str]]:
        """Return every (channel, id) a person uses: their first, then those linked."""
        rows = await self._db.fetch_all(
            "SELECT channel, external_id FROM users WHERE id = ?"
            " UNION ALL SELECT channel, external_id FROM (SELECT channel, external_id"
            " FROM user_identities WHERE user_id = ? ORDER BY linked_at)",
            (user_id, user_id),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def get_by_id(self, user_id: int) -> User | None:
        """Return the user with that internal id, or None."""
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else _to_user(row)

    async def create(
        self,
        *,
        channel: str,
        external_id: str,
        language: str,
        consent_version: str,
        step: Step,
        pending_core_id: str | None,
        pending_campaign: str | None = None,
    ) -> User:
        """Insert a user who has just consented and return it."""
        now = utcnow()
        user_id = await self._db.insert(
            "INSERT INTO users (channel, external_id, language, step, pending_core_id,"
            " pending_campaign, consent_at, consent_version, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel,
                external_id,
                language,
                step.value,
                pending_core_id,
                pending_campaign,
                now,
                consent_version,
                now,
                now,
            ),
        )
        user = await self.get_by_id(user_id)
        if user is None:
            raise RuntimeError("inserted user vanished")
        return user

    async def update(self, user_id: int, **fields: Any) -> User:
        """Change the given columns and return the updated user."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in fields.items()}
        assignments = ", ".join(f"{name} = :{name}" for name in sorted(values))
        values["updated_at"] = utcnow()
        values["id"] = user_id
        changed = await self._db.execute(
            f"UPDATE users SET {assignments}, updated_at = :updated_at WHERE id = :id", values
        )
        if changed != 1:
            raise LookupError(f"no user {user_id}")
        user = await self.get_by_id(user_id)
        assert user is not None
        return user

    async def record_consent(self, user_id: int, version: str) -> User:
        """Record an acceptance of the privacy notice (kept in the history, and as the latest)."""
        now = utcnow()
        await self._db.execute(
            "INSERT OR IGNORE INTO consents (user_id, version, accepted_at) VALUES (?, ?, ?)",
            (user_id, version, now),
        )
        await self._db.execute(
            "UPDATE users SET consent_version = ?, consent_at = ?, updated_at = ? WHERE id = ?",
            (version, now, now, user_id),
        )
        user = await self.get_by_id(user_id)
        assert user is not None
        return user

    async def consents(self, user_id: int) -> list[tuple[str, str]]:
        """Return (version, accepted at) of every acceptance, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT version, accepted_at FROM consents WHERE user_id = ? ORDER BY accepted_at",
            (user_id,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def record_inbound(self, channel: str, external_id: str, at: str) -> None:
        """Note when a person last wrote (never moving it back: webhooks come in any order)."""
        for table in ("users", "user_identities"):
            await self._db.execute(
                f"UPDATE {table} SET last_inbound_at = ?"
                " WHERE channel = ? AND external_id = ?"
                " AND (last_inbound_at IS NULL OR last_inbound_at < ?)",
                (at, channel, external_id, at),
            )

    async def last_inbound(self, channel: str, external_id: str) -> str | None:
        """Return when the person last wrote (ISO UTC), or None if never (or not known)."""
        # The person's latest on this app, by any of its identities (their number, the
        # business-scoped id Meta gives them): it is one account, with one window.
        person = await self.get(channel, external_id)
        if person is None:
            return None
        row = await self._db.fetch_one(
            "SELECT MAX(at) FROM (SELECT last_inbound_at AS at FROM users"
            " WHERE id = ? AND channel = ? UNION ALL SELECT last_inbound_at FROM user_identities"
            " WHERE user_id = ? AND channel = ?)",
            (person.id, channel, person.id, channel),
        )
        return None if row is None or row[0] is None else str(row[0])

    async def add_alias(self, channel: str, one: str, other: str) -> bool:
        """Let a person known by one of two identities of an app be found by the other too.

        Nobody is stored who is not already known (and so consented); return whether it was new.
        """
        first, second = await self.get(channel, one), await self.get(channel, other)
        if (first is None) == (second is None):
            return False  # both unknown, or both known already
        person, alias = (first, other) if first is not None else (second, one)
        assert person is not None
        await self._db.execute(
            "INSERT OR IGNORE INTO user_identities (channel, external_id, user_id, linked_at)"
            " VALUES (?, ?, ?, ?)",
            (channel, alias, person.id, utcnow()),
        )
        return True

    async def mark_blocked(self, channel: str, external_id: str) -> bool:
        """Flag the user as having blocked the bot; return whether a user was flagged."""
        changed = await self._db.execute(
            "UPDATE users SET blocked_at = ?, updated_at = ?"
            " WHERE channel = ? AND external_id = ? AND blocked_at IS NULL",
            (utcnow(), utcnow(), channel, external_id),
        )
        return changed == 1

    async def is_blocked(self, channel: str, external_id: str) -> bool:
        """Return whether the user is flagged as having blocked the bot."""
        row = await self._db.fetch_one(
            "SELECT blocked_at FROM users WHERE channel = ? AND external_id = ?",
            (channel, external_id),
        )
        return row is not None and row["blocked_at"] is not None

    async def count(self) -> int:
        """Return how many users are stored."""
        row = await self._db.fetch_one("SELECT COUNT(*) FROM users")
        return 0 if row is None else int(row[0])
