"""Broadcasts: targeting, languages, schedule, pause/resume/cancel, 429/403, retries, reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.features.broadcasts.service import (
    BroadcastError,
    BroadcastService,
    BroadcastSettings,
    SendOutcome,
    SendResult,
)
from bot.features.broadcasts.store import Audience, Broadcast, BroadcastRepository, OutboxItem
from bot.i18n import translate
from bot.reference import Reference
from bot.storage import Database, Role, User, UserRepository
from tests.features.concerns.test_service import make_user
from tests.features.digests.test_service import raise_factor

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def footer(lang: str) -> str:
    return translate(lang, "announcements.footer")


class Killed(BaseException):
    """The process dies here (as under SIGKILL, no handler runs)."""


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Channel:
    """Collect what would be sent; answer with scripted outcomes per chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []
        self.script: dict[str, list[SendResult]] = {}
        self.on_send: Callable[[], object] | None = None

    async def __call__(self, broadcast: Broadcast, item: OutboxItem, text: str) -> SendResult:
        scripted = self.script.get(item.chat_id)
        result = scripted.pop(0) if scripted else SendResult(SendOutcome.SENT)
        if result.outcome is SendOutcome.SENT:
            self.sent.append((broadcast.id, item.chat_id, text))
        if self.on_send is not None:
            await self.on_send()  # type: ignore[misc]
        return result

    def chats(self) -> list[str]:
        return sorted(chat for _, chat, _ in self.sent)


def service(db: Database, reference: Reference, clock: Clock, **kw: object) -> BroadcastService:
    settings = BroadcastSettings(rate_per_s=1000.0, batch=3, **kw)  # type: ignore[arg-type]
    return BroadcastService(db, reference, settings, clock)


async def people(db: Database) -> dict[str, User]:
    users = UserRepository(db)
    made = {
        "ogy_shop": await make_user(db, "1", core="les_ogy"),
        "ogy_coach": await make_user(db, "2", core="les_ogy", role=Role.COACH),
        "ghoy_shop": await make_user(db, "3", core="les_ghoy"),
        "flagey_nl": await make_user(db, "4", core="bru_flagey"),
        "flagey_en": await make_user(db, "5", core="bru_flagey"),
    }
    made["flagey_nl"] = await users.update(made["flagey_nl"].id, language="nl")
    made["flagey_en"] = await users.update(made["flagey_en"].id, language="en")
    made["ghoy_shop"] = await users.update(made["ghoy_shop"].id, sector_id="butcher")
    return made


async def test_audiences_count_exactly_who_matches_and_exclude_who_said_no(
    db: Database, reference: Reference
) -> None:
    who = await people(db)
    clock = Clock()
    broadcasts = service(db, reference, clock)
    await raise_factor(db, who["ogy_shop"], "roadworks", NOW - timedelta(days=10))
    await raise_factor(db, who["flagey_nl"], "roadworks", NOW - timedelta(days=40))
    assert await broadcasts.count(Audience()) == 5
    assert await broadcasts.count(Audience(territory_id="lessines")) == 3
    assert await broadcasts.count(Audience(core_id="les_ogy", role="shopkeeper")) == 1
    assert await broadcasts.count(Audience(sector_id="butcher")) == 1
    assert await broadcasts.count(Audience(language="nl")) == 1
    assert await broadcasts.count(Audience(factor="roadworks", days=30)) == 1
    assert await broadcasts.count(Audience(factor="roadworks", days=60)) == 2
    users = UserRepository(db)
    await users.update(who["ogy_coach"].id, announcements=False)  # /stop
    await users.mark_blocked("test", who["ghoy_shop"].external_id)
    not_done = await users.create(
        channel="test",
        external_id="6",
        language="fr",
        consent_version="v",
        step=who["ogy_shop"].step,
        pending_core_id=None,
    )
    assert not_done.core_id is None  # consented, not onboarded: not an audience member
    assert await broadcasts.count(Audience(territory_id="lessines")) == 1
    # Someone who has not accepted the current privacy notice yet gets nothing.
    await db.execute(
        "UPDATE users SET consent_version = 'older' WHERE id = ?", (who["ogy_shop"].id,)
    )
    assert await broadcasts.count(Audience(territory_id="lessines")) == 0
    for wrong in (
        Audience(territory_id="atlantis"),
        Audience(core_id="les_nowhere"),
        Audience(sector_id="spaceships"),
        Audience(factor="weather", days=3),
        Audience(factor="roadworks"),
        Audience(role="astronaut"),
        Audience(language="de"),
    ):
        with pytest.raises(BroadcastError):
            await broadcasts.create(created_by="t", texts={"fr": "Bonjour"}, audience=wrong)
    with pytest.raises(BroadcastError):
        await broadcasts.create(created_by="t", texts={"nl": "Hallo"}, audience=Audience())
    with pytest.raises(BroadcastError):
        await broadcasts.create(
            created_by="t", texts={"fr": "x" * 1025}, photo="file-id", audience=Audience()
        )
    assert await BroadcastRepository(db).recent(10) == []  # nothing refused was stored


