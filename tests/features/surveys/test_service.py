"""Survey engine and waves on a real SQLite file, with a fake clock and a collecting sender."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.features.surveys.definitions import Survey, Surveys
from bot.features.surveys.export import export_csv
from bot.features.surveys.service import SurveyService, is_visible, next_question, parse_number
from bot.features.surveys.store import SurveyRepository
from bot.features.surveys.waves import WaveService
from bot.reference import default_data_dir
from bot.shared.sending import Delivery
from bot.storage import Database, Role, User, UserRepository
from tests.features.concerns.test_service import make_user

_events = itertools.count(1)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def key() -> str:
    return f"survey-test:{next(_events)}"


def definitions() -> Surveys:
    return Surveys.load(default_data_dir() / "surveys")


def waves(db: Database, window_minutes: int = 10) -> WaveService:
    return WaveService(
        db,
        definitions(),
        window=timedelta(minutes=window_minutes),
        remind_after=timedelta(hours=48),
        open_for=timedelta(days=7),
    )


class Outbox:
    """Collect what would be sent: (user id, survey id, wave id, reminder)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, int, bool]] = []

    async def __call__(self, user: User, survey: Survey, wave_id: int, reminder: bool) -> Delivery:
        self.sent.append((user.id, survey.id, wave_id, reminder))
        return Delivery.SENT


def test_show_if_and_next_question() -> None:
    pulse = definitions().get("monthly_pulse")
    assert pulse is not None
    assert next_question(pulse, {}, None).id == "hurts_most"
    worse_why = pulse.question("worse_why")
    assert not is_visible(worse_why, {"business_trend": "better"})
    assert is_visible(worse_why, {"business_trend": "much_worse"})
    answers = {"hurts_most": None, "business_trend": "same"}
    assert next_question(pulse, answers, "business_trend").id == "anything_else"
    profile = definitions().get("shop_profile")
    assert profile is not None
    years = profile.question("years_in_business")
    assert parse_number(years, " 12 ") == 12
    assert parse_number(years, "81") is None and parse_number(years, "douze") is None
    assert parse_number(years, "-1") is None
    # Not whole numbers, or not numbers at all: refused, never misread or crashing.
    for typed in ("2.5", "2,5", "--5", "²", "1e3", "", "12 ans"):
        assert parse_number(years, typed) is None, typed
    employees = profile.question("employees")
    assert parse_number(employees, "1 2") == 12 and parse_number(employees, "0") == 0


async def test_a_wave_is_spread_over_its_window_and_reminds_once(db: Database) -> None:
    people = [await make_user(db, str(i), core="les_ogy") for i in range(3)]
    customer = await make_user(db, "c", core="les_ogy", role=Role.CUSTOMER)
    service = waves(db)
    launch = await service.launch("monthly_pulse", created_by="test", now=T0)
    # The pulse is for shopkeepers: the customer is not invited.
    assert launch.invited == 3
    outbox = Outbox()
    assert await service.send_due(outbox, T0) == 1
    assert await service.send_due(outbox, T0 + timedelta(minutes=4)) == 1
    assert await service.send_due(outbox, T0 + timedelta(minutes=9)) == 1
    assert await service.send_due(outbox, T0 + timedelta(minutes=20)) == 0
    assert [s[0] for s in outbox.sent] == [p.id for p in people]
    assert customer.id not in [s[0] for s in outbox.sent]

    # One finishes; 48 hours after their invitation the two others get one reminder each.
    surveys = SurveyService(db, definitions(), no_model)
    first = people[0]
    step = await surveys.begin(first, launch.wave.id, key())
    assert step.response is not None
    await surveys.skip(first, key())  # hurts_most is optional
    await surveys.choose(first, step.response.id, 1, 2, key())  # business_trend: same
    await surveys.skip(first, key())  # anything_else
    assert (await surveys.active(first)) is None
    later = T0 + timedelta(hours=48, minutes=10)
    assert await service.send_due(outbox, later) == 2
    assert await service.send_due(outbox, later + timedelta(hours=1)) == 0
    reminders = [s[0] for s in outbox.sent if s[3]]
    assert reminders == [people[1].id, people[2].id]


