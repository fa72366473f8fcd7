"""The outbox of answers: stored with the change they answer, deleted once sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.base import Button, Recipient, Reply
from bot.storage.database import Database, utcnow


@dataclass(frozen=True)
class QueuedReply:
    """One stored answer, to a recipient, with the update it answers."""

    id: int
    to: Recipient
    event_key: str
    reply: Reply
    created_at: str


class ReplyOutbox:
    """Store answers, list the unsent, delete the sent or stale ones."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, to: Recipient, event_key: str, replies: Sequence[Reply]) -> list[int]:
        """Store answers in order (inside the caller's transaction); return their ids."""
        now = utcnow()
        ids: list[int] = []
        for reply in replies:
            ids.append(
                await self._db.insert(
                    "INSERT INTO reply_outbox (channel, chat_id, event_key, reply, image,"
                    " document, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        to.channel,
                        to.chat_id,
                        event_key,
                        _encode(reply),
                        reply.image,
                        reply.document[1] if reply.document else None,
                        now,
                    ),
                )
            )
        return ids

    async def depth(self) -> int:
        """Return how many answers wait to be sent."""
        row = await self._db.fetch_one("SELECT COUNT(*) FROM reply_outbox")
        return 0 if row is None else int(row[0])

    async def pending(self, limit: int = 200) -> list[QueuedReply]:
        """Return unsent answers, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id, channel, chat_id, event_key, reply, image, document, created_at"
            " FROM reply_outbox ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            QueuedReply(
                id=int(r["id"]),
                to=Recipient(str(r["channel"]), str(r["chat_id"])),
                event_key=str(r["event_key"]),
                reply=_decode(str(r["reply"]), r["image"], r["document"]),
                created_at=str(r["created_at"]),
            )
            for r in rows
        ]

    async def delete(self, ids: Sequence[int]) -> None:
        """Forget answers that went out (or are no longer worth sending)."""
        if ids:
            marks = ",".join("?" * len(ids))
            await self._db.execute(f"DELETE FROM reply_outbox WHERE id IN ({marks})", tuple(ids))

    async def forget_chat(self, channel: str, chat_id: str) -> int:
        """Delete a chat's unsent answers (for /forget)."""
        return await self._db.execute(
            "DELETE FROM reply_outbox WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )


def _encode(reply: Reply) -> str:
    data: dict[str, Any] = {"text": reply.text, "edit": reply.edit}
    if reply.buttons:
        data["buttons"] = [[[b.label, b.data] for b in row] for row in reply.buttons]
    if reply.document is not None:
        data["document_name"] = reply.document[0]
    if reply.image_ref is not None:
        data["image_ref"] = reply.image_ref
    if reply.edit_ref is not None:
        data["edit_ref"] = reply.edit_ref
    if reply.valid_while is not None:
        data["valid_while"] = reply.valid_while
    return json.dumps(data, ensure_ascii=False)


def _decode(raw: str, image: bytes | None, document: bytes | None) -> Reply:
    data = json.loads(raw)
    return Reply(
        text=data["text"],
        buttons=tuple(
            tuple(Button(label, payload) for label, payload in row)
            for row in data.get("buttons", [])
        ),
        edit=bool(data.get("edit", False)),
        image=image,
        document=(data["document_name"], document or b"") if "document_name" in data else None,
        image_ref=data.get("image_ref"),
        edit_ref=data.get("edit_ref"),
        valid_while=data.get("valid_while"),
    )
