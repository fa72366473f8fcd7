"""The one nudge: a week after onboarding, nothing said yet, at decent hours, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.concerns.store import ConcernRepository
from bot.features.reach.nudges import NudgeService
from bot.shared.sending import Delivery
from bot.storage import Database, User
from tests.features.concerns.test_service import key, make_user

BRUSSELS = ZoneInfo("Europe/Brussels")
# A Monday and a Sunday, 10:00 in Brussels (the dates are fixed: no test depends on today).
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=BRUSSELS)
SUNDAY_10 = datetime(2026, 12, 6, 10, 0, tzinfo=BRUSSELS)


async def _joined(db: Database, ref: str, days_ago: float, at: datetime) -> User:
    user = await make_user(db, ref)
    created = (at - timedelta(days=days_ago)).astimezone(UTC).isoformat(timespec="milliseconds")
    await db.execute("UPDATE users SET created_at = ? WHERE id = ?", (created, user.id))
    return user


async def test_one_nudge_a_week_on_for_the_silent_only_at_decent_hours(db: Database) -> None:
    silent = await _joined(db, "silent", 8, MONDAY_10)
    spoke = await _joined(db, "spoke", 8, MONDAY_10)
    await ConcernRepository(db).create(
        user_id=spoke.id, text="t", lang="fr", predicted=["staff"], text_hash=key()
    )
    await _joined(db, "new", 3, MONDAY_10)
    unwanted = await _joined(db, "unwanted", 8, MONDAY_10)
    await db.execute("UPDATE users SET nudges = 0 WHERE id = ?", (unwanted.id,))
    stopped = await _joined(db, "stopped", 8, MONDAY_10)  # STOP: no marketing messages
    await db.execute("UPDATE users SET announcements = 0 WHERE id = ?", (stopped.id,))
    await _joined(db, "old", 20, MONDAY_10)  # "a week ago" would not be true any more
    sent_to: list[str] = []

    async def send(user: User) -> Delivery:
        sent_to.append(user.external_id)
        return Delivery.SENT

    for moment in (
        SUNDAY_10,
        MONDAY_10.replace(hour=8, minute=59),
        MONDAY_10.replace(hour=19, minute=0),
    ):
        assert await NudgeService(db, BRUSSELS, lambda m=moment: m).send_due(send) == 0
    service = NudgeService(db, BRUSSELS, lambda: MONDAY_10)
    assert await service.send_due(send) == 1
    assert sent_to == [silent.external_id]
    assert await service.send_due(send) == 0  # never twice
    row = await db.fetch_one("SELECT nudged_at FROM users WHERE id = ?", (silent.id,))
    assert row is not None and row[0] is not None


async def test_nudges_are_spread_over_what_is_left_of_the_day(db: Database) -> None:
    late = MONDAY_10.replace(hour=18, minute=0)  # four rounds of 15 minutes left
    for i in range(10):
        await _joined(db, f"p{i}", 8, late)
    sent: list[int] = []

    async def send(user: User) -> Delivery:
        sent.append(user.id)
        return Delivery.SENT

    assert await NudgeService(db, BRUSSELS, lambda: late).send_due(send) == 3  # ceil(10 / 4)
    later = late + timedelta(minutes=45)  # the last round takes what is left
    assert await NudgeService(db, BRUSSELS, lambda: later).send_due(send) == 7
    assert len(set(sent)) == 10