async def test_each_person_gets_their_language_or_french_once_at_the_set_time(
    db: Database, reference: Reference
) -> None:
    who = await people(db)
    clock = Clock()
    broadcasts = service(db, reference, clock)
    channel = Channel()
    await broadcasts.create(
        created_by="t",
        texts={"fr": "Séance d'info jeudi", "nl": "Infosessie donderdag"},
        audience=Audience(territory_id="brussels"),
        send_at=NOW + timedelta(hours=2),
    )
    assert await broadcasts.drain(channel) == 0  # not yet
    clock.now = NOW + timedelta(hours=2)
    assert await broadcasts.drain(channel) == 2
    texts = {chat: text for _, chat, text in channel.sent}
    assert texts == {
        who["flagey_nl"].external_id: "Infosessie donderdag\n\n" + footer("nl"),
        # No English text: the French one, with how to stop announcements in English.
        who["flagey_en"].external_id: "Séance d'info jeudi\n\n" + footer("en"),
    }
    assert await broadcasts.drain(channel) == 0  # never twice
    [(broadcast, progress)] = await broadcasts.recent()
    assert broadcast.status == "done" and broadcast.recipients == 2
    assert progress == {"sent": 2}


async def test_pause_resume_and_cancel(db: Database, reference: Reference) -> None:
    for i in range(10):
        await make_user(db, f"p{i}", core="les_ogy")
    clock = Clock()
    broadcasts = service(db, reference, clock)
    channel = Channel()
    first = await broadcasts.create(created_by="t", texts={"fr": "A"}, audience=Audience())

    async def pause_after_four() -> None:
        if len(channel.sent) == 4:
            await broadcasts.pause(first.id)

    channel.on_send = pause_after_four
    await broadcasts.drain(channel)
    # The batch in hand when the pause came is finished; nothing after it.
    assert len(channel.sent) == 6
    assert await broadcasts.drain(channel) == 0
    channel.on_send = None
    assert await broadcasts.resume(first.id)
    assert await broadcasts.drain(channel) == 4
    assert sorted(channel.chats()) == sorted(f"p{i}" for i in range(10))

    second = await broadcasts.create(created_by="t", texts={"fr": "B"}, audience=Audience())

    async def cancel_after_two() -> None:
        if sum(1 for b, _, _ in channel.sent if b == second.id) == 2:
            await broadcasts.cancel(second.id)

    channel.on_send = cancel_after_two
    await broadcasts.drain(channel)
    assert not await broadcasts.resume(second.id)  # a cancelled broadcast stays cancelled
    assert await broadcasts.drain(channel) == 0
    # The batch of three in hand when the cancel came is finished; the rest never goes.
    assert [p for b, p in (await broadcasts.recent()) if b.id == second.id] == [
        {"sent": 3, "cancelled": 7}
    ]


