"""Store broadcasts and their outbox: one row per recipient, each with what became of it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict, Field

from bot.storage.database import Database, utcnow


class BroadcastStatus(StrEnum):
    """Say where a broadcast stands."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class OutboxStatus(StrEnum):
    """Say what became of one recipient's message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class Audience(BaseModel):
    """Who gets a broadcast: every filter set must match (none set: everyone onboarded)."""

    model_config = ConfigDict(frozen=True)

    territory_id: str | None = None
    core_id: str | None = None
    sector_id: str | None = None
    role: str | None = None
    language: str | None = None
    # People who raised this factor in the last `days` days.
    factor: str | None = None
    days: int | None = Field(default=None, ge=1, le=3650)
    # Only these people (an event's "going" list for its reminder), on top of the filters.
    user_ids: tuple[int, ...] | None = None
    # Only people with a project (the entrepreneurs' path), whatever their main role.
    candidates: bool = False
    # With a factor and a territory or core: people who raised the factor *there* (a "you
    # said, we did" note), wherever their profile says they are now.
    raised_there: bool = False


class Broadcast(BaseModel):
    """A broadcast as stored."""

    model_config = ConfigDict(frozen=True)

    id: int
    created_by: str
    created_at: str
    texts: dict[str, str]
    photo: str | None
    # Each channel's own id of the photo, once uploaded there.
    photo_ids: dict[str, str] = {}
    audience: Audience
    send_at: str
    status: BroadcastStatus
    report_chat: str
    report_language: str = "fr"
    event_id: int | None
    recipients: int | None
    started_at: str | None
    finished_at: str | None
    report_sent_at: str | None


def _to_broadcast(row: aiosqlite.Row) -> Broadcast:
    data = dict(row)
    data["texts"] = json.loads(data["texts"])
    data["photo_ids"] = json.loads(data.get("photo_ids") or "{}")
    data["audience"] = Audience.model_validate_json(data["audience"])
    return Broadcast.model_validate(data)


class OutboxItem(BaseModel):
    """One recipient's message to send."""

    model_config = ConfigDict(frozen=True)

    broadcast_id: int
    user_id: int
    channel: str
    chat_id: str
    language: str
    attempts: int


def _audience_sql(
    audience: Audience, since: str | None, consent_version: str | None = None
) -> tuple[str, list[Any]]:
    """Return the WHERE clause (on users u) and parameters of an audience."""
    clauses = [
        # Onboarded, as User.onboarded says.
        "u.core_id IS NOT NULL",
        "u.sector_id IS NOT NULL",
        "u.blocked_at IS NULL",
    ]
    if audience.user_ids is None:
        # A message to named people (an event's reminder to those going) is one they asked
        # for by answering; /stop is about announcements.
        clauses.append("u.announcements = 1")
    params: list[Any] = []
    if consent_version is not None:
        # People asked to accept a new notice get nothing (and nothing is stored about them).
        clauses.append("u.consent_version = ?")
        params.append(consent_version)
    for column in ("territory_id", "core_id", "sector_id", "role", "language"):
        value = getattr(audience, column)
        if column == "territory_id" and audience.candidates:
            continue  # a candidate's territory is their project's (below)
        if column in ("territory_id", "core_id") and audience.raised_there:
            continue  # where they raised it counts (below)
        if value is not None:
            clauses.append(f"u.{column} = ?")
            params.append(value)
    if audience.factor is not None and audience.raised_there:
        clauses.append(
            "EXISTS (SELECT 1 FROM concern_factors cf WHERE cf.user_id = u.id"
            " AND cf.factor = ? AND cf.kind = 'raised' AND cf.confirmed_at >= ?"
            " AND (? IS NULL OR cf.territory_id = ?) AND (? IS NULL OR cf.core_id = ?))"
        )
        params += [
            audience.factor,
            since or "",
            audience.territory_id,
            audience.territory_id,
            audience.core_id,
            audience.core_id,
        ]
    elif audience.factor is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM concern_factors cf WHERE cf.user_id = u.id"
            " AND cf.factor = ? AND cf.confirmed_at >= ?)"
        )
        params += [audience.factor, since or ""]
    if audience.candidates:
        # People with a project, in the territory of the project (or theirs, if not given).
        clauses.append(
            "EXISTS (SELECT 1 FROM candidates c WHERE c.user_id = u.id"
            " AND (? IS NULL OR COALESCE(c.territory_id, u.territory_id) = ?))"
        )
        params += [audience.territory_id, audience.territory_id]
    if audience.user_ids is not None:
        clauses.append(f"u.id IN ({', '.join('?' for _ in audience.user_ids)})")
        params += list(audience.user_ids)
    return " AND ".join(clauses), params


