"""The weekly digest goes out at 08:00 local on Mondays, once per chat, and catches up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app.scheduler import weekly_trigger
from bot.features.digests.dispatch import DigestDispatcher
from bot.features.digests.service import DigestFigures, DigestService
from bot.features.partners.service import PartnerService
from bot.features.partners.store import Partner
from bot.reference import Reference
from bot.shared.schedule import WeeklyTime
from bot.shared.sending import Delivery
from bot.storage import Database

BRUSSELS = ZoneInfo("Europe/Brussels")


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []

    async def __call__(
        self, partner: Partner, _channel: str, chat_id: str, figures: DigestFigures
    ) -> Delivery:
        self.sent.append((partner.id, chat_id, figures.week))
        return Delivery.SENT


async def setup(db: Database, reference: Reference) -> tuple[DigestDispatcher, Partner]:
    partners = PartnerService(db, reference)
    adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
    for chat in ("700", "701"):
        invitation = await partners.invite(
            adl.id, created_by="t", now=datetime(2026, 1, 1, tzinfo=UTC)
        )
        await partners.redeem(
            invitation.start_parameter,
            channel="telegram",
            chat_id=chat,
            event_key=f"bind:{chat}",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    dispatcher = DigestDispatcher(
        db, DigestService(db, 5, BRUSSELS), WeeklyTime.parse("mon 08:00"), BRUSSELS
    )
    return dispatcher, adl


async def test_monday_8_local_once_per_chat_on_both_sides_of_dst(
    db: Database, reference: Reference
) -> None:
    dispatcher, adl = await setup(db, reference)
    mail = Mailbox()
    # Winter: Monday 23 March 2026, 08:00 CET = 07:00 UTC. A minute before, the digest due is
    # still the one of the week before (W11, sent on the 16th); at 08:00 it is W12's.
    assert dispatcher.due_week(datetime(2026, 3, 23, 6, 59, tzinfo=UTC)) == "2026-W11"
    assert dispatcher.due_week(datetime(2026, 3, 23, 7, 0, tzinfo=UTC)) == "2026-W12"
    # Summer: Monday 30 March 2026, 08:00 CEST = 06:00 UTC.
    assert dispatcher.due_week(datetime(2026, 3, 30, 5, 59, tzinfo=UTC)) == "2026-W12"
    assert dispatcher.due_week(datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == "2026-W13"
    assert await dispatcher.run(mail, datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == 2
    # Later runs the same week send nothing again.
    assert await dispatcher.run(mail, datetime(2026, 3, 30, 6, 10, tzinfo=UTC)) == 0
    assert await dispatcher.run(mail, datetime(2026, 4, 2, 12, tzinfo=UTC)) == 0
    assert sorted(mail.sent) == [(adl.id, "700", "2026-W13"), (adl.id, "701", "2026-W13")]
    # Back in winter: Monday 26 October 2026, 08:00 CET = 07:00 UTC.
    assert dispatcher.due_week(datetime(2026, 10, 26, 6, 59, tzinfo=UTC)) == "2026-W42"
    assert dispatcher.due_week(datetime(2026, 10, 26, 7, 0, tzinfo=UTC)) == "2026-W43"


async def test_a_digest_missed_while_down_goes_out_at_the_next_start(
    db: Database, reference: Reference
) -> None:
    dispatcher, _ = await setup(db, reference)
    mail = Mailbox()
    # Down over Monday 30 November 2026 08:00; back on Tuesday afternoon.
    assert await dispatcher.run(mail, datetime(2026, 12, 1, 15, tzinfo=UTC)) == 2
    assert {week for _, _, week in mail.sent} == {"2026-W48"}
    assert await dispatcher.run(mail, datetime(2026, 12, 1, 15, 10, tzinfo=UTC)) == 0


async def test_two_runs_at_once_send_each_chat_its_week_once(
    db: Database, reference: Reference
) -> None:
    dispatcher, _ = await setup(db, reference)
    mailbox = Mailbox()

    async def slow(
        partner: Partner, channel: str, chat_id: str, figures: DigestFigures
    ) -> Delivery:
        await asyncio.sleep(0.05)  # both runs are in flight together
        return await mailbox(partner, channel, chat_id, figures)

    monday = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Brussels
    sent = await asyncio.gather(dispatcher.run(slow, monday), dispatcher.run(slow, monday))
    assert sorted(sent) == [0, 2]
    assert sorted(chat for _, chat, _ in mailbox.sent) == ["700", "701"]


def test_the_cron_trigger_fires_when_the_local_time_says_across_dst() -> None:
    when = WeeklyTime.parse("mon 08:00")
    trigger = weekly_trigger(when, BRUSSELS)
    # Around both 2026 changes: 29 March (to summer time) and 25 October (to winter time).
    assert trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(
        2026, 3, 30, 6, 0, tzinfo=UTC
    )
    assert trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, tzinfo=UTC)) == datetime(
        2026, 10, 26, 7, 0, tzinfo=UTC
    )
    # APScheduler's trigger and the dispatcher's own computation agree all year round.
    moment = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)  # never exactly on a send time
    while moment < datetime(2027, 1, 1, tzinfo=UTC):
        assert trigger.get_next_fire_time(None, moment) == when.next_after(moment, BRUSSELS)
        moment += timedelta(hours=7)
