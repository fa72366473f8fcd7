"""The pop-up store: applications checked and decided once, notices, the survey, privacy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.channels.base import Reply
from bot.features.entrepreneurs.candidates_store import CandidateRepository
from bot.features.notices.service import Notices
from bot.features.popup.render import PopupRenderer, coach_line
from bot.features.popup.service import PopupError, PopupService
from bot.features.popup.store import Application
from bot.features.privacy.retention_store import RetentionRepository
from bot.features.privacy.store import ErasureRepository
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, Role, User, UserRepository
from tests.features.concerns.test_service import make_user
from tests.support import MemoryPort

TZ = ZoneInfo("Europe/Brussels")
# Still 10 January in UTC, already the 11th in Brussels: the local date is what counts.
START = datetime(2027, 1, 10, 23, 30, tzinfo=UTC)
ADMIN = "test:admin1"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def setup(
    db: Database, reference: Reference, clock: Clock
) -> tuple[PopupService, PopupRenderer, MemoryPort]:
    users = UserRepository(db)
    outbound = Outbound(ContactService(users))
    port = MemoryPort("test")
    outbound.register(port)
    notices = Notices(db, users, outbound)
    popup = PopupService(db, reference, notices, (ADMIN,), TZ, clock)
    render = PopupRenderer(popup, reference)
    render.register(notices)
    return popup, render, port


async def candidate(db: Database, ref: str, activity: str = "Torréfaction de café") -> User:
    user = await make_user(db, ref, core="les_ogy", role=Role.CANDIDATE)
    await CandidateRepository(db).create(
        user.id,
        "done",
        activity=activity,
        sector_id="cafe_bar",
        territory_id="lessines",
        stage="plan",
    )
    return user


async def apply(popup: PopupService, user: User, period_id: int, test: str) -> Application:
    """Answer every question and send."""
    project = await CandidateRepository(popup.repo._db).get(user.id)
    draft = await popup.start(user, project, period_id)
    draft = await popup.keep_activity(user, draft.id)
    draft = await popup.answer_sector(user, draft.id, draft.sector_id or "cafe_bar")
    draft = await popup.answer_text(user, draft.id, test)
    draft = await popup.answer_text(user, draft.id, "Une prise électrique et une étagère")
    return await popup.send(user, draft.id)


async def a_popup(popup: PopupService, spaces: str = "2") -> int:
    made = await popup.define(
        territory_id="lessines",
        core_id="les_centre",
        place="Rue de l'Essai 1",
        spaces=spaces,
        conditions="Ouvert au moins 4 jours par semaine",
        fee="50 € par mois",
        by=ADMIN,
    )
    period = await popup.add_period(made.id, "2027-03-01", "2027-04-30")
    return period.id


def texts_to(port: MemoryPort, chat: str) -> list[Reply]:
    return [reply for to, reply in port.sent if to.chat_id == chat]


async def test_admins_forms_are_checked_and_nothing_is_stored_when_refused(
    db: Database, reference: Reference
) -> None:
    popup, _, _ = await setup(db, reference, Clock(START))
    refused = [
        dict(territory_id="atlantis", core_id=None, spaces="2"),
        # A core of another territory.
        dict(territory_id="lessines", core_id="bru_flagey", spaces="2"),
        dict(territory_id="lessines", core_id=None, spaces="0"),
        dict(territory_id="lessines", core_id=None, spaces="deux"),
    ]
    for fields in refused:
        with pytest.raises(PopupError):
            await popup.define(place="Ici", conditions="", fee="", by=ADMIN, **fields)  # type: ignore[arg-type]
    with pytest.raises(PopupError, match=r"popup\.empty"):
        await popup.define(
            territory_id="lessines", core_id=None, place="  ", spaces="1", conditions="",
            fee="", by=ADMIN,
        )  # fmt: skip
    assert await db.fetch_all("SELECT id FROM popups") == []
    period_id = await a_popup(popup)
    made = await popup.repo.period(period_id)
    assert made is not None
    # Before today (local), back to front, overlapping, or over a year: refused.
    for first, last in (
        ("2027-01-10", "2027-02-01"),
        ("2027-06-30", "2027-06-01"),
        ("2027-04-30", "2027-05-15"),
        ("2027-05-01", "2028-06-01"),
        ("2027-05-01", "not a date"),
    ):
        with pytest.raises(PopupError):
            await popup.add_period(made.popup_id, first, last)
    # The first day may be today (local).
    assert (await popup.add_period(made.popup_id, "2027-01-11", "2027-01-31")).id
    rows = await db.fetch_all("SELECT starts_on FROM popup_periods ORDER BY starts_on")
    assert [r[0] for r in rows] == ["2027-01-11", "2027-03-01"]


async def test_an_application_is_asked_prefilled_sent_once_and_admins_are_told(
    db: Database, reference: Reference
) -> None:
    popup, _, port = await setup(db, reference, Clock(START))
    period_id = await a_popup(popup)
    lea = await candidate(db, "lea")
    sent = await apply(popup, lea, period_id, "Vendre du café au détail le samedi")
    assert (sent.status, sent.activity, sent.sector_id) == (
        "pending",
        "Torréfaction de café",
        "cafe_bar",
    )
    admin_texts = [r.text for r in texts_to(port, "admin1")]
    assert len(admin_texts) == 1 and "Rue de l'Essai 1" in admin_texts[0]
    # Her words are not in what goes to admins' phones unasked (they read them on request).
    assert "café au détail" not in admin_texts[0]
    # One open application per period.
    project = await CandidateRepository(db).get(lea.id)
    with pytest.raises(PopupError, match="already_applied"):
        await popup.start(lea, project, period_id)
    # Someone else's tap on her application changes nothing.
    marc = await candidate(db, "marc")
    with pytest.raises(PopupError, match=r"button\.stale"):
        await popup.withdraw(marc, sent.id)
    # No project: no application.
    with pytest.raises(PopupError, match="no_project"):
        await popup.start(marc, None, period_id)


async def test_bad_words_store_nothing_and_a_draft_cancelled_leaves_nothing(
    db: Database, reference: Reference
) -> None:
    popup, _, _ = await setup(db, reference, Clock(START))
    period_id = await a_popup(popup)
    lea = await candidate(db, "lea")
    draft = await popup.start(lea, await CandidateRepository(db).get(lea.id), period_id)
    draft = await popup.keep_activity(lea, draft.id)
    draft = await popup.answer_sector(lea, draft.id, "cafe_bar")
    with pytest.raises(PopupError, match="too_long"):
        await popup.answer_text(lea, draft.id, "x" * 501)
    with pytest.raises(PopupError, match=r"popup\.empty"):
        await popup.answer_text(lea, draft.id, "   ")
    # A late tap on the sector question, answered already, is stale.
    with pytest.raises(PopupError, match=r"button\.stale"):
        await popup.answer_sector(lea, draft.id, "bakery")
    kept = await popup.repo.application(draft.id)
    assert kept is not None and kept.to_test is None and kept.step == "to_test"
    # Typed answers are taken for an hour only.
    assert await popup.typing(lea.id) is not None
    await popup.cancel(lea, draft.id)
    assert await db.fetch_all("SELECT id FROM popup_applications") == []


async def test_decisions_respect_the_spaces_and_tell_the_applicant(
    db: Database, reference: Reference
) -> None:
    popup, _, port = await setup(db, reference, Clock(START))
    period_id = await a_popup(popup, spaces="1")
    lea, marc, zoe = [await candidate(db, ref) for ref in ("lea", "marc", "zoe")]
    first = await apply(popup, lea, period_id, "Le café du matin")
    second = await apply(popup, marc, period_id, "Des pâtisseries")
    third = await apply(popup, zoe, period_id, "Des tisanes")

    accepted = await popup.accept(first.id, ADMIN)
    assert accepted.status == "accepted" and accepted.decided_by == ADMIN
    # The one space is taken: a second acceptance is refused, nothing changes.
    with pytest.raises(PopupError, match="no_space_left"):
        await popup.accept(second.id, ADMIN)
    assert (await popup.repo.application(second.id)).status == "pending"  # type: ignore[union-attr]
    # Deciding twice is refused.
    with pytest.raises(PopupError, match="decided_already"):
        await popup.accept(first.id, ADMIN)
    await popup.waitlist(second.id, ADMIN)
    await popup.decline(third.id, ADMIN, "Le lieu ne convient pas à la restauration")

    to_lea = texts_to(port, "lea")
    assert "🎉" in to_lea[0].text and "50 € par mois" in to_lea[0].text
    assert to_lea[0].buttons[0][0].data == f"pu:an:{first.id}:y"
    document = to_lea[1].document
    assert document is not None and document[0].endswith(".ics")
    event = next(c for c in Calendar.from_ical(document[1]).walk() if c.name == "VEVENT")
    assert event.decoded("DTSTART").date() == date(2027, 3, 1)
    assert event.decoded("DTEND").date() == date(2027, 4, 30)
    [to_marc] = texts_to(port, "marc")
    assert "🕒" in to_marc.text
    [to_zoe] = texts_to(port, "zoe")
    assert "Le lieu ne convient pas à la restauration" in to_zoe.text
    assert to_zoe.buttons[0][0].data == "co:start"

    # Léa withdraws: the space frees up; Marc, waitlisted, can be accepted now.
    await popup.withdraw(lea, first.id)
    assert (await popup.accept(second.id, ADMIN)).status == "accepted"
    # Zoé, declined, is not reopened by a tap.
    with pytest.raises(PopupError):
        await popup.accept(third.id, ADMIN)


async def test_the_survey_is_asked_once_after_the_period_and_feeds_the_coach_a_single_line(
    db: Database, reference: Reference
) -> None:
    clock = Clock(START)
    popup, _, port = await setup(db, reference, clock)
    period_id = await a_popup(popup)
    lea = await candidate(db, "lea")
    application = await apply(popup, lea, period_id, "Le café du matin")
    await popup.accept(application.id, ADMIN)
    # The last day, late in the evening (local): not over yet.
    clock.now = datetime(2027, 4, 30, 21, 0, tzinfo=UTC)
    assert await popup.survey_round() == 0
    clock.now = datetime(2027, 4, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 May in Brussels
    assert await popup.survey_round() == 1
    assert await popup.survey_round() == 0
    question = texts_to(port, "lea")[-1]
    assert [b.data for b in question.buttons[0]] == [
        f"pu:sv:{application.id}:yes",
        f"pu:sv:{application.id}:maybe",
        f"pu:sv:{application.id}:no",
    ]
    survey = await popup.settle(lea, application.id, "yes")
    assert survey.step == "learned"
    with pytest.raises(PopupError, match=r"button\.stale"):
        await popup.settle(lea, application.id, "no")
    assert await popup.survey_typing(lea.id) is not None
    await popup.survey_text(lea, application.id, "Mes clients viennent surtout le samedi")
    done = await popup.survey_text(lea, application.id, "Le centre, 40 m²")
    assert (done.would_settle, done.learned, done.cell_wish, done.step) == (
        "yes",
        "Mes clients viennent surtout le samedi",
        "Le centre, 40 m²",
        "done",
    )
    assert done.answered_at is not None
    line = await coach_line(db)(lea.id, Translator("fr"))
    assert line is not None and "oui" in line and "2027" in line
    assert "samedi" not in line and "40 m²" not in line
    # Nobody else's survey is shown for her, and none for someone without one.
    assert await coach_line(db)((await candidate(db, "marc")).id, Translator("fr")) is None


async def test_the_read_api_counts_spaces_and_decisions(
    db: Database, reference: Reference
) -> None:
    clock = Clock(START)
    popup, _, _ = await setup(db, reference, clock)
    period_id = await a_popup(popup, spaces="2")
    lea, marc = await candidate(db, "lea"), await candidate(db, "marc")
    first = await apply(popup, lea, period_id, "Café")
    second = await apply(popup, marc, period_id, "Thé")
    await popup.accept(first.id, ADMIN)
    await popup.decline(second.id, ADMIN, "preset:fit")
    [open_period] = await popup.next_periods("lessines", date(2027, 1, 10))
    assert (open_period.place, open_period.spaces_left) == ("Rue de l'Essai 1", 1)
    assert open_period.starts_on == date(2027, 3, 1)
    # Once over, and in another territory, nothing.
    assert await popup.next_periods("lessines", date(2027, 5, 1)) == []
    assert await popup.next_periods("brussels", date(2027, 1, 10)) == []
    since, until = "2027-01-01T00:00:00.000+00:00", "2027-02-01T00:00:00.000+00:00"
    assert await popup.report("lessines", since, until) == {
        "applications": 2,
        "accepted": 1,
        "waitlisted": 0,
        "declined": 1,
    }
    assert (await popup.report("brussels", since, until))["applications"] == 0
    assert (await popup.report(None, until, "2027-03-01T00:00:00.000+00:00")) == {
        "applications": 0,
        "accepted": 0,
        "waitlisted": 0,
        "declined": 0,
    }


async def test_retention_empties_the_words_and_forget_erases_everything(
    db: Database, reference: Reference
) -> None:
    clock = Clock(START)
    popup, _, _ = await setup(db, reference, clock)
    period_id = await a_popup(popup)
    lea = await candidate(db, "lea")
    application = await apply(popup, lea, period_id, "Le café du matin")
    await popup.accept(application.id, ADMIN)
    clock.now = datetime(2027, 5, 2, tzinfo=UTC)
    await popup.survey_round()
    await popup.settle(lea, application.id, "maybe")
    await popup.survey_text(lea, application.id, "Beaucoup")
    exported = await ErasureRepository(db).export(lea.id)
    assert exported["popup_applications"][0]["to_test"] == "Le café du matin"
    assert exported["popup_survey_answers"][0]["learned"] == "Beaucoup"

    await db.execute("UPDATE popup_applications SET created_at = '2026-01-01T00:00:00.000+00:00'")
    await db.execute("UPDATE popup_surveys SET asked_at = '2026-01-01T00:00:00.000+00:00'")
    async with db.transaction():
        pruned = await RetentionRepository(db).prune((START + timedelta(days=1)).isoformat())
    assert pruned.popup_texts == 2
    [row] = await db.fetch_all(
        "SELECT activity, to_test, needs, sector_id, status FROM popup_applications"
    )
    assert tuple(row) == (None, None, None, "cafe_bar", "accepted")
    [survey] = await db.fetch_all("SELECT would_settle, learned FROM popup_surveys")
    assert tuple(survey) == ("maybe", None)

    async with db.transaction():
        await ErasureRepository(db).erase(lea.id, lea.channel, lea.external_id)
    for table in ("popup_applications", "popup_surveys"):
        assert await db.fetch_all(f"SELECT 1 FROM {table}") == []
    # The pop-up itself is the admins' and stays.
    assert len(await db.fetch_all("SELECT 1 FROM popups")) == 1