async def test_429_waits_403_blocks_for_good_other_errors_retry_then_fail_with_reason(
    db: Database, reference: Reference
) -> None:
    who = await people(db)
    clock = Clock()
    broadcasts = service(db, reference, clock, max_attempts=2)
    channel = Channel()
    slow, gone, broken = (who[k].external_id for k in ("ogy_shop", "ogy_coach", "ghoy_shop"))
    channel.script = {
        slow: [SendResult(SendOutcome.RATE_LIMITED, retry_after=0.05)] * 3,
        gone: [SendResult(SendOutcome.BLOCKED)],
        broken: [SendResult(SendOutcome.ERROR, error="Bad Request: chat not found")] * 2,
    }
    reports: list[tuple[int, dict[str, int], list[tuple[str, int]]]] = []

    async def report(
        b: Broadcast,
        progress: dict[str, int],
        reasons: list[tuple[str, int]],
        _statuses: dict[str, int],
    ) -> bool:
        reports.append((b.id, progress, reasons))
        return True

    made = await broadcasts.create(
        created_by="t", texts={"fr": "Hello"}, audience=Audience(), report_chat="42"
    )
    await broadcasts.drain(channel, report)
    assert channel.chats() == sorted([who["flagey_nl"].external_id, who["flagey_en"].external_id])
    for _ in range(3):  # each 429 holds the message for retry_after, then it goes
        clock.now += timedelta(seconds=1)
        await broadcasts.drain(channel, report)
    assert slow in channel.chats()
    rows = {
        r["chat_id"]: (r["status"], r["attempts"], r["error"])
        for r in await db.fetch_all("SELECT * FROM broadcast_outbox")
    }
    assert rows[slow] == ("sent", 1, None)  # three 429s cost no attempt
    assert rows[gone] == ("blocked", 1, None)
    assert rows[broken][0] == "pending"  # one error: tried again after a backoff
    assert reports == []  # not finished yet
    clock.now += timedelta(minutes=1)
    await broadcasts.drain(channel, report)
    rows = {
        r["chat_id"]: r["status"] for r in await db.fetch_all("SELECT * FROM broadcast_outbox")
    }
    assert rows[broken] == "failed"
    assert reports == [
        (made.id, {"sent": 3, "blocked": 1, "failed": 1}, [("Bad Request: chat not found", 1)])
    ]
    await broadcasts.drain(channel, report)
    assert len(reports) == 1  # the report goes once
    # Who blocked the bot is out of every later audience.
    blocked = await UserRepository(db).get("test", gone)
    assert blocked is not None and blocked.blocked_at is not None
    assert await broadcasts.count(Audience()) == 4


async def test_a_message_not_allowed_now_waits_without_using_up_its_attempts(
    db: Database, reference: Reference
) -> None:
    who = await people(db)
    clock = Clock()
    broadcasts = service(db, reference, clock, max_attempts=2)
    channel = Channel()
    waiting = who["ogy_shop"].external_id
    pending = "template echoppe_announcement (fr) is PENDING"
    channel.script = {waiting: [SendResult(SendOutcome.DEFERRED, error=pending)] * 5}
    reports: list[dict[str, int]] = []

    async def report(
        _b: Broadcast,
        progress: dict[str, int],
        _reasons: list[tuple[str, int]],
        _statuses: dict[str, int],
    ) -> bool:
        reports.append(progress)
        return True

    await broadcasts.create(
        created_by="t", texts={"fr": "Hello"}, audience=Audience(), report_chat="42"
    )
    await broadcasts.drain(channel, report)
    for _ in range(5):  # deferred five times: more than max_attempts, yet not failed
        clock.now += timedelta(hours=1, minutes=1)
        await broadcasts.drain(channel, report)
        row = await db.fetch_one(
            "SELECT status, attempts, error FROM broadcast_outbox WHERE chat_id = ?", (waiting,)
        )
        assert row is not None
        assert row["status"] in ("pending", "sent")
    row = await db.fetch_one(
        "SELECT status, attempts FROM broadcast_outbox WHERE chat_id = ?", (waiting,)
    )
    assert row is not None and (row["status"], row["attempts"]) == ("sent", 1)
    assert waiting in channel.chats() and reports and reports[-1].get("failed", 0) == 0