async def test_nobody_is_invited_twice_and_surveys_off_are_skipped(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    other = await make_user(db, "other", core="bru_flagey")
    await UserRepository(db).update(other.id, surveys=False)
    service = waves(db, window_minutes=0)
    # Filters narrow the audience: Lessines only, or one core.
    assert await service.count_audience("event_feedback", territory_id="lessines") == 1
    assert await service.count_audience("event_feedback", core_id="les_ghoy") == 0
    launch = await service.launch("shop_profile", created_by="test", now=T0)
    assert launch.invited == 1
    repo = SurveyRepository(db)
    assert await repo.invite(launch.wave.id, [(me.id, T0.isoformat())]) == 0
    # Turned off after the launch: the planned invitation is skipped, not sent.
    await UserRepository(db).update(me.id, surveys=False)
    outbox = Outbox()
    assert await service.send_due(outbox, T0) == 0
    assert outbox.sent == []
    row = await db.fetch_one("SELECT skipped FROM survey_invitations WHERE user_id = ?", (me.id,))
    assert row is not None and row[0] == "off"
    # Nobody left to invite in Lessines now; "other" (Brussels) never wanted surveys.
    assert await service.count_audience("event_feedback", territory_id="lessines") == 0
    assert await service.count_audience("event_feedback", core_id="bru_flagey") == 0


async def no_model(_text: str) -> list[str]:
    return []


async def test_answers_are_applied_once_and_only_to_the_question_on_screen(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    service = waves(db, window_minutes=0)
    launch = await service.launch("event_feedback", created_by="test", now=T0)
    surveys = SurveyService(db, definitions(), no_model)
    step = await surveys.begin(me, launch.wave.id, key())
    assert step.response is not None and step.question.id == "useful"
    rid = step.response.id
    tap = key()
    assert (await surveys.choose(me, rid, 0, 3, tap)).question.id == "would_recommend"
    # The same tap again (Telegram redelivery) changes nothing.
    assert (await surveys.choose(me, rid, 0, 4, tap)).status.value == "duplicate"
    # A tap on the first question's buttons, now answered, is stale.
    assert (await surveys.choose(me, rid, 0, 1, key())).status.value == "stale"
    # Someone else's response, or a forged index, is stale too.
    other = await make_user(db, "other", core="les_ogy")
    assert (await surveys.choose(other, rid, 1, 0, key())).status.value == "stale"
    assert (await surveys.choose(me, rid, 1, 7, key())).status.value == "stale"
    answers = await db.fetch_all("SELECT question_id, value FROM survey_answers")
    assert [tuple(r) for r in answers] == [("useful", "4")]
    # /skip on a question that is not optional is refused with a reason.
    refused = await surveys.skip(me, key())
    assert refused.notice == "survey.cannot_skip"


async def test_export_has_one_row_per_response_and_nothing_identifying(
    db: Database, tmp_path: Path
) -> None:
    me = await make_user(db, "me", core="les_ogy")
    launch = await waves(db, window_minutes=0).launch("event_feedback", created_by="t", now=T0)
    surveys = SurveyService(db, definitions(), no_model)
    step = await surveys.begin(me, launch.wave.id, key())
    assert step.response is not None
    rid = step.response.id
    await surveys.choose(me, rid, 0, 4, key())  # useful: 5
    await surveys.choose(me, rid, 1, 0, key())  # would_recommend: yes
    await surveys.toggle(me, rid, 2, 0, key())
    await surveys.done(me, rid, 2, key())
    await surveys.text(me, "Call me on 0470 12 34 56, Jean Dupont", key())
    survey = definitions().get("event_feedback")
    assert survey is not None
    out = tmp_path / "export.csv"
    assert await export_csv(db, survey, out, anonymity_k=5) == 1
    content = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(content.splitlines()))
    assert rows[0]["useful"] == "5" and rows[0]["would_recommend"] == "yes"
    assert rows[0]["status"] == "completed" and rows[0]["territory"] == "lessines"
    assert rows[0]["core"] == "" and rows[0]["role"] == ""  # one respondent: below k
    assert "0470" not in content and "Dupont" not in content and "me" not in rows[0].values()


async def test_every_step_resumes_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "restart.sqlite3"
    db = Database(path)
    await db.connect()
    me = await make_user(db, "me", core="les_ogy")
    launch = await waves(db, window_minutes=0).launch("shop_profile", created_by="t", now=T0)
    await db.close()
    # (question expected on screen, what the person does) — each step in a fresh process.
    script: list[tuple[str, str, tuple[int, ...]]] = [
        ("years_in_business", "text:12", ()),
        ("employees", "text:3", ()),
        ("premises", "choose", (2, 0)),
        ("lease_years_left", "text:4", ()),
        ("opening_days", "toggle", (4, 1)),
        ("opening_days", "toggle", (4, 5)),
        ("opening_days", "done", (4,)),
        ("online_sales", "choose", (5, 1)),
        ("digital_help", "skip", ()),
    ]
    response_id = 0
    for expected, action, args in script:
        db = Database(path)
        await db.connect()
        try:
            surveys = SurveyService(db, definitions(), no_model)
            user = await UserRepository(db).get_by_id(me.id)
            assert user is not None
            if response_id == 0:
                begun = await surveys.begin(user, launch.wave.id, key())
                assert begun.response is not None
                response_id = begun.response.id
            current = await surveys.current(user)
            assert current.question is not None and current.question.id == expected
            if action.startswith("text:"):
                await surveys.text(user, action[5:], key())
            elif action == "choose":
                await surveys.choose(user, response_id, args[0], args[1], key())
            elif action == "toggle":
                await surveys.toggle(user, response_id, args[0], args[1], key())
            elif action == "done":
                await surveys.done(user, response_id, args[0], key())
            else:
                await surveys.skip(user, key())
        finally:
            await db.close()
    db = Database(path)
    await db.connect()
    try:
        answers = await SurveyRepository(db).answers(response_id)
        status = await db.fetch_one("SELECT status FROM survey_responses")
    finally:
        await db.close()
    assert status is not None and status[0] == "completed"
    assert answers == {
        "years_in_business": 12,
        "employees": 3,
        "premises": "tenant",
        "lease_years_left": 4,
        "opening_days": ["tue", "sat"],
        "online_sales": "no",
        "digital_help": None,
    }


async def test_a_closed_round_takes_no_more_answers(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    service = waves(db, window_minutes=0)
    launch = await service.launch("event_feedback", created_by="t", now=T0)
    surveys = SurveyService(db, definitions(), no_model)
    step = await surveys.begin(me, launch.wave.id, key())
    assert step.response is not None
    outbox = Outbox()

    async def no_results(_user: User, _results: object) -> Delivery:
        return Delivery.SENT

    await service.close_due(no_results, T0 + timedelta(days=8))
    late = await surveys.choose(me, step.response.id, 0, 2, key())
    assert late.status.value == "stale" and late.notice == "survey.closed"
    assert (await surveys.skip(me, key())).status.value == "not_in_survey"
    # What they type now is an ordinary message again: no survey in progress.
    assert await surveys.active(me) is None
    assert await service.send_due(outbox, T0 + timedelta(days=9)) == 0
    assert outbox.sent == []  # no reminder for a closed wave
    answers = await db.fetch_all("SELECT question_id FROM survey_answers")
    assert answers == []


async def test_a_skip_button_skips_only_its_own_question(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    launch = await waves(db, window_minutes=0).launch("monthly_pulse", created_by="t", now=T0)
    surveys = SurveyService(db, definitions(), no_model)
    step = await surveys.begin(me, launch.wave.id, key())
    assert step.response is not None
    rid = step.response.id
    # Skip on hurts_most (index 0) twice, as a double tap: the second is stale, not a skip of
    # business_trend (which is not even optional).
    assert (await surveys.skip(me, key(), rid, 0)).question.id == "business_trend"
    assert (await surveys.skip(me, key(), rid, 0)).status.value == "stale"
    await surveys.choose(me, rid, 1, 0, key())  # much better: worse_why is not asked
    current = await surveys.current(me)
    assert current.question.id == "anything_else"
    assert (await surveys.skip(me, key(), rid, 1)).status.value == "stale"
    assert (await surveys.skip(me, key(), rid, 3)).status.value == "finished"


async def test_a_question_removed_under_a_running_wave_does_not_strand_anyone(
    db: Database, tmp_path: Path
) -> None:
    me = await make_user(db, "me", core="les_ogy")
    launch = await waves(db, window_minutes=0).launch("shop_profile", created_by="t", now=T0)
    surveys = SurveyService(db, definitions(), no_model)
    step = await surveys.begin(me, launch.wave.id, key())
    assert step.response is not None and step.question.id == "years_in_business"
    # The file is edited while the wave runs: the question on screen disappears.
    edited = tmp_path / "surveys"
    edited.mkdir()
    source = (default_data_dir() / "surveys" / "shop_profile.yaml").read_text(encoding="utf-8")
    start = source.index("  - id: years_in_business")
    end = source.index("  - id: employees")
    (edited / "shop_profile.yaml").write_text(source[:start] + source[end:], encoding="utf-8")
    changed = SurveyService(db, Surveys.load(edited), no_model)
    # Typing "12" now meets another question: the person is shown where they stand.
    after = await changed.text(me, "12", key())
    assert after.question.id == "employees"
    assert (await changed.text(me, "3", key())).question.id == "premises"
