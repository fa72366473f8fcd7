"""Delete free text past the retention period, keeping its difficulty labels anonymously."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.features.foodchain.store import FoodRepository
from bot.features.privacy.store import purge_quotes
from bot.storage.database import Database


@dataclass(frozen=True)
class Pruned:
    """What one retention run took away."""

    concerns: int
    held_texts: int
    survey_texts: int
    # Projects whose words went (activity, description), and coaching requests deleted.
    project_texts: int = 0
    coaching_requests: int = 0
    # Empty cells closed (let, withdrawn, expired, refused) or left as drafts, with photos.
    cells: int = 0
    # Local food suggestions whose first names and contacts were emptied.
    food_contacts: int = 0
    # Pop-up applications and end-of-test surveys whose words were emptied.
    popup_texts: int = 0


def retention_cutoff(now: datetime, months: int) -> str:
    """Return the moment before which free text has passed the retention period."""
    return (now - timedelta(days=round(30.44 * months))).isoformat(timespec="milliseconds")


class RetentionRepository:
    """Apply the retention period to messages, held texts, survey answers and coaching."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(self, before: str) -> Pruned:
        """Remove what was written before `before`; call inside a transaction."""
        expiring = {
            int(r[0])
            for r in await self._db.fetch_all(
                "SELECT id FROM concerns WHERE created_at < ?", (before,)
            )
        }
        # Their quotes in kept digests go too: the text is what expires.
        await purge_quotes(self._db, expiring)
        # Labels first, without author, message or day; then the messages (their voices go
        # with them).
        await self._db.execute(
            "INSERT INTO factor_archive (factor, kind, core_id, territory_id, role, month)"
            " SELECT cf.factor, cf.kind, cf.core_id, cf.territory_id, cf.role,"
            " substr(cf.confirmed_at, 1, 7) FROM concern_factors cf"
            " JOIN concerns c ON c.id = cf.concern_id WHERE c.created_at < ?",
            (before,),
        )
        concerns = await self._db.execute("DELETE FROM concerns WHERE created_at < ?", (before,))
        held = await self._db.execute("DELETE FROM held_texts WHERE created_at < ?", (before,))
        texts = await self._db.execute(
            "UPDATE survey_answers SET text = NULL WHERE text IS NOT NULL AND answered_at < ?",
            (before,),
        )
        # Text typed while confirming its labels waits in the response's draft.
        texts += await self._db.execute(
            "UPDATE survey_responses SET draft = '{}' WHERE draft != '{}' AND updated_at < ?",
            (before,),
        )
        # A project's words last as long as a concern's; its labels (sector, stage) stay.
        projects = await self._db.execute(
            "UPDATE candidates SET activity = NULL, description = NULL WHERE updated_at < ?"
            " AND (activity IS NOT NULL OR description IS NOT NULL)",
            (before,),
        )
        # What someone missed: the words go, the sectors stay (counted on the board).
        await self._db.execute(
            "UPDATE needs SET text = NULL WHERE text IS NOT NULL AND created_at < ?", (before,)
        )
        # Requests go whole (their appointments, offers and coaches' notes cascade).
        requests = await self._db.execute(
            "DELETE FROM coaching_requests WHERE created_at < ?", (before,)
        )
        # A closed or abandoned listing goes whole (its photos and interest cascade); names
        # and contacts passed to landlords are not kept beyond the same time.
        cells = await self._db.execute(
            "DELETE FROM cells WHERE (status IN ('refused', 'expired', 'withdrawn', 'let')"
            " AND closed_at < ?) OR (status = 'draft' AND updated_at < ?)",
            (before, before),
        )
        await self._db.execute("DELETE FROM cell_interest WHERE created_at < ?", (before,))

        # First names and contacts given for a food suggestion: no longer than a concern.
        food = await FoodRepository(self._db).forget_contacts(before)
        # Pop-up applications keep their period, sector and decision; the words go.
        popup = await self._db.execute(
            "UPDATE popup_applications SET activity = NULL, to_test = NULL, needs = NULL,"
            " reason = NULL WHERE created_at < ? AND (activity IS NOT NULL"
            " OR to_test IS NOT NULL OR needs IS NOT NULL OR reason IS NOT NULL)",
            (before,),
        )
        popup += await self._db.execute(
            "UPDATE popup_surveys SET learned = NULL, cell_wish = NULL WHERE asked_at < ?"
            " AND (learned IS NOT NULL OR cell_wish IS NOT NULL)",
            (before,),
        )
        return Pruned(concerns, held, texts, projects, requests, cells, food, popup)