async def test_a_message_failed_later_by_a_marketing_cap_goes_again_a_day_on(
    db: Database, reference: Reference
) -> None:
    who = await people(db)
    clock = Clock()
    broadcasts = service(db, reference, clock)
    capped = who["ogy_shop"].external_id

    class Ids(Channel):
        async def __call__(self, b: Broadcast, item: OutboxItem, text: str) -> SendResult:
            await super().__call__(b, item, text)
            return SendResult(
                SendOutcome.SENT, message_id=f"wamid.{item.chat_id}.{len(self.sent)}"
            )

    channel = Ids()

    async def report(*_args: object) -> bool:
        return True

    made = await broadcasts.create(created_by="t", texts={"fr": "Hi"}, audience=Audience())
    await broadcasts.drain(channel, report)
    row = await db.fetch_one(
        "SELECT message_id FROM broadcast_outbox WHERE chat_id = ?", (capped,)
    )
    assert row is not None and row[0]
    assert await broadcasts.defer_sent("test", row[0], timedelta(days=1), "cap (131049)")
    assert not await broadcasts.defer_sent("test", "wamid.unknown", timedelta(days=1), "x")
    await broadcasts.drain(channel, report)
    assert channel.chats().count(capped) == 1  # not before a day
    clock.now += timedelta(days=1, minutes=1)
    await broadcasts.drain(channel, report)
    assert channel.chats().count(capped) == 2
    [(latest, progress)] = await broadcasts.recent(1)
    assert latest.id == made.id and progress.get("pending", 0) == 0


async def test_messages_in_flight_at_a_crash_go_again_everyone_else_exactly_once(
    db: Database, reference: Reference
) -> None:
    for i in range(8):
        await make_user(db, f"c{i}", core="les_ogy")
    clock = Clock()
    broadcasts = service(db, reference, clock)
    made = await broadcasts.create(created_by="t", texts={"fr": "A"}, audience=Audience())
    channel = Channel()

    async def crash_on_the_fifth() -> None:
        if len(channel.sent) == 5:
            raise Killed  # not an Exception: nothing after it runs

    channel.on_send = crash_on_the_fifth
    with pytest.raises(Killed):
        await broadcasts.drain(channel)
    # The process is gone: a new one starts from the database alone.
    restarted = service(db, reference, clock)
    assert await restarted.recover() == 3  # the batch in hand (batch size 3)
    channel.on_send = None
    await restarted.drain(channel)
    chats = [chat for b, chat, _ in channel.sent if b == made.id]
    assert sorted(set(chats)) == [f"c{i}" for i in range(8)]  # nobody skipped
    assert len(chats) - 8 <= 3  # duplicates only among the batch in flight


async def test_a_stopped_dispatcher_starts_no_drain_and_nothing_in_flight_is_skipped(
    db: Database, reference: Reference
) -> None:
    for i in range(3):  # one batch
        await make_user(db, f"s{i}", core="les_ogy")
    clock = Clock()
    broadcasts = service(db, reference, clock)
    made = await broadcasts.create(created_by="t", texts={"fr": "A"}, audience=Audience())
    channel = Channel()
    gate = asyncio.Event()

    async def slow(b: Broadcast, item: OutboxItem, text: str) -> SendResult:
        await gate.wait()  # Telegram is slow to answer
        return await channel(b, item, text)

    broadcasts.kick(slow)
    await asyncio.sleep(0.2)  # the batch is handed over: 'sending'
    await broadcasts.stop()  # the bot shuts down
    gate.set()
    broadcasts.kick(channel)  # the job queue ticks once more before it stops
    await asyncio.sleep(0.2)
    repo = BroadcastRepository(db)
    stopped = await repo.get(made.id)
    assert stopped is not None and stopped.status == "sending"  # not closed with rows left
    restarted = service(db, reference, clock)
    assert await restarted.recover() == 3
    await restarted.drain(channel)
    assert sorted(channel.chats()) == ["s0", "s1", "s2"]
    finished = await repo.get(made.id)
    assert finished is not None and finished.status == "done"
