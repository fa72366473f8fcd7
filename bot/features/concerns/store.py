"""Store concerns, their confirmed factors, and count who else raised the same factors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow


class ConcernStatus(StrEnum):
    """Say where a concern stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


class ConcernSource(StrEnum):
    """Say how a concern came in."""

    MESSAGE = "message"
    ME_TOO = "me_too"


class VoiceKind(StrEnum):
    """Say what a voice on a factor is: raised, or said to persist at a follow-up."""

    RAISED = "raised"
    STILL_THERE = "still_there"
    WORSE = "worse"


class Concern(BaseModel):
    """Describe one message about a difficulty, with what the model and the user said."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    text: str
    lang: str
    status: ConcernStatus
    predicted: tuple[str, ...]
    draft: tuple[str, ...]
    text_hash: str
    created_at: str
    confirmed_at: str | None
    corrected: bool
    source: ConcernSource = ConcernSource.MESSAGE
    # The other reading offered in one tap with the first answer, if the model hesitated.
    alternative: tuple[str, ...] | None = None

    @property
    def untouched(self) -> bool:
        """Say whether the factors being edited are still the model's guess."""
        return sorted(self.draft) == sorted(self.predicted)


def _to_concern(row: aiosqlite.Row) -> Concern:
    data = dict(row)
    data["predicted"] = tuple(json.loads(data["predicted"]))
    data["draft"] = tuple(json.loads(data["draft"]))
    data["corrected"] = bool(data["corrected"])
    alternative = data.get("alternative")
    data["alternative"] = None if alternative is None else tuple(json.loads(alternative))
    return Concern.model_validate(data)


class FactorTrend(BaseModel):
    """Count distinct people with a voice on a factor now and in the window before."""

    model_config = ConfigDict(frozen=True)

    factor: str
    current: int
    previous: int


class Scope(StrEnum):
    """Name the place a count is made over."""

    CORE = "core_id"
    TERRITORY = "territory_id"
    # Every territory Échoppe listens in (its scope id is EVERYWHERE_ID).
    EVERYWHERE = "everywhere"


EVERYWHERE_ID = "*"


def _scope_clause(scope: Scope, prefix: str = "") -> str:
    """Return the WHERE condition of a scope; its one parameter is the scope id."""
    if scope is Scope.EVERYWHERE:
        return "? IS NOT NULL"
    return f"{prefix}{scope.value} = ?"


