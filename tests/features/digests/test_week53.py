"""ISO week 53: 2026 has one (Monday 28 December 2026 to Sunday 3 January 2027, Brussels time).

Its digest goes out once, at the first Monday 08:00 after it (4 January 2027, 08:00 CET =
07:00 UTC), counts exactly that week, and is followed by 2027-W01. The clock is the
dispatcher's `now`, pinned for every run, as in tests/services/test_digest_dispatch.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.scheduler import weekly_trigger
from bot.features.digests.service import DigestFigures
from bot.features.partners.store import Partner
from bot.reference import Reference
from bot.shared.schedule import WeeklyTime, last_full_week, week_bounds
from bot.shared.sending import Delivery
from bot.storage import Database
from tests.features.concerns.test_service import make_user
from tests.features.digests.test_dispatch import BRUSSELS, setup
from tests.features.digests.test_service import raise_factor

WEEK_53 = "2026-W53"
# Monday 28 December 2026 00:00 CET and Monday 4 January 2027 00:00 CET, in UTC.
START = datetime(2026, 12, 27, 23, tzinfo=UTC)
END = datetime(2027, 1, 3, 23, tzinfo=UTC)
# The first Monday 08:00 (CET, UTC+1) after the week.
SEND_TIME = datetime(2027, 1, 4, 7, tzinfo=UTC)
MS = timedelta(milliseconds=1)


class Mailbox:
    """Collect what the dispatcher sends: (chat, week, figures)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, DigestFigures]] = []

    async def __call__(
        self, _partner: Partner, _channel: str, chat_id: str, figures: DigestFigures
    ) -> Delivery:
        self.sent.append((chat_id, figures.week, figures))
        return Delivery.SENT

    def weeks(self) -> list[tuple[str, str]]:
        return sorted((chat, week) for chat, week, _ in self.sent)


def test_week_53_of_2026_runs_from_28_december_to_3_january_in_brussels() -> None:
    start, end = week_bounds(WEEK_53, BRUSSELS)
    assert (start, end) == (START, END)
    assert end - start == timedelta(days=7)  # no DST change in winter
    # It is the last full week from its end until the Sunday after, and 2027-W01 follows.
    assert last_full_week(END, BRUSSELS) == WEEK_53
    assert last_full_week(END - MS, BRUSSELS) == "2026-W52"
    assert last_full_week(END + timedelta(days=7) - MS, BRUSSELS) == WEEK_53
    assert last_full_week(END + timedelta(days=7), BRUSSELS) == "2027-W01"
    # The bot's weekly job (APScheduler) fires at 08:00 CET on Monday 4 January, and the
    # dispatcher's own computation agrees.
    after_w52 = datetime(2026, 12, 28, 7, 0, 1, tzinfo=UTC)
    when = WeeklyTime.parse("mon 08:00")
    assert weekly_trigger(when, BRUSSELS).get_next_fire_time(None, after_w52) == SEND_TIME
    assert when.next_after(after_w52, BRUSSELS) == SEND_TIME


async def test_the_week_53_digest_goes_out_once_on_monday_4_january_at_8_local(
    db: Database, reference: Reference
) -> None:
    dispatcher, adl = await setup(db, reference)  # two chats, k = 5
    # Inside week 53, from its first to its last millisecond (local time): counted.
    inside = [START, START, START + timedelta(days=3, hours=13), END - MS, END - MS]
    for i, at in enumerate(inside):
        await raise_factor(db, await make_user(db, f"in{i}", core="les_ogy"), "roadworks", at)
    # Just before and just after it: never counted in week 53.
    outside = [START - MS, START - MS, START - timedelta(days=1), END, END + timedelta(hours=6)]
    for i, at in enumerate(outside):
        await raise_factor(db, await make_user(db, f"out{i}", core="les_ogy"), "staff", at)
    mail = Mailbox()

    # Monday 28 December 08:00: the digest of week 52 goes out (to each chat once).
    assert dispatcher.due_week(datetime(2026, 12, 28, 7, tzinfo=UTC)) == "2026-W52"
    assert await dispatcher.run(mail, datetime(2026, 12, 28, 7, tzinfo=UTC)) == 2
    # All through week 53, New Year's Eve included, and up to Monday 07:59:59 local, nothing
    # more: week 53 is not over, or its send time has not come.
    for moment in (
        datetime(2026, 12, 31, 23, 10, tzinfo=UTC),  # 00:10 on 1 January in Brussels
        END - MS,  # Sunday 3 January 23:59:59.999 local
        END,  # Monday 00:00 local: the week is over, the digest waits for 08:00
        SEND_TIME - timedelta(seconds=1),
    ):
        assert dispatcher.due_week(moment) == "2026-W52", moment
        assert await dispatcher.run(mail, moment) == 0, moment
    assert mail.weeks() == [("700", "2026-W52"), ("701", "2026-W52")]

    # Monday 4 January 2027, 08:00 CET: week 53's digest, to both chats.
    assert dispatcher.due_week(SEND_TIME) == WEEK_53
    assert await dispatcher.run(mail, SEND_TIME) == 2
    week_53 = [figures for _, week, figures in mail.sent if week == WEEK_53]
    assert len(week_53) == 2
    for figures in week_53:
        lines = {line.factor: line.people for line in figures.factors}
        # The five voices inside the week, and none of the five just outside it.
        assert (figures.concerns, figures.people) == (5, 5)
        assert lines["roadworks"] == 5 and lines["staff"] is None
    rows = await db.fetch_all(
        "SELECT chat_id, sent_at FROM digest_deliveries WHERE partner_id = ? AND week = ?"
        " ORDER BY chat_id",
        (adl.id, WEEK_53),
    )
    assert [tuple(r) for r in rows] == [
        ("700", SEND_TIME.isoformat()),
        ("701", SEND_TIME.isoformat()),
    ]

    # Running again (the catch-up sweep, a restart, later that week) sends nothing twice.
    for moment in (
        SEND_TIME,
        SEND_TIME + timedelta(minutes=10),
        datetime(2027, 1, 5, 15, tzinfo=UTC),
        datetime(2027, 1, 11, 7, tzinfo=UTC) - timedelta(seconds=1),
    ):
        assert dispatcher.due_week(moment) == WEEK_53, moment
        assert await dispatcher.run(mail, moment) == 0, moment
    assert mail.weeks() == [
        ("700", "2026-W52"),
        ("700", WEEK_53),
        ("701", "2026-W52"),
        ("701", WEEK_53),
    ]
    # The next Monday it is 2027-W01's turn.
    assert dispatcher.due_week(datetime(2027, 1, 11, 7, tzinfo=UTC)) == "2027-W01"


async def test_a_bot_down_over_new_year_sends_week_53_once_when_it_is_back(
    db: Database, reference: Reference
) -> None:
    dispatcher, _ = await setup(db, reference)
    mail = Mailbox()
    # Down from before week 53 until Tuesday 5 January 2027: week 52's digest is not sent
    # any more (its turn is over), week 53's goes out once.
    back = datetime(2027, 1, 5, 14, tzinfo=UTC)
    assert await dispatcher.run(mail, back) == 2
    assert await dispatcher.run(mail, back + timedelta(minutes=5)) == 0
    assert mail.weeks() == [("700", WEEK_53), ("701", WEEK_53)]
