"""Store survey waves, invitations, responses and answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow


class ResponseStatus(StrEnum):
    """Say where a person stands in a survey."""

    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"


class Wave(BaseModel):
    """One launch of a survey to an audience."""

    model_config = ConfigDict(frozen=True)

    id: int
    survey_id: str
    territory_id: str | None
    core_id: str | None
    role: str | None
    created_by: str
    created_at: str
    send_from: str
    send_until: str
    remind_after_s: int
    closes_at: str
    closed_at: str | None


class Response(BaseModel):
    """One person's way through a wave's survey."""

    model_config = ConfigDict(frozen=True)

    id: int
    wave_id: int
    survey_id: str
    user_id: int
    core_id: str | None
    territory_id: str | None
    role: str | None
    status: ResponseStatus
    position: str | None
    draft: dict[str, Any]
    started_at: str
    updated_at: str
    completed_at: str | None


class Invitation(BaseModel):
    """An invitation (or reminder) that is due, with what decides whether it may go."""

    model_config = ConfigDict(frozen=True)

    wave_id: int
    user_id: int
    survey_id: str
    wanted: bool
    blocked: bool


def _to_response(row: aiosqlite.Row) -> Response:
    data = dict(row)
    data["draft"] = json.loads(data["draft"])
    return Response.model_validate(data)


class SurveyRepository:
    """Read and write everything about surveys."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- waves and invitations -------------------------------------------------------------

    async def create_wave(
        self,
        *,
        survey_id: str,
        territory_id: str | None,
        core_id: str | None,
        role: str | None,
        created_by: str,
        send_from: str,
        send_until: str,
        remind_after_s: int,
        closes_at: str,
    ) -> Wave:
        """Insert a wave and return it."""
        wave_id = await self._db.insert(
            "INSERT INTO survey_waves (survey_id, territory_id, core_id, role, created_by,"
            " created_at, send_from, send_until, remind_after_s, closes_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                survey_id,
                territory_id,
                core_id,
                role,
                created_by,
                utcnow(),
                send_from,
                send_until,
                remind_after_s,
                closes_at,
            ),
        )
        wave = await self.wave(wave_id)
        assert wave is not None
        return wave

    async def wave(self, wave_id: int) -> Wave | None:
        """Return a wave by id, or None."""
        row = await self._db.fetch_one("SELECT * FROM survey_waves WHERE id = ?", (wave_id,))
        return None if row is None else Wave.model_validate(dict(row))

    async def audience(
        self,
        *,
        roles: Sequence[str],
        territories: Sequence[str],
        territory_id: str | None,
        core_id: str | None,
        role: str | None,
        consent_version: str | None = None,
    ) -> list[int]:
        """Return the ids of onboarded people matching a wave's filters and the survey's."""
        clauses = [
            "core_id IS NOT NULL",
            "sector_id IS NOT NULL",
            "surveys = 1",
            "blocked_at IS NULL",
        ]
        params: list[Any] = []
        if consent_version is not None:
            clauses.append("consent_version = ?")
            params.append(consent_version)
        for column, value in (
            ("territory_id", territory_id),
            ("core_id", core_id),
            ("role", role),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        for column, allowed in (("role", roles), ("territory_id", territories)):
            if allowed:
                clauses.append(f"{column} IN ({', '.join('?' for _ in allowed)})")
                params.extend(allowed)
        rows = await self._db.fetch_all(
            f"SELECT id FROM users WHERE {' AND '.join(clauses)} ORDER BY id", params
        )
        return [int(r[0]) for r in rows]

    async def invite(self, wave_id: int, schedule: Sequence[tuple[int, str]]) -> int:
        """Plan invitations (user id, when); nobody is invited twice to a wave."""
        invited = 0
        for user_id, send_at in schedule:
            invited += await self._db.execute(
                "INSERT OR IGNORE INTO survey_invitations (wave_id, user_id, send_at)"
                " VALUES (?, ?, ?)",
                (wave_id, user_id, send_at),
            )
        return invited

    async def due_invitations(self, now: str, limit: int, offset: int = 0) -> list[Invitation]:
        """Return invitations whose time has come, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT i.wave_id, i.user_id, w.survey_id, u.surveys AS wanted,"
            " u.blocked_at IS NOT NULL AS blocked FROM survey_invitations i"
            " JOIN survey_waves w ON w.id = i.wave_id JOIN users u ON u.id = i.user_id"
            " WHERE i.sent_at IS NULL AND i.skipped IS NULL AND i.send_at <= ?"
            " AND w.closed_at IS NULL ORDER BY i.send_at, i.user_id LIMIT ? OFFSET ?",
            (now, limit, offset),
        )
        return [Invitation.model_validate(dict(r)) for r in rows]

    async def due_reminders(self, now: str, limit: int, offset: int = 0) -> list[Invitation]:
        """Return invitations sent long enough ago, never reminded, survey not finished."""
        rows = await self._db.fetch_all(
            "SELECT i.wave_id, i.user_id, w.survey_id, u.surveys AS wanted,"
            " u.blocked_at IS NOT NULL AS blocked FROM survey_invitations i"
            " JOIN survey_waves w ON w.id = i.wave_id JOIN users u ON u.id = i.user_id"
            " WHERE i.sent_at IS NOT NULL AND i.reminded_at IS NULL AND i.skipped IS NULL"
            " AND w.closed_at IS NULL AND w.closes_at > ?"
            " AND datetime(i.sent_at, '+' || w.remind_after_s || ' seconds') <= datetime(?)"
            " AND NOT EXISTS (SELECT 1 FROM survey_responses r WHERE r.wave_id = i.wave_id"
            " AND r.user_id = i.user_id AND r.status != 'active')"
            " ORDER BY i.sent_at, i.user_id LIMIT ? OFFSET ?",
            (now, now, limit, offset),
        )
        return [Invitation.model_validate(dict(r)) for r in rows]

    async def mark_invitation(self, wave_id: int, user_id: int, column: str, at: str) -> None:
        """Record when an invitation, its reminder or the results went out."""
        if column not in ("sent_at", "reminded_at", "results_sent_at"):
            raise ValueError(f"not an invitation time: {column}")
        await self._db.execute(
            f"UPDATE survey_invitations SET {column} = ? WHERE wave_id = ? AND user_id = ?",
            (at, wave_id, user_id),
        )

    async def skip_invitation(self, wave_id: int, user_id: int, reason: str) -> None:
        """Record that an invitation will never go out, and why."""
        await self._db.execute(
            "UPDATE survey_invitations SET skipped = ? WHERE wave_id = ? AND user_id = ?",
            (reason, wave_id, user_id),
        )

    async def invitation_exists(self, wave_id: int, user_id: int) -> bool:
        """Return whether the person was invited to the wave."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM survey_invitations WHERE wave_id = ? AND user_id = ?",
            (wave_id, user_id),
        )
        return row is not None

    # ---- responses and answers --------------------------------------------------------------

    async def start_response(
        self,
        *,
        wave: Wave,
        user_id: int,
        core_id: str | None,
        territory_id: str | None,
        role: str | None,
        position: str | None,
    ) -> Response:
        """Begin a person's response to a wave (or return the one that exists)."""
        now = utcnow()
        await self._db.execute(
            "INSERT OR IGNORE INTO survey_responses (wave_id, survey_id, user_id, core_id,"
            " territory_id, role, status, position, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                wave.id,
                wave.survey_id,
                user_id,
                core_id,
                territory_id,
                role,
                ResponseStatus.ACTIVE.value,
                position,
                now,
                now,
            ),
        )
        row = await self._db.fetch_one(
            "SELECT * FROM survey_responses WHERE wave_id = ? AND user_id = ?", (wave.id, user_id)
        )
        assert row is not None
        return _to_response(row)

    async def response(self, response_id: int) -> Response | None:
        """Return a response by id, or None."""
        row = await self._db.fetch_one(
            "SELECT * FROM survey_responses WHERE id = ?", (response_id,)
        )
        return None if row is None else _to_response(row)

    async def active_response(self, user_id: int) -> Response | None:
        """Return the person's survey in progress, if any (the most recent one)."""
        row = await self._db.fetch_one(
            "SELECT * FROM survey_responses WHERE user_id = ? AND status = 'active'"
            " ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else _to_response(row)

    async def move(
        self,
        response_id: int,
        *,
        position: str | None,
        draft: dict[str, Any],
        status: ResponseStatus = ResponseStatus.ACTIVE,
    ) -> Response:
        """Set the question on screen, its work in progress, and the status."""
        now = utcnow()
        await self._db.execute(
            "UPDATE survey_responses SET position = ?, draft = ?, status = ?, updated_at = ?,"
            " completed_at = CASE WHEN ? = 'completed' THEN ? ELSE completed_at END"
            " WHERE id = ?",
            (position, json.dumps(draft), status.value, now, status.value, now, response_id),
        )
        moved = await self.response(response_id)
        assert moved is not None
        return moved

    async def put_answer(
        self, response_id: int, question_id: str, value: Any, text: str | None = None
    ) -> None:
        """Store the answer to one question (None: skipped)."""
        await self._db.execute(
            "INSERT OR REPLACE INTO survey_answers (response_id, question_id, value, text,"
            " answered_at) VALUES (?, ?, ?, ?, ?)",
            (
                response_id,
                question_id,
                None if value is None else json.dumps(value),
                text,
                utcnow(),
            ),
        )

    async def answers(self, response_id: int) -> dict[str, Any]:
        """Return the answers of a response by question id (None for skipped ones)."""
        rows = await self._db.fetch_all(
            "SELECT question_id, value FROM survey_answers WHERE response_id = ?", (response_id,)
        )
        return {str(r[0]): (None if r[1] is None else json.loads(str(r[1]))) for r in rows}

    # ---- results ----------------------------------------------------------------------------

    async def wave_answers(
        self, wave_id: int
    ) -> list[tuple[int, str | None, str | None, str, Any]]:
        """Return (response id, core, territory, question id, value) of every answer of a wave."""
        rows = await self._db.fetch_all(
            "SELECT r.id, r.core_id, r.territory_id, a.question_id, a.value"
            " FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
            " WHERE r.wave_id = ?",
            (wave_id,),
        )
        return [
            (
                int(r[0]),
                r[1],
                r[2],
                str(r[3]),
                None if r[4] is None else json.loads(str(r[4])),
            )
            for r in rows
        ]

    async def respondents(self, wave_id: int) -> list[tuple[int, int]]:
        """Return (user id, response id) of everyone who answered at least one question."""
        rows = await self._db.fetch_all(
            "SELECT r.user_id, r.id FROM survey_responses r WHERE r.wave_id = ?"
            " AND EXISTS (SELECT 1 FROM survey_answers a WHERE a.response_id = r.id"
            " AND a.value IS NOT NULL) ORDER BY r.id",
            (wave_id,),
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def response_of(self, wave_id: int, user_id: int) -> Response | None:
        """Return a person's response to a wave, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM survey_responses WHERE wave_id = ? AND user_id = ?", (wave_id, user_id)
        )
        return None if row is None else _to_response(row)

    async def waves_to_close(self, now: str) -> list[Wave]:
        """Return open waves whose closing time has passed."""
        rows = await self._db.fetch_all(
            "SELECT * FROM survey_waves WHERE closed_at IS NULL AND closes_at <= ? ORDER BY id",
            (now,),
        )
        return [Wave.model_validate(dict(r)) for r in rows]

    async def close_wave(self, wave_id: int, at: str) -> None:
        """Mark a wave closed: no more invitations, reminders or answers."""
        await self._db.execute(
            "UPDATE survey_waves SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
            (at, wave_id),
        )

    async def waves_closed_between(self, since: str, until: str) -> list[Wave]:
        """Return the closed waves due to close in [since, until), oldest first."""
        # By the planned closing time, so that a wave closed by a job a minute into the next
        # week still belongs to the week it ran in.
        rows = await self._db.fetch_all(
            "SELECT * FROM survey_waves WHERE closed_at IS NOT NULL"
            " AND closes_at >= ? AND closes_at < ? ORDER BY closes_at, id",
            (since, until),
        )
        return [Wave.model_validate(dict(r)) for r in rows]

    async def latest_closed_wave(self, survey_id: str) -> Wave | None:
        """Return the most recent closed wave of a survey, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM survey_waves WHERE survey_id = ? AND closed_at IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (survey_id,),
        )
        return None if row is None else Wave.model_validate(dict(row))

    async def results_pending(self, wave_id: int) -> list[int]:
        """Return the respondents of a closed wave who have not had the results yet."""
        rows = await self._db.fetch_all(
            "SELECT i.user_id FROM survey_invitations i WHERE i.wave_id = ?"
            " AND i.results_sent_at IS NULL AND i.skipped IS NULL AND EXISTS ("
            "SELECT 1 FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id"
            " WHERE r.wave_id = i.wave_id AND r.user_id = i.user_id AND a.value IS NOT NULL)"
            " ORDER BY i.user_id",
            (wave_id,),
        )
        return [int(r[0]) for r in rows]

    async def waves_with_results_due(self, now: str) -> list[Wave]:
        """Return waves past their closing time with respondents still owed the results."""
        rows = await self._db.fetch_all(
            "SELECT * FROM survey_waves w WHERE w.closes_at <= ? AND EXISTS ("
            "SELECT 1 FROM survey_invitations i JOIN survey_responses r"
            " ON r.wave_id = i.wave_id AND r.user_id = i.user_id"
            " WHERE i.wave_id = w.id AND i.results_sent_at IS NULL AND i.skipped IS NULL"
            " AND EXISTS (SELECT 1 FROM survey_answers a WHERE a.response_id = r.id"
            " AND a.value IS NOT NULL)) ORDER BY w.id",
            (now,),
        )
        return [Wave.model_validate(dict(r)) for r in rows]

    async def responses_of_wave(self, wave_id: int) -> list[Response]:
        """Return every response to a wave, in order."""
        rows = await self._db.fetch_all(
            "SELECT * FROM survey_responses WHERE wave_id = ? ORDER BY id", (wave_id,)
        )
        return [_to_response(r) for r in rows]

    async def waves_of(self, survey_id: str) -> list[Wave]:
        """Return every wave of a survey, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM survey_waves WHERE survey_id = ? ORDER BY id", (survey_id,)
        )
        return [Wave.model_validate(dict(r)) for r in rows]
