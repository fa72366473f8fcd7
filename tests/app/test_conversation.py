"""Tests of the conversation: each action applied once, its answers stored with it, sent once."""

from __future__ import annotations

from bot.app.conversation import Conversation
from bot.channels.base import (
    IncomingKind,
    IncomingMessage,
    Outcome,
    Recipient,
    Reply,
    SendOutcome,
    SendStatus,
)
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, UserRepository
from tests.support import MemoryPort


def _message(key: str) -> IncomingMessage:
    return IncomingMessage("telegram", "42", key, IncomingKind.COMMAND, command="help")


async def _always(_key: str) -> bool:
    return True


def _conversation(db: Database, port: MemoryPort, handle: object) -> Conversation:
    outbound = Outbound(ContactService(UserRepository(db)))
    outbound.register(port)
    return Conversation(db, handle, outbound, _always)  # type: ignore[arg-type]


async def _count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_a_redelivered_read_only_action_is_not_answered_again(db: Database) -> None:
    port = MemoryPort()
    runs = 0

    async def handle(_msg: IncomingMessage) -> Outcome:
        nonlocal runs
        runs += 1
        return Outcome((Reply(f"help #{runs}"),))

    conversation = _conversation(db, port, handle)
    first = await conversation.apply(_message("tg:7"))
    await first.deliver()
    again = await conversation.apply(_message("tg:7"))
    await again.deliver()
    assert again.outcome.duplicate
    assert port.texts == ["help #1"]
    assert await _count(db, "reply_outbox") == 0


async def test_what_a_redelivered_action_wrote_without_claiming_it_is_undone(
    db: Database,
) -> None:
    port = MemoryPort()

    async def handle(msg: IncomingMessage) -> Outcome:
        async with db.transaction():
            await db.execute(
                "INSERT INTO inbox (event_key, channel, payload, received_at)"
                " VALUES (?, 'telegram', '{}', '2026-01-01')",
                (f"side-{msg.event_key}-{await _count(db, 'inbox')}",),
            )
        return Outcome((Reply("done"),))

    conversation = _conversation(db, port, handle)
    await (await conversation.apply(_message("tg:8"))).deliver()
    answer = await conversation.apply(_message("tg:8"))
    assert answer.outcome.duplicate
    assert await _count(db, "inbox") == 1
    assert port.texts == ["done"]


async def test_an_answer_that_did_not_go_is_kept_and_sent_by_the_drain(db: Database) -> None:
    refusing = True

    def fail(_to: Recipient, _reply: Reply) -> SendOutcome | None:
        return SendOutcome(SendStatus.FAILED, reason="network") if refusing else None

    port = MemoryPort(fail=fail)

    async def handle(_msg: IncomingMessage) -> Outcome:
        return Outcome((Reply("one"), Reply("two")))

    conversation = _conversation(db, port, handle)
    await (await conversation.apply(_message("tg:9"))).deliver()
    assert port.texts == []
    assert await _count(db, "reply_outbox") == 2
    refusing = False
    assert await conversation.drain(everything=True) == 2
    assert port.texts == ["one", "two"]
    assert await _count(db, "reply_outbox") == 0
