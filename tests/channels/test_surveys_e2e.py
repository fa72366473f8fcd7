"""End-to-end: survey waves, invitations and every question type through the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.features.surveys.definitions import Survey
from bot.features.surveys.jobs import invitation_sender, results_sender
from bot.features.surveys.waves import SendResults
from bot.i18n import translate
from nlp.taxonomy import taxonomy
from tests.support import Phone, onboard

PhoneFactory = Callable[..., Phone]


def label(survey: Survey, question_id: str, option_id: str, lang: str) -> str:
    question = survey.question(question_id)
    return next(o.label.get(lang) for o in question.options if o.id == option_id)


def text_of(survey: Survey, question_id: str, lang: str) -> str:
    return str(survey.question(question_id).text.get(lang))


async def invite(bot: RunningBot, phone: Phone, survey_id: str) -> Survey:
    """Launch a wave of a survey now and deliver its invitation to the phone."""
    services = bot.services
    survey = services.surveys.definitions.get(survey_id)
    assert survey is not None
    now = datetime.now(UTC)
    launch = await services.waves.launch(survey_id, created_by="test", now=now)
    assert launch.invited >= 1
    before = phone.emulator.last_seq
    assert (
        await services.waves.send_due(
            invitation_sender(services.survey_flow, services.outbound), now
        )
        >= 1
    )
    await phone.wait(before, until=survey.title.get(phone.user.language_code or "fr"))
    return survey


async def answers_of(bot: RunningBot, phone: Phone) -> dict[str, Any]:
    rows = await bot.services.db.fetch_all(
        "SELECT a.question_id, a.value, a.text FROM survey_answers a"
        " JOIN survey_responses r ON r.id = a.response_id JOIN users u ON u.id = r.user_id"
        " WHERE u.external_id = ?",
        (str(phone.user.id),),
    )
    return {r[0]: (None if r[1] is None else json.loads(r[1]), r[2]) for r in rows}


async def status_of(bot: RunningBot, phone: Phone) -> str:
    row = await bot.services.db.fetch_one(
        "SELECT r.status FROM survey_responses r JOIN users u ON u.id = r.user_id"
        " WHERE u.external_id = ?",
        (str(phone.user.id),),
    )
    assert row is not None
    return str(row[0])


async def test_monthly_pulse_with_factor_choice_show_if_and_classified_text(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9800, "fr")
    await onboard(me)
    survey = await invite(bot, me, "monthly_pulse")
    tax = taxonomy()
    await me.tap(translate("fr", "survey.start"), until=text_of(survey, "hurts_most", "fr"))
    # Until business_trend is answered, worse_why may come: four questions.
    assert "1/4" in me.last_text()
    for factor in ("roadworks", "rent_premises", "staff"):
        await me.tap(tax.get(factor).title("fr"), until=text_of(survey, "hurts_most", "fr"))
    # A fourth factor beyond the maximum of three is refused politely, nothing changes.
    message_id, data = me.find_button(tax.get("safety_image").title("fr"))
    refused = await me.answer_to(message_id, data)
    assert refused.text == translate("fr", "survey.too_many", n=3)
    await me.tap(
        translate("fr", "survey.done_up_to", n=3), until=text_of(survey, "business_trend", "fr")
    )
    await me.tap(
        label(survey, "business_trend", "worse", "fr"), until=text_of(survey, "worse_why", "fr")
    )
    assert "3/4" in me.last_text()
    await me.send(
        "Les travaux dans la rue ont fait fuir les clients tout le mois",
        until=translate("fr", "survey.understood_text", factors="")[:12],
    )
    assert "✅ " + tax.get("roadworks").title("fr") in me.buttons()
    await me.tap(translate("fr", "survey.text_done"), until=text_of(survey, "anything_else", "fr"))
    await me.send("/skip", until=survey.closing.get("fr")[:20])
    answers = await answers_of(bot, me)
    assert answers["hurts_most"][0] == ["rent_premises", "roadworks", "staff"]
    assert answers["business_trend"][0] == "worse"
    assert "roadworks" in answers["worse_why"][0]
    assert answers["worse_why"][1].startswith("Les travaux dans la rue")
    assert answers["anything_else"] == (None, None)
    assert await status_of(bot, me) == "completed"
    # Text after the survey is a concern again, not an answer.
    await me.send(
        "Le loyer augmente encore", until=translate("fr", "concern.understood", factors="")[:10]
    )


async def test_shop_profile_numbers_choices_scale_and_skip(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9801, "nl")
    await onboard(me)
    survey = await invite(bot, me, "shop_profile")
    await me.tap(translate("nl", "survey.start"), until=text_of(survey, "years_in_business", "nl"))
    # A word where a number is expected: told why, asked again, nothing stored.
    await me.send("veel jaren", until=text_of(survey, "years_in_business", "nl"))
    assert any(
        translate("nl", "survey.number_expected", min=0, max=80) in (m["text"] or "")
        for m in me.emulator.messages(me.user.id)
    )
    assert await answers_of(bot, me) == {}
    await me.send("12", until=text_of(survey, "employees", "nl"))
    await me.send("3", until=text_of(survey, "premises", "nl"))
    await me.tap(
        label(survey, "premises", "tenant", "nl"), until=text_of(survey, "lease_years_left", "nl")
    )
    await me.send("4", until=text_of(survey, "opening_days", "nl"))
    for day in ("tue", "wed", "sat"):
        await me.tap(
            label(survey, "opening_days", day, "nl"), until=text_of(survey, "opening_days", "nl")
        )
    await me.tap(
        translate("nl", "survey.done_up_to", n=7), until=text_of(survey, "online_sales", "nl")
    )
    await me.tap(translate("nl", "survey.yes"), until=text_of(survey, "online_share", "nl"))
    await me.tap("2", until=text_of(survey, "digital_help", "nl"))
    await me.tap(translate("nl", "survey.skip"), until=survey.closing.get("nl")[:20])
    answers = {k: v[0] for k, v in (await answers_of(bot, me)).items()}
    assert answers == {
        "years_in_business": 12,
        "employees": 3,
        "premises": "tenant",
        "lease_years_left": 4,
        "opening_days": ["tue", "wed", "sat"],
        "online_sales": "yes",
        "online_share": 2,
        "digital_help": None,
    }


async def test_event_feedback_and_an_unclassified_text(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9802, "en")
    await onboard(me)
    survey = await invite(bot, me, "event_feedback")
    await me.tap(translate("en", "survey.start"), until=text_of(survey, "useful", "en"))
    await me.tap("4", until=text_of(survey, "would_recommend", "en"))
    await me.tap(translate("en", "survey.no"), until=text_of(survey, "next_topics", "en"))
    await me.tap(
        taxonomy().get("skills_digital").title("en"), until=text_of(survey, "next_topics", "en")
    )
    await me.tap(translate("en", "survey.done_up_to", n=2), until=text_of(survey, "improve", "en"))
    await me.send("More time for questions, please", until=survey.closing.get("en")[:20])
    answers = await answers_of(bot, me)
    assert answers["useful"] == (4, None)
    assert answers["would_recommend"] == ("no", None)
    assert answers["next_topics"] == (["skills_digital"], None)
    assert answers["improve"] == ([], "More time for questions, please")


async def test_restart_mid_survey_resumes_and_old_buttons_are_stale(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    me = make_phone(9803, "fr")
    async with running_bot(settings, poll_timeout=1) as first:
        await onboard(me)
        survey = await invite(first, me, "shop_profile")
        await me.tap(
            translate("fr", "survey.start"), until=text_of(survey, "years_in_business", "fr")
        )
        await me.send("7", until=text_of(survey, "employees", "fr"))
    async with running_bot(settings, poll_timeout=1) as second:
        # Days later, after a restart: the answer goes to the question that was on screen.
        await me.send("2", until=text_of(survey, "premises", "fr"))
        message_id, tenant = me.find_button(label(survey, "premises", "tenant", "fr"))
        await me.tap(
            label(survey, "premises", "owner", "fr"), until=text_of(survey, "opening_days", "fr")
        )
        # A second tap on the answered question's message (kept by a slow phone) is stale.
        stale = await me.answer_to(message_id, tenant)
        assert stale.text == translate("fr", "button.stale")
        # Text where buttons are expected: a reminder with the question again.
        await me.send("lundi", until=text_of(survey, "opening_days", "fr"))
        assert translate("fr", "survey.use_buttons") in [
            m["text"] for m in me.emulator.messages(me.user.id)
        ]
        await me.send("/stop_survey", until="⏸")
        assert await status_of(second, me) == "stopped"
        # Text after stopping is a concern; Start again resumes where it stopped.
        await me.tap(translate("fr", "survey.start"), until=text_of(survey, "opening_days", "fr"))
        answers = {k: v[0] for k, v in (await answers_of(second, me)).items()}
        assert answers == {"years_in_business": 7, "employees": 2, "premises": "owner"}


async def test_results_go_back_to_respondents_when_the_wave_closes(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    k2 = settings.model_copy(update={"anonymity_k": 2})
    async with running_bot(k2, poll_timeout=1) as bot:
        phones = [make_phone(9810 + i, "en") for i in range(4)]
        for phone in phones:
            await onboard(phone)
        survey = bot.services.surveys.definitions.get("event_feedback")
        assert survey is not None
        now = datetime.now(UTC)
        launch = await bot.services.waves.launch("event_feedback", created_by="test", now=now)
        send = invitation_sender(bot.services.survey_flow, bot.services.outbound)
        # Spread over two hours: all four are due by then.
        assert await bot.services.waves.send_due(send, now + timedelta(hours=2)) == 4
        # Two find it useful (4), two less so (2); all would recommend it.
        for phone, score in zip(phones, ("4", "4", "2", "2"), strict=True):
            await phone.tap(translate("en", "survey.start"), until=text_of(survey, "useful", "en"))
            await phone.tap(score, until=text_of(survey, "would_recommend", "en"))
            await phone.tap(
                translate("en", "survey.yes"), until=text_of(survey, "next_topics", "en")
            )
            topic = taxonomy().get("skills_digital").title("en")
            await phone.tap(topic, until=text_of(survey, "next_topics", "en"))
            await phone.tap(
                translate("en", "survey.done_up_to", n=2), until=text_of(survey, "improve", "en")
            )
            await phone.send("/skip", until=survey.closing.get("en")[:20])
        results = _results_sender(bot)
        # Not before the wave closes...
        assert await bot.services.waves.close_due(results, now + timedelta(days=1)) == 0
        closing = now + timedelta(days=8)
        before = phones[0].emulator.last_seq
        assert await bot.services.waves.close_due(results, closing) == 4
        assert await bot.services.waves.close_due(results, closing) == 0  # once only
        await phones[0].wait(before, until="📊")
        text = phones[0].last_text()
        assert "Ogy: 4 answers" in text and "Lessines: 4 answers" in text
        lines = text.split("\n")
        # Scores: 4 twice, 2 twice: both shown (the other scores: nobody), with the mean.
        useful = lines.index("• " + text_of(survey, "useful", "en").split("\n")[0])
        rest = translate("en", "survey.results_rest", k=2)
        mean = translate("en", "survey.results_mean", mean="3")
        assert lines[useful + 1] == f"   Ogy: 2 2 · 4 2 · {rest} · {mean}"
        # Everyone said yes: showing "Yes 4" would tell each person's answer (No is 0 < k).
        recommend = lines.index("• " + text_of(survey, "would_recommend", "en").split("\n")[0])
        assert lines[recommend + 1] == "   Ogy: " + translate("en", "survey.results_rest", k=2)
        topics = lines.index("• " + text_of(survey, "next_topics", "en").split("\n")[0])
        assert "digital" in lines[topics + 1] and " 4" in lines[topics + 1]
        wave = await bot.services.db.fetch_one(
            "SELECT closed_at FROM survey_waves WHERE id = ?", (launch.wave.id,)
        )
        assert wave is not None and wave[0] is not None


async def test_admin_launches_a_wave_with_buttons_and_reads_results(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    admin_settings = settings.model_copy(update={"admin_ids": (9820,), "anonymity_k": 2})
    async with running_bot(admin_settings, poll_timeout=1) as bot:
        admin = make_phone(9820, "en")
        stranger = make_phone(9821, "en")
        shopkeepers = [make_phone(9822 + i, "en") for i in range(2)]
        for phone in (stranger, *shopkeepers):
            await onboard(phone)
        # A non-admin: the command does not exist for them, and nothing is launched.
        await stranger.send("/survey", until=translate("en", "command.unknown"))
        await stranger.send(
            "/survey_results shop_profile", until=translate("en", "command.unknown")
        )
        forged = int(stranger.emulator.messages(stranger.user.id)[-1]["message_id"])
        refused = await stranger.answer_to(forged, "sa:l:shop_profile:*:0123456789ab")
        assert refused.text == translate("en", "button.invalid")
        rows = await bot.services.db.fetch_all("SELECT id FROM survey_waves")
        assert rows == []

        survey = bot.services.surveys.definitions.get("shop_profile")
        assert survey is not None
        title = survey.title.get("en")
        await admin.send("/survey", until=translate("en", "admin.survey_pick"))
        await admin.tap(title, until=translate("en", "admin.survey_where", title=title))
        await admin.tap("Lessines", until="Launch?")
        # Three onboarded shopkeepers in Lessines (the stranger is one of them).
        assert " 3 people" in admin.last_text()
        message_id, data = admin.find_button(translate("en", "admin.launch"))
        await admin.tap_data(message_id, data, until="🚀")
        # A double tap does not launch twice.
        answer = await admin.answer_to(message_id, data)
        assert answer.text is None  # a replay: answered silently, nothing done
        rows = await bot.services.db.fetch_all("SELECT id FROM survey_waves")
        assert len(rows) == 1
        invited = await bot.services.db.fetch_all("SELECT user_id FROM survey_invitations")
        assert len(invited) == 3

        # Results only for closed waves: live counts would tell one person's answer.
        await admin.send(
            "/survey_results shop_profile",
            until=translate("en", "admin.results_none", title=title),
        )
        await bot.services.waves.close_due(
            _results_sender(bot), datetime.now(UTC) + timedelta(days=8)
        )
        events = await admin.send(
            "/survey_results shop_profile",
            until=translate("en", "survey.results_header", title=title),
        )
        assert any(e.kind == "send_photo" for e in events)


def _results_sender(bot: RunningBot) -> SendResults:
    s = bot.services
    return results_sender(s.survey_flow, s.reference, s.settings.anonymity_k, s.outbound)