class Draft(BaseModel):
    """A broadcast composed by an admin, waiting for the go."""

    model_config = ConfigDict(frozen=True)

    id: int
    created_by: str
    texts: dict[str, str]
    photo: str | None
    audience: Audience
    send_at: str | None
    event_id: int | None


class BroadcastRepository:
    """Read and write broadcasts and their outbox."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def depth(self) -> int:
        """Return how many announcements wait to go to someone (pending or being sent)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM broadcast_outbox WHERE status IN ('pending', 'sending')"
        )
        return 0 if row is None else int(row[0])

    async def count_audience(
        self, audience: Audience, since: str | None, consent_version: str | None = None
    ) -> int:
        """Return how many people an audience reaches now."""
        where, params = _audience_sql(audience, since, consent_version)
        row = await self._db.fetch_one(f"SELECT COUNT(*) FROM users u WHERE {where}", params)
        return 0 if row is None else int(row[0])

    async def count_outside_window(
        self,
        audience: Audience,
        since: str | None,
        consent_version: str | None,
        channel: str,
        wrote_after: str,
    ) -> tuple[int, int]:
        """Return (people on a channel, those who last wrote before a time) in an audience."""
        where, params = _audience_sql(audience, since, consent_version)
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(u.last_inbound_at IS NULL OR u.last_inbound_at < ?), 0)"
            f" FROM users u WHERE {where} AND u.channel = ?",
            (wrote_after, *params, channel),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def create(
        self,
        *,
        created_by: str,
        texts: dict[str, str],
        photo: str | None,
        audience: Audience,
        send_at: str,
        report_chat: str = "",
        report_language: str = "fr",
        event_id: int | None = None,
    ) -> Broadcast:
        """Store a scheduled broadcast."""
        broadcast_id = await self._db.insert(
            "INSERT INTO broadcasts (created_by, created_at, texts, photo, audience, send_at,"
            " status, report_chat, report_language, event_id)"
            " VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?)",
            (
                created_by,
                utcnow(),
                json.dumps(texts, ensure_ascii=False),
                photo,
                audience.model_dump_json(exclude_none=True),
                send_at,
                report_chat,
                report_language,
                event_id,
            ),
        )
        broadcast = await self.get(broadcast_id)
        assert broadcast is not None
        return broadcast

    async def add_draft(
        self,
        *,
        created_by: str,
        texts: dict[str, str],
        photo: str | None,
        audience: Audience,
        send_at: str | None,
        event_id: int | None = None,
    ) -> int:
        """Keep a composed broadcast until the admin confirms it; return its id."""
        return await self._db.insert(
            "INSERT INTO broadcast_drafts (created_by, created_at, texts, photo, audience,"
            " send_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                created_by,
                utcnow(),
                json.dumps(texts, ensure_ascii=False),
                photo,
                audience.model_dump_json(exclude_none=True),
                send_at,
                event_id,
            ),
        )

    async def draft(self, draft_id: int) -> Draft | None:
        """Return a draft by id, or None (already sent or discarded)."""
        row = await self._db.fetch_one("SELECT * FROM broadcast_drafts WHERE id = ?", (draft_id,))
        if row is None:
            return None
        data = dict(row)
        data["texts"] = json.loads(data["texts"])
        data["audience"] = Audience.model_validate_json(data["audience"])
        return Draft.model_validate(data)

    async def drop_draft(self, draft_id: int) -> bool:
        """Forget a draft; False if it was gone already."""
        return (
            await self._db.execute("DELETE FROM broadcast_drafts WHERE id = ?", (draft_id,)) == 1
        )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """Return a broadcast by id, or None."""
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else _to_broadcast(row)

    async def recent(self, limit: int) -> list[Broadcast]:
        """Return the latest broadcasts, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_to_broadcast(r) for r in rows]

    async def due(self, now: str) -> list[Broadcast]:
        """Return broadcasts to start (scheduled, time come) or carry on (sending)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE status = 'sending'"
            " OR (status = 'scheduled' AND send_at <= ?) ORDER BY send_at, id",
            (now,),
        )
        return [_to_broadcast(r) for r in rows]

    async def start(
        self,
        broadcast: Broadcast,
        since: str | None,
        now: str,
        consent_version: str | None = None,
    ) -> int:
        """Fill the outbox from the audience as it is now and mark the broadcast sending.

        Call inside a transaction: the outbox and the status change land together.
        """
        where, params = _audience_sql(broadcast.audience, since, consent_version)
        await self._db.execute(
            "INSERT OR IGNORE INTO broadcast_outbox"
            " (broadcast_id, user_id, channel, chat_id, language)"
            f" SELECT ?, u.id, u.channel, u.external_id, u.language FROM users u WHERE {where}"
            " ORDER BY u.id",
            (broadcast.id, *params),
        )
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM broadcast_outbox WHERE broadcast_id = ?", (broadcast.id,)
        )
        recipients = 0 if row is None else int(row[0])
        await self._db.execute(
            "UPDATE broadcasts SET status = 'sending', started_at = ?, recipients = ?"
            " WHERE id = ? AND status = 'scheduled'",
            (now, recipients, broadcast.id),
        )
        return recipients

    async def set_status(
        self, broadcast_id: int, status: BroadcastStatus, allowed_from: Sequence[BroadcastStatus]
    ) -> bool:
        """Move a broadcast to a status from one of the allowed ones; False if it was not."""
        changed = await self._db.execute(
            f"UPDATE broadcasts SET status = ? WHERE id = ?"
            f" AND status IN ({', '.join('?' for _ in allowed_from)})",
            (status.value, broadcast_id, *[s.value for s in allowed_from]),
        )
        return changed == 1

    async def set_photo_id(self, broadcast_id: int, channel: str, ref: str) -> None:
        """Remember the id a channel gave the photo, to send it there by id from now on."""
        await self._db.execute(
            "UPDATE broadcasts SET photo_ids = json_set(photo_ids, ?, ?) WHERE id = ?",
            (f'$."{channel}"', ref, broadcast_id),
        )

    async def cancel_pending(self, broadcast_id: int) -> int:
        """Mark every message not yet handed over as cancelled; return how many."""
        return await self._db.execute(
            "UPDATE broadcast_outbox SET status = 'cancelled'"
            " WHERE broadcast_id = ? AND status = 'pending'",
            (broadcast_id,),
        )

    async def claim(self, broadcast_id: int, now: str, limit: int) -> list[OutboxItem]:
        """Mark up to `limit` due messages as being sent and return them (the in-flight batch)."""
        rows = await self._db.fetch_all(
            "UPDATE broadcast_outbox SET status = 'sending', attempts = attempts + 1"
            " WHERE rowid IN (SELECT rowid FROM broadcast_outbox WHERE broadcast_id = ?"
            " AND status = 'pending' AND not_before <= ? ORDER BY not_before, user_id LIMIT ?)"
            " RETURNING broadcast_id, user_id, channel, chat_id, language, attempts",
            (broadcast_id, now, limit),
        )
        return [OutboxItem.model_validate(dict(r)) for r in rows]

    async def release_in_flight(self) -> int:
        """Put messages left 'sending' by a crash back in line; return how many."""
        released = await self._db.execute(
            "UPDATE broadcast_outbox SET status = 'pending' WHERE status = 'sending'"
        )
        # A broadcast wrongly closed with messages left (never again, but cheap to undo).
        await self._db.execute(
            "UPDATE broadcasts SET status = 'sending', finished_at = NULL WHERE status = 'done'"
            " AND EXISTS (SELECT 1 FROM broadcast_outbox o WHERE o.broadcast_id = broadcasts.id"
            " AND o.status = 'pending')"
        )
        return released

    async def mark(
        self,
        item: OutboxItem,
        status: OutboxStatus,
        *,
        at: str,
        error: str | None = None,
        not_before: str = "",
        refund_attempt: bool = False,
        message_id: str | None = None,
    ) -> None:
        """Record what became of one message."""
        await self._db.execute(
            "UPDATE broadcast_outbox SET status = ?, error = ?, not_before = ?,"
            " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,"
            " message_id = COALESCE(?, message_id),"
            " attempts = attempts - ? WHERE broadcast_id = ? AND user_id = ?",
            (
                status.value,
                error,
                not_before,
                status.value,
                at,
                message_id,
                int(refund_attempt),
                item.broadcast_id,
                item.user_id,
            ),
        )

    async def next_due_at(self, broadcast_id: int) -> str | None:
        """Return when the next pending message may go ('' = now), or None if none is left."""
        row = await self._db.fetch_one(
            "SELECT MIN(not_before) FROM broadcast_outbox WHERE broadcast_id = ?"
            " AND status = 'pending'",
            (broadcast_id,),
        )
        return None if row is None or row[0] is None else str(row[0])

    async def in_flight(self, broadcast_id: int) -> int:
        """Return how many messages of a broadcast are being sent."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM broadcast_outbox WHERE broadcast_id = ? AND status = 'sending'",
            (broadcast_id,),
        )
        return 0 if row is None else int(row[0])

    async def finish(self, broadcast_id: int, now: str) -> bool:
        """Mark a sending broadcast done, unless a message is still pending or in flight."""
        changed = await self._db.execute(
            "UPDATE broadcasts SET status = 'done', finished_at = ?"
            " WHERE id = ? AND status = 'sending' AND NOT EXISTS (SELECT 1 FROM broadcast_outbox"
            " WHERE broadcast_id = ? AND status IN ('pending', 'sending'))",
            (now, broadcast_id, broadcast_id),
        )
        return changed == 1

    async def progress(self, broadcast_id: int) -> dict[str, int]:
        """Return how many messages of a broadcast are in each status."""
        rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) FROM broadcast_outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def failure_reasons(self, broadcast_id: int, limit: int = 5) -> list[tuple[str, int]]:
        """Return the most frequent reasons of failed messages, with their counts."""
        rows = await self._db.fetch_all(
            "SELECT error, COUNT(*) AS n FROM broadcast_outbox WHERE broadcast_id = ?"
            " AND status = 'failed' GROUP BY error ORDER BY n DESC LIMIT ?",
            (broadcast_id, limit),
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def defer_sent(
        self, channel: str, message_id: str, not_before: str, reason: str
    ) -> bool:
        """Put a message marked sent back in the queue (inside a transaction); True if found."""
        row = await self._db.fetch_one(
            "SELECT broadcast_id FROM broadcast_outbox"
            " WHERE channel = ? AND message_id = ? AND status = 'sent'",
            (channel, message_id),
        )
        if row is None:
            return False
        await self._db.execute(
            "UPDATE broadcast_outbox SET status = 'pending', not_before = ?, error = ?,"
            " message_id = NULL, sent_at = NULL WHERE channel = ? AND message_id = ?",
            (not_before, reason, channel, message_id),
        )
        # A broadcast already counted as finished is sending again.
        await self._db.execute(
            "UPDATE broadcasts SET status = 'sending', finished_at = NULL"
            " WHERE id = ? AND status = 'done'",
            (row[0],),
        )
        return True

    async def message_ids(self, broadcast_id: int, channel: str) -> list[str]:
        """Return the channel's ids of a broadcast's messages sent on that channel."""
        rows = await self._db.fetch_all(
            "SELECT message_id FROM broadcast_outbox WHERE broadcast_id = ? AND channel = ?"
            " AND message_id IS NOT NULL",
            (broadcast_id, channel),
        )
        return [str(r[0]) for r in rows]

    async def reports_due(self) -> list[Broadcast]:
        """Return finished broadcasts whose report has not gone to the admin yet."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE status IN ('done', 'cancelled')"
            " AND report_sent_at IS NULL AND started_at IS NOT NULL ORDER BY id"
        )
        return [_to_broadcast(r) for r in rows]

    async def report_sent(self, broadcast_id: int, at: str) -> None:
        """Record that the admin got the delivery report."""
        await self._db.execute(
            "UPDATE broadcasts SET report_sent_at = ? WHERE id = ?", (at, broadcast_id)
        )
