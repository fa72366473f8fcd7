"""The SQL of linking: one-time codes, and moving one account's data into another's."""

from __future__ import annotations

from bot.storage.database import Database, utcnow

# Tables holding a person's rows, by user id: moved to the kept account when two are joined.
# Where the kept account already has the same row (a consent of the same version, an answer
# to the same wave or event), its own stays and the other is dropped.
PERSONAL_TABLES = (
    "concerns",
    "concern_factors",
    "held_texts",
    "follow_ups",
    "consents",
    "survey_invitations",
    "survey_responses",
    "event_rsvps",
    "broadcast_outbox",
    "candidates",
    "teachers",
    "coaches",
    "coaching_requests",
    "coaching_typing",
    "coaching_notices",
    "session_attendance",
    "needs",
    "need_prompts",
    "notices",
    "cells",
    "cell_interest",
    "cell_typing",
    # producer_products follow their profile (ON UPDATE CASCADE); listed for what is left.
    "producers",
    "producer_products",
    "buyer_wishes",
    "food_typing",
    # A second open application for the same period is dropped (its survey with it).
    "popup_applications",
    "popup_prompts",
)
# Rows naming a person as a coach (not by `user_id`): moved the same way.
COACH_COLUMNS = (
    ("coaching_requests", "coach_id"),
    ("coaching_offers", "coach_id"),
    ("coach_notes", "coach_id"),
    ("notices", "about_user_id"),
    # The two sides of a local food suggestion.
    ("food_matches", "producer_id"),
    ("food_matches", "buyer_id"),
)


class LinkRepository:
    """Store codes and join accounts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def keep_code(self, user_id: int, code_hash: str, expires_at: str) -> None:
        """Store a person's new code (inside a transaction); their older codes go."""
        await self._db.execute("DELETE FROM link_codes WHERE user_id = ?", (user_id,))
        await self._db.execute(
            "INSERT INTO link_codes (code_hash, user_id, expires_at) VALUES (?, ?, ?)",
            (code_hash, user_id, expires_at),
        )

    async def take_code(self, code_hash: str, now: str) -> int | None:
        """Use a code once (inside a transaction); return its person, None if unknown or old."""
        row = await self._db.fetch_one(
            "SELECT user_id, expires_at FROM link_codes WHERE code_hash = ?", (code_hash,)
        )
        await self._db.execute(
            "DELETE FROM link_codes WHERE code_hash = ? OR expires_at < ?", (code_hash, now)
        )
        if row is None or str(row[1]) < now:
            return None
        return int(row[0])

    async def join(self, keep: int, drop: int | None, channel: str, external_id: str) -> None:
        """Make a channel identity one of `keep`'s, moving the `drop` account's data there.

        Call inside a transaction.
        """
        if drop is not None:
            for table in PERSONAL_TABLES:
                await self._db.execute(
                    f"UPDATE OR IGNORE {table} SET user_id = ? WHERE user_id = ?", (keep, drop)
                )
                await self._db.execute(f"DELETE FROM {table} WHERE user_id = ?", (drop,))
            for table, column in COACH_COLUMNS:
                await self._db.execute(
                    f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} = ?", (keep, drop)
                )
            # A suggestion between the two joined accounts would pair a person with
            # themselves: it means nothing any more.
            await self._db.execute(
                "DELETE FROM food_matches WHERE producer_id = buyer_id AND producer_id = ?",
                (keep,),
            )
            # The dropped account's own identity, and those it had joined, come along.
            await self._db.execute(
                "INSERT OR IGNORE INTO user_identities"
                " (channel, external_id, user_id, linked_at, last_inbound_at)"
                " SELECT channel, external_id, ?, ?, last_inbound_at FROM users WHERE id = ?",
                (keep, utcnow(), drop),
            )
            await self._db.execute(
                "UPDATE user_identities SET user_id = ? WHERE user_id = ?", (keep, drop)
            )
            await self._db.execute("DELETE FROM users WHERE id = ?", (drop,))
        await self._db.execute(
            "INSERT INTO user_identities (channel, external_id, user_id, linked_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, external_id) DO UPDATE SET user_id = excluded.user_id",
            (channel, external_id, keep, utcnow()),
        )
