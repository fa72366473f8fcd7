"""End-to-end: an admin creates an event, people answer, the calendar file, the waiting list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import icalendar

from bot.app.run import running_bot
from bot.channels.base import SendOutcome, SendStatus
from bot.config import Settings
from bot.features.events.jobs import notice_sender
from bot.features.events.store import Answer
from bot.i18n import translate
from bot.reference import Reference
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, UserRepository
from tests.features.broadcasts.test_service import Clock
from tests.features.concerns.test_service import make_user
from tests.features.events.test_service import NOW, announced, invite, service
from tests.support import MemoryPort, Phone, eventually, onboard

PhoneFactory = Callable[..., Phone]

FORM = """/event
title: Atelier vitrine
when: 2099-12-10 18:00
duration: 2h
place: Maison du commerce, Lessines
capacity: 1
territory: lessines
description: Deux heures avec une décoratrice."""


async def test_an_event_is_announced_answered_with_a_seat_a_waiting_list_and_a_calendar_file(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(
        settings.model_copy(update={"admin_ids": (9750,)}), poll_timeout=1
    ) as bot:
        first, second = make_phone(9751, "fr"), make_phone(9752, "en")
        for phone in (first, second):
            await onboard(phone)
        admin = make_phone(9750, "en")
        await admin.send("/event", until="title:")
        await admin.send(FORM.replace("when: 2099", "when: 2001"), until="⚠️")
        await admin.send(FORM, until="📅")
        assert "2 people" in admin.last_text() and "Atelier vitrine" in admin.last_text()
        before = first.emulator.last_seq
        await admin.tap(translate("en", "admin.event_announce"), until="✅")
        await first.wait(before, until="Atelier vitrine")
        await second.wait(before, until="Atelier vitrine")
        assert translate("fr", "event.going") in first.buttons()
        assert translate("en", "event.going") in second.buttons()

        # The first takes the one seat and gets the calendar file.
        before = first.emulator.last_seq
        await first.tap(translate("fr", "event.going"), until="✅")
        document = await first.emulator.wait_for_event(
            first.user.id, after_seq=before, kinds={"send_document"}, timeout=10
        )
        assert document.message_id is not None
        found = first.emulator.document_of(first.user.id, document.message_id)
        assert found is not None and found[0].endswith(".ics")
        [vevent] = icalendar.Calendar.from_ical(found[1]).walk("VEVENT")
        assert str(vevent["SUMMARY"]) == "Atelier vitrine"
        # The second waits; when the first cannot come, the second is told they are in.
        await second.tap(translate("en", "event.going"), until="⏳")
        assert "1" in second.last_text()
        before = second.emulator.last_seq
        await first.tap(translate("fr", "event.no"), until=translate("fr", "event.no_noted")[:8])
        # The events job (every 30 s) tells promoted people; run it now.
        assert await bot.services.events.send_notices(
            notice_sender(bot.services.events, bot.services.outbound)
        )
        await second.wait(before, until="🎉")
        await admin.send("/events", until=translate("en", "admin.events_header"))
        assert "1/1" in admin.last_text()

        # Only names people chose to share are in the attendee list.
        await second.tap(translate("en", "event.share_name"), until="T")

        async def listed() -> bool:
            event = (await bot.services.events.upcoming())[0][0]
            return (await bot.services.events.attendees_csv(event.id))[1] == 1

        await eventually(listed)


async def test_a_promoted_person_is_told_once_even_if_the_calendar_file_fails(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    event = await announced(events, capacity=1)
    a, b = await make_user(db, "1001", core="les_ogy"), await make_user(db, "1002", core="les_ogy")
    await invite(db, event, a, b)
    await events.answer(a, event.id, Answer.GOING)
    clock.now += timedelta(minutes=1)
    await events.answer(b, event.id, Answer.GOING)  # waiting
    await events.answer(a, event.id, Answer.NO)  # b gets the seat
    # Telegram's 502 on a file upload: the notice goes, its calendar file does not.
    port = MemoryPort(
        "test",
        fail=lambda _to, reply: (
            SendOutcome(SendStatus.FAILED, reason="Bad Gateway") if reply.document else None
        ),
    )
    outbound = Outbound(ContactService(UserRepository(db)))
    outbound.register(port)
    send = notice_sender(events, outbound)
    assert await events.send_notices(send) == 1
    assert await events.send_notices(send) == 0  # the job 30 s later
    assert len(port.texts) == 1
