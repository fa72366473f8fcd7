"""Gather everything stored about a person (/mydata) and erase it (/forget)."""

from __future__ import annotations

import base64
import json
from typing import Any

from bot.storage.database import Database
from bot.storage.replies import ReplyOutbox

# Tables read for /mydata: (name, query by user id). What cascades from users is erased with it.
EXPORTED = (
    (
        "concerns",
        "SELECT id, text, lang, status, predicted, alternative, draft, source, created_at,"
        " confirmed_at FROM concerns WHERE user_id = ? ORDER BY id",
    ),
    (
        "voices",
        "SELECT concern_id, factor, kind, core_id, territory_id, role, confirmed_at"
        " FROM concern_factors WHERE user_id = ? ORDER BY confirmed_at",
    ),
    (
        "consents",
        "SELECT version, accepted_at FROM consents WHERE user_id = ? ORDER BY accepted_at",
    ),
    ("held_texts", "SELECT text, created_at FROM held_texts WHERE user_id = ? ORDER BY id"),
    (
        "linked_accounts",
        "SELECT channel, external_id, linked_at, last_inbound_at FROM user_identities"
        " WHERE user_id = ?"
        " ORDER BY linked_at",
    ),
    (
        "follow_ups",
        "SELECT concern_id, due_at, sent_at, skipped, answer, answered_at"
        " FROM follow_ups WHERE user_id = ? ORDER BY due_at",
    ),
    (
        "survey_invitations",
        "SELECT wave_id, send_at, sent_at, reminded_at, results_sent_at,"
        " skipped FROM survey_invitations WHERE user_id = ? ORDER BY wave_id",
    ),
    (
        "survey_answers",
        "SELECT r.wave_id, r.survey_id, r.status, a.question_id, a.value,"
        " a.text, a.answered_at FROM survey_answers a JOIN survey_responses r"
        " ON r.id = a.response_id WHERE r.user_id = ? ORDER BY r.id, a.answered_at",
    ),
    (
        "event_answers",
        "SELECT e.title, e.starts_at, v.answer, v.waiting, v.answered_at,"
        " v.shared_name FROM event_rsvps v JOIN events e ON e.id = v.event_id"
        " WHERE v.user_id = ? ORDER BY v.answered_at",
    ),
    (
        "project",
        "SELECT c.activity, c.sector_id, c.territory_id, c.core_id, c.stage, c.description,"
        " s.name AS school, c.school_year, c.created_at, c.updated_at FROM candidates c"
        " LEFT JOIN schools s ON s.code = c.school_code WHERE c.user_id = ?",
    ),
    (
        "coaching_requests",
        "SELECT r.id, r.needs, r.availability, v.name AS venue, r.first_name, r.contact,"
        " r.context, r.status, r.submitted_at, r.accepted_at FROM coaching_requests r"
        " LEFT JOIN venues v ON v.id = r.venue_id WHERE r.user_id = ? ORDER BY r.id",
    ),
    (
        "appointments",
        "SELECT a.request_id, v.name AS venue, a.status, a.starts_at, a.candidate_held,"
        " a.candidate_useful FROM appointments a JOIN coaching_requests r"
        " ON r.id = a.request_id JOIN venues v ON v.id = a.venue_id WHERE r.user_id = ?"
        " ORDER BY a.id",
    ),
    (
        "appointment_times_offered",
        "SELECT s.appointment_id, s.slot, s.starts_at FROM appointment_slots s"
        " JOIN appointments a ON a.id = s.appointment_id JOIN coaching_requests r"
        " ON r.id = a.request_id WHERE r.user_id = ? ORDER BY s.appointment_id, s.slot",
    ),
    (
        # A coach's notes about the person's requests: theirs to see under the law.
        "coach_notes_about_me",
        "SELECT n.request_id, n.note, n.updated_at FROM coach_notes n JOIN coaching_requests r"
        " ON r.id = n.request_id WHERE r.user_id = ?",
    ),
    (
        "typing_to",
        "SELECT request_id, what, since FROM coaching_typing WHERE user_id = ?",
    ),
    (
        "messages_waiting_for_me",
        "SELECT request_id, kind, text, created_at FROM coaching_notices WHERE user_id = ?",
    ),
    (
        "information_sessions_attended",
        "SELECT e.title, e.starts_at, a.attended, a.marked_by, a.asked_at, a.offered_at"
        " FROM session_attendance a JOIN events e ON e.id = a.event_id WHERE a.user_id = ?",
    ),
    (
        "needs",
        "SELECT text, sectors, core_id, status, created_at, confirmed_at FROM needs"
        " WHERE user_id = ? ORDER BY id",
    ),
    ("asked_what_i_miss", "SELECT since FROM need_prompts WHERE user_id = ?"),
    (
        "empty_cells",
        "SELECT id, status, territory_id, core_id, street, number, show_number, surface_m2,"
        " front_m, rent_min, rent_max, available_from, contact, phone, reason, created_at,"
        " submitted_at, validated_at, expires_at, asked_at, closed_at FROM cells"
        " WHERE user_id = ? ORDER BY id",
    ),
    (
        # The pictures themselves (cleaned JPEG), as base64 in the export.
        "empty_cell_photos",
        "SELECT p.cell_id, p.status, p.bytes, p.image, p.created_at FROM cell_photos p"
        " JOIN cells c ON c.id = p.cell_id WHERE c.user_id = ? ORDER BY p.id",
    ),
    (
        "interest_in_cells",
        "SELECT cell_id, first_name, contact, status, created_at, consented_at"
        " FROM cell_interest WHERE user_id = ? ORDER BY id",
    ),
    ("cell_answer_waited", "SELECT cell_id, what, since FROM cell_typing WHERE user_id = ?"),
    (
        "producer_profile",
        "SELECT business_name, kind, territory_id, core_id, delivers, status, refusal,"
        " validated_at, submitted_at, created_at, updated_at FROM producers WHERE user_id = ?",
    ),
    (
        "producer_products",
        "SELECT product, months, volume FROM producer_products WHERE user_id = ? ORDER BY product",
    ),
    (
        "buy_local_wishes",
        "SELECT buyer_kind, product, months, volume, territory_id, core_id, status, created_at"
        " FROM buyer_wishes WHERE user_id = ? ORDER BY id",
    ),
    (
        # Their own side only: what they answered and agreed to give.
        "food_matches_as_producer",
        "SELECT id, product, status, producer_answer AS my_answer,"
        " producer_first_name AS my_first_name, producer_contact_kind AS my_contact_kind,"
        " producer_contact AS my_contact, proposed_at, connected_at, closed_at"
        " FROM food_matches WHERE producer_id = ? ORDER BY id",
    ),
    (
        "food_matches_as_buyer",
        "SELECT id, product, status, buyer_answer AS my_answer,"
        " buyer_first_name AS my_first_name, buyer_contact_kind AS my_contact_kind,"
        " buyer_contact AS my_contact, proposed_at, connected_at, closed_at"
        " FROM food_matches WHERE buyer_id = ? ORDER BY id",
    ),
    ("food_answer_waited", "SELECT match_id, what, since FROM food_typing WHERE user_id = ?"),
    (
        "popup_applications",
        "SELECT a.id, u.place, p.starts_on, p.ends_on, a.activity, a.sector_id, a.to_test,"
        " a.needs, a.status, a.reason, a.decided_at, a.announce_consent, a.created_at,"
        " a.submitted_at FROM popup_applications a JOIN popup_periods p ON p.id = a.period_id"
        " JOIN popups u ON u.id = p.popup_id WHERE a.user_id = ? ORDER BY a.id",
    ),
    (
        "popup_survey_answers",
        "SELECT s.application_id, s.would_settle, s.learned, s.cell_wish, s.asked_at,"
        " s.answered_at FROM popup_surveys s JOIN popup_applications a"
        " ON a.id = s.application_id WHERE a.user_id = ? ORDER BY s.application_id",
    ),
    (
        # An admin about to type why an application is declined.
        "popup_reason_waited",
        "SELECT application_id, since FROM popup_prompts WHERE user_id = ?",
    ),
    (
        "notices_waiting_for_me",
        "SELECT kind, subject, params, created_at FROM notices WHERE user_id = ? ORDER BY id",
    ),
    (
        # Notices to someone else that carry the person's first name or contact (sent soon).
        "notices_about_me",
        "SELECT kind, subject, params, created_at FROM notices WHERE about_user_id = ?"
        " ORDER BY id",
    ),
    (
        "teacher_at",
        "SELECT t.school_code, s.name AS school, t.added_at FROM teachers t"
        " JOIN schools s ON s.code = t.school_code WHERE t.user_id = ?",
    ),
    (
        "coach",
        "SELECT territories, specialities, added_at, removed_at FROM coaches WHERE user_id = ?",
    ),
    (
        "coaching_offered_to_me",
        "SELECT request_id, offered_at, deadline, answered_at, outcome FROM coaching_offers"
        " WHERE coach_id = ? ORDER BY offered_at",
    ),
    (
        "my_coach_notes",
        "SELECT request_id, note, updated_at FROM coach_notes WHERE coach_id = ?",
    ),
    (
        "announcements_received",
        "SELECT broadcast_id, status, sent_at FROM broadcast_outbox"
        " WHERE user_id = ? ORDER BY broadcast_id",
    ),
)