class ConcernRepository:
    """Read and write concerns."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        user_id: int,
        text: str,
        lang: str,
        predicted: Sequence[str],
        text_hash: str,
        alternative: Sequence[str] | None = None,
    ) -> Concern:
        """Insert a pending concern whose draft starts as the model's prediction."""
        labels = json.dumps(sorted(predicted))
        other = None if alternative is None else json.dumps(sorted(alternative))
        concern_id = await self._db.insert(
            "INSERT INTO concerns (user_id, text, lang, status, predicted, draft, text_hash,"
            " created_at, alternative) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                text,
                lang,
                ConcernStatus.PENDING.value,
                labels,
                labels,
                text_hash,
                utcnow(),
                other,
            ),
        )
        concern = await self.get(concern_id)
        assert concern is not None
        return concern

    async def get(self, concern_id: int) -> Concern | None:
        """Return a concern by id, or None."""
        row = await self._db.fetch_one("SELECT * FROM concerns WHERE id = ?", (concern_id,))
        return None if row is None else _to_concern(row)

    async def set_draft(self, concern_id: int, factors: Sequence[str]) -> Concern:
        """Replace the factors being edited of a pending concern."""
        await self._db.execute(
            "UPDATE concerns SET draft = ? WHERE id = ? AND status = ?",
            (json.dumps(sorted(set(factors))), concern_id, ConcernStatus.PENDING.value),
        )
        concern = await self.get(concern_id)
        assert concern is not None
        return concern

    async def confirm(
        self,
        concern: Concern,
        factors: Sequence[str],
        *,
        core_id: str | None,
        territory_id: str | None,
        role: str | None,
    ) -> Concern:
        """Mark a pending concern confirmed with its final factors (empty means none)."""
        now = utcnow()
        final = sorted(set(factors))
        corrected = final != sorted(concern.predicted)
        await self._db.execute(
            "UPDATE concerns SET status = ?, draft = ?, confirmed_at = ?, corrected = ?"
            " WHERE id = ? AND status = ?",
            (
                ConcernStatus.CONFIRMED.value,
                json.dumps(final),
                now,
                int(corrected),
                concern.id,
                ConcernStatus.PENDING.value,
            ),
        )
        for factor in final:
            await self._db.execute(
                "INSERT INTO concern_factors (concern_id, factor, user_id, core_id, territory_id,"
                " role, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (concern.id, factor, concern.user_id, core_id, territory_id, role, now),
            )
        confirmed = await self.get(concern.id)
        assert confirmed is not None
        return confirmed

    async def create_me_too(
        self,
        *,
        user_id: int,
        lang: str,
        factor: str,
        core_id: str | None,
        territory_id: str | None,
        role: str | None,
    ) -> Concern:
        """Insert a confirmed, textless concern: a "me too" on one factor."""
        now = utcnow()
        labels = json.dumps([factor])
        concern_id = await self._db.insert(
            "INSERT INTO concerns (user_id, text, lang, status, predicted, draft, text_hash,"
            " created_at, confirmed_at, source) VALUES (?, '', ?, ?, '[]', ?, '', ?, ?, ?)",
            (
                user_id,
                lang,
                ConcernStatus.CONFIRMED.value,
                labels,
                now,
                now,
                ConcernSource.ME_TOO.value,
            ),
        )
        await self.add_voice(
            concern_id,
            factor,
            VoiceKind.RAISED,
            user_id=user_id,
            core_id=core_id,
            territory_id=territory_id,
            role=role,
            at=now,
        )
        concern = await self.get(concern_id)
        assert concern is not None
        return concern

    async def add_voice(
        self,
        concern_id: int,
        factor: str,
        kind: VoiceKind,
        *,
        user_id: int,
        core_id: str | None,
        territory_id: str | None,
        role: str | None,
        at: str,
    ) -> None:
        """Record one person's voice on a factor at a time and place."""
        await self._db.execute(
            "INSERT OR IGNORE INTO concern_factors (concern_id, factor, kind, user_id, core_id,"
            " territory_id, role, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (concern_id, factor, kind.value, user_id, core_id, territory_id, role, at),
        )

    async def last_voice(self, user_id: int, factor: str, since: str) -> str | None:
        """Return when the user last had a voice on a factor since a time, or None."""
        row = await self._db.fetch_one(
            "SELECT MAX(confirmed_at) FROM concern_factors"
            " WHERE user_id = ? AND factor = ? AND confirmed_at >= ?",
            (user_id, factor, since),
        )
        return None if row is None or row[0] is None else str(row[0])

    async def factor_trends(
        self,
        *,
        scope: Scope,
        scope_id: str | None,
        role: str | None,
        factors: Sequence[str],
        since: str,
        split: str,
        until: str,
    ) -> list[FactorTrend]:
        """Count distinct people per factor in [split, until] and in [since, split)."""
        # One index range scan per factor: a GROUP BY would read the scope's whole history.
        # The upper bound makes the counts exactly "as of until", whatever lands meanwhile.
        sql = (
            "SELECT COUNT(DISTINCT CASE WHEN confirmed_at >= ? THEN user_id END),"
            " COUNT(DISTINCT CASE WHEN confirmed_at < ? THEN user_id END)"
            f" FROM concern_factors WHERE {_scope_clause(scope)} AND role IS ? AND factor = ?"
            " AND confirmed_at >= ? AND confirmed_at <= ?"
        )
        trends: list[FactorTrend] = []
        for factor in factors:
            row = await self._db.fetch_one(
                sql, (split, split, scope_id, role, factor, since, until)
            )
            current, previous = (int(row[0]), int(row[1])) if row else (0, 0)
            trends.append(FactorTrend(factor=factor, current=current, previous=previous))
        return trends

    async def own_voices(
        self,
        *,
        user_id: int,
        scope: Scope,
        scope_id: str | None,
        role: str | None,
        since: str,
        split: str,
        until: str,
    ) -> dict[str, tuple[bool, bool]]:
        """Say per factor whether the user has a voice in [split, until] and in [since, split)."""
        rows = await self._db.fetch_all(
            # The unary + keeps SQLite on the per-person index: without statistics it would
            # rather scan the whole territory (80 ms instead of 0.1 on a million concerns).
            "SELECT factor, MAX(confirmed_at >= ?), MAX(confirmed_at < ?) FROM concern_factors"
            " WHERE user_id = ? AND confirmed_at >= ? AND confirmed_at <= ?"
            f" AND {_scope_clause(scope, '+')} AND +role IS ? GROUP BY factor",
            (split, split, user_id, since, until, scope_id, role),
        )
        return {str(r[0]): (bool(r[1]), bool(r[2])) for r in rows}

    async def count_since(self, user_id: int, since: str) -> int:
        """Return how many concerns a user sent since a time (flood control)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM concerns WHERE user_id = ? AND created_at >= ?",
            (user_id, since),
        )
        return 0 if row is None else int(row[0])

    async def find_same_text(self, user_id: int, text_hash: str, since: str) -> Concern | None:
        """Return the user's concern with the same text since a time, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM concerns WHERE user_id = ? AND text_hash = ? AND created_at >= ?"
            " ORDER BY id DESC LIMIT 1",
            (user_id, text_hash, since),
        )
        return None if row is None else _to_concern(row)

    async def hold_text(self, user_id: int, text: str, keep_at_most: int) -> bool:
        """Keep a message until onboarding is finished; False when the user has enough kept."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM held_texts WHERE user_id = ?", (user_id,)
        )
        if row is not None and int(row[0]) >= keep_at_most:
            return False
        await self._db.insert(
            "INSERT INTO held_texts (user_id, text, created_at) VALUES (?, ?, ?)",
            (user_id, text, utcnow()),
        )
        return True

    async def held_texts(self, user_id: int) -> list[tuple[int, str]]:
        """Return (id, text) of the messages kept for a user, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id, text FROM held_texts WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [(int(r["id"]), str(r["text"])) for r in rows]

    async def drop_held_text(self, held_id: int) -> None:
        """Forget one kept message (it has been filed)."""
        await self._db.execute("DELETE FROM held_texts WHERE id = ?", (held_id,))

    async def list_for_user(self, user_id: int, limit: int) -> list[Concern]:
        """Return a user's most recent pending or confirmed concerns, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM concerns WHERE user_id = ? AND status != ? ORDER BY id DESC LIMIT ?",
            (user_id, ConcernStatus.DISCARDED.value, limit),
        )
        return [_to_concern(r) for r in rows]

    async def delete(self, concern_id: int, user_id: int) -> bool:
        """Delete a user's concern and its factors; return whether one was deleted."""
        changed = await self._db.execute(
            "DELETE FROM concerns WHERE id = ? AND user_id = ?", (concern_id, user_id)
        )
        return changed == 1

    async def confirmed(self, *, only_corrected: bool, since: str = "") -> list[Concern]:
        """Return confirmed typed concerns written since a moment (or only the corrected ones)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM concerns WHERE status = ? AND corrected >= ? AND source = ?"
            " AND created_at >= ? ORDER BY id",
            (
                ConcernStatus.CONFIRMED.value,
                int(only_corrected),
                ConcernSource.MESSAGE.value,
                since,
            ),
        )
        return [_to_concern(r) for r in rows]