def _exportable(row: dict[str, Any]) -> dict[str, Any]:
    """Return a row JSON can hold: pictures as base64."""
    return {
        key: base64.b64encode(value).decode() if isinstance(value, bytes) else value
        for key, value in row.items()
    }


class ErasureRepository:
    """Read a person's data out, and take it all away."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, user_id: int) -> dict[str, Any]:
        """Return everything stored about a person, table by table."""
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        data: dict[str, Any] = {"profile": dict(row) if row is not None else None}
        for name, sql in EXPORTED:
            data[name] = [_exportable(dict(r)) for r in await self._db.fetch_all(sql, (user_id,))]
        if row is not None:
            # Answers to them stored but not sent yet (after a crash, or a failed send).
            data["answers_not_sent_yet"] = [
                dict(r)
                for r in await self._db.fetch_all(
                    "SELECT json_extract(reply, '$.text') AS text, created_at FROM reply_outbox"
                    " WHERE channel = ? AND chat_id = ? ORDER BY id",
                    (row["channel"], row["external_id"]),
                )
            ]
            # An admin's sessions on the dashboard: when each began, was last used, ended.
            data["dashboard_sessions"] = [
                dict(r)
                for r in await self._db.fetch_all(
                    "SELECT created_at, seen_at, ended_at FROM dashboard_sessions"
                    " WHERE admin_ref = ? ORDER BY id",
                    (f"{row['channel']}:{row['external_id']}",),
                )
            ]
        return data

    async def erase(self, user_id: int, channel: str, external_id: str) -> int:
        """Delete a person and everything tied to them; return their concerns' count.

        Call inside a transaction. What references users cascades (concerns and their voices,
        held texts, follow-ups, survey invitations, responses and answers, event answers,
        outbox rows); voices and pending updates are deleted explicitly, and quotes kept in
        digest snapshots are taken out.
        """
        concern_ids = [
            int(r[0])
            for r in await self._db.fetch_all(
                "SELECT id FROM concerns WHERE user_id = ?", (user_id,)
            )
        ]
        await self._db.execute("DELETE FROM concern_factors WHERE user_id = ?", (user_id,))
        # Every channel identity of the person: the one asking, their first, those linked.
        identities = {(channel, external_id)} | {
            (str(r[0]), str(r[1]))
            for r in await self._db.fetch_all(
                "SELECT channel, external_id FROM users WHERE id = ?"
                " UNION SELECT channel, external_id FROM user_identities WHERE user_id = ?",
                (user_id, user_id),
            )
        }
        for channel_name, ref in sorted(identities):
            await self._forget_identity(channel_name, ref)
        await purge_quotes(self._db, set(concern_ids))
        await self._db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return len(concern_ids)

    async def _forget_identity(self, channel: str, external_id: str) -> None:
        """Delete what is kept under one channel identity rather than the person's id."""
        await self._db.execute(
            "DELETE FROM inbox WHERE channel = ? AND (json_extract(payload, '$.message.from.id')"
            " = ? OR json_extract(payload, '$.callback_query.from.id') = ?"
            " OR json_extract(payload, '$.edited_message.from.id') = ?"
            " OR json_extract(payload, '$.wa_id') = ?)",
            (channel, int(external_id), int(external_id), int(external_id), external_id)
            if external_id.isdigit()
            else (channel, external_id, external_id, external_id, external_id),
        )
        # Answers not sent yet (the answer to /forget itself is stored after this).
        await ReplyOutbox(self._db).forget_chat(channel, external_id)
        # A refused attempt by this person stays in the audit trail, without who it was or
        # what they typed. (An admin's or partner's allowed actions stay: accountability.)
        await self._db.execute(
            "UPDATE audit_log SET actor = 'erased', detail = '' WHERE actor = ? AND allowed = 0",
            (f"{channel}:{external_id}",),
        )
        # Their private chat, if they had opened a partner's invitation in it.
        await self._db.execute(
            "DELETE FROM partner_chats WHERE channel = ? AND chat_id = ?", (channel, external_id)
        )
        await self._db.execute(
            "DELETE FROM digest_deliveries WHERE channel = ? AND chat_id = ?",
            (channel, external_id),
        )
        # An admin's dashboard links and sessions (the sign-ins stay in the audit trail).
        for table in ("dashboard_links", "dashboard_sessions"):
            await self._db.execute(
                f"DELETE FROM {table} WHERE admin_ref = ?", (f"{channel}:{external_id}",)
            )
        # Notes they published stay (an organisation's statement), without who wrote them.
        await self._db.execute(
            "UPDATE dashboard_notes SET admin_ref = NULL WHERE admin_ref = ?",
            (f"{channel}:{external_id}",),
        )

    async def flush(self) -> None:
        """Fold the write-ahead log into the file, so erased pages leave no copy behind."""
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def purge_quotes(db: Database, concern_ids: set[int]) -> None:
    """Take the quotes of these concerns out of every kept digest (erased or expired text)."""
    if not concern_ids:
        return
    rows = await db.fetch_all("SELECT partner_id, week, figures FROM digest_snapshots")
    for partner_id, week, figures in rows:
        data = json.loads(figures)
        quotes = data.get("quotes") or {}
        kept = {
            factor: [q for q in items if int(q["concern_id"]) not in concern_ids]
            for factor, items in quotes.items()
        }
        kept = {factor: items for factor, items in kept.items() if items}
        if kept != quotes:
            data["quotes"] = kept
            await db.execute(
                "UPDATE digest_snapshots SET figures = ? WHERE partner_id = ? AND week = ?",
                (json.dumps(data, ensure_ascii=False), partner_id, week),
            )
