"""Unit tests of the onboarding service on a real SQLite file, without Telegram."""

from __future__ import annotations

import itertools

import pytest

from bot.channels.base import IncomingKind, IncomingMessage, Outcome
from bot.features.onboarding.flow import OnboardingService
from bot.i18n import translate
from bot.reference import Reference
from bot.storage import Database, Step, UserRepository

_counter = itertools.count(1)


def incoming(
    kind: IncomingKind, user: str = "42", lang: str | None = "fr", **kw: str
) -> IncomingMessage:
    """Build an incoming message with a fresh event key."""
    return IncomingMessage(
        channel="test",
        user_ref=user,
        event_key=f"test:{next(_counter)}",
        kind=kind,
        language_hint=lang,
        **kw,
    )


def cmd(name: str, args: str = "", **kw: str) -> IncomingMessage:
    return incoming(IncomingKind.COMMAND, command=name, args=args, **kw)


def tap(data: str, **kw: str) -> IncomingMessage:
    return incoming(IncomingKind.BUTTON, button_data=data, **kw)


def text(value: str, **kw: str) -> IncomingMessage:
    return incoming(IncomingKind.TEXT, text=value, **kw)


def datas(outcome: Outcome) -> list[str]:
    return [b.data for r in outcome.replies for row in r.buttons for b in row]


@pytest.fixture
def service(db: Database, reference: Reference) -> OnboardingService:
    return OnboardingService(db, reference)


async def test_nothing_is_stored_before_consent(service: OnboardingService, db: Database) -> None:
    out = await service.handle(cmd("start"))
    assert out.replies[0].text == translate("fr", "privacy.notice")
    out = await service.handle(tap("ob:lang:nl:-"))
    assert out.replies[0].edit and out.replies[0].text == translate("nl", "privacy.notice")
    await service.handle(text("hallo"))
    await service.handle(tap("ob:no:nl"))
    assert await UserRepository(db).count() == 0


async def test_full_onboarding_then_profile_changes(
    service: OnboardingService, db: Database, reference: Reference
) -> None:
    users = UserRepository(db)
    await service.handle(cmd("start", lang="en"))
    out = await service.handle(tap("ob:ok:en:-", lang="en"))
    assert "ob:role:shopkeeper" in datas(out)
    await service.handle(tap("ob:role:shopkeeper"))
    out = await service.handle(tap("ob:terr:lessines"))
    assert "ob:core:les_ogy" in datas(out)
    await service.handle(tap("ob:core:les_ogy"))
    out = await service.handle(tap("ob:sect:other"))
    user = await users.get("test", "42")
    assert user is not None
    assert (user.language, user.role, user.territory_id, user.core_id, user.sector_id) == (
        "en",
        "shopkeeper",
        "lessines",
        "les_ogy",
        "other",
    )
    assert user.step is Step.DONE
    assert "Ogy" in out.replies[-1].text
    # Change core through the profile, using a typed search.
    await service.handle(tap("pf:edit:core"))
    await service.handle(tap("pf:terr:brussels"))
    out = await service.handle(text("flagey"))
    assert any(d.startswith("pf:core:bru_") for d in datas(out))
    core_id = next(d for d in datas(out) if d.startswith("pf:core:")).split(":")[2]
    await service.handle(tap(f"pf:core:{core_id}"))
    user = await users.get("test", "42")
    assert user is not None and user.core_id == core_id and user.territory_id == "brussels"
    assert user.step is Step.DONE
    out = await service.handle(tap("pf:lang:nl"))
    assert out.notice == translate("nl", "profile.saved")
    user = await users.get("test", "42")
    assert user is not None and user.language == "nl"


async def test_deep_link_preselects_core(service: OnboardingService, db: Database) -> None:
    out = await service.handle(cmd("start", args="core_les_deux_acren"))
    assert "Deux-Acren" in out.replies[0].text
    assert "ob:ok:fr:les_deux_acren" in datas(out)
    await service.handle(tap("ob:ok:fr:les_deux_acren"))
    out = await service.handle(tap("ob:role:shopkeeper"))
    assert any(d.startswith("ob:sect:") for d in datas(out))
    user = await UserRepository(db).get("test", "42")
    assert user is not None
    assert (user.core_id, user.territory_id, user.step) == (
        "les_deux_acren",
        "lessines",
        Step.SECTOR,
    )


async def test_unknown_deep_link_is_ignored(service: OnboardingService) -> None:
    out = await service.handle(cmd("start", args="core_nowhere"))
    assert out.replies[0].text == translate("fr", "privacy.notice")
    assert "ob:ok:fr:-" in datas(out)


async def test_same_event_is_applied_once(service: OnboardingService, db: Database) -> None:
    await service.handle(cmd("start"))
    consent = tap("ob:ok:fr:-")
    first = await service.handle(consent)
    again = await service.handle(consent)
    assert first.replies and not again.replies and again.duplicate
    assert await UserRepository(db).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        "ob:role:emperor",
        "ob:core:bru_does_not_exist",
        "ob:core:les_ogy",
        "ob:sect:",
        "ob:sect:bakery",
        "xx:yy",
        "ob",
        "",
        "ob:cp:brussels:-1",
        "ob:cp:brussels:²",
        "ob:cp:brussels:٣",
        "ob:cp:brussels:99999",
        "ob:cp:atlantis:0",
        "ob:ok:de:-",
        "pf:lang:xx",
        "pf:core:bru_flagey",
        "ob:ok:fr:bru_nope",
        "ob:terr:atlantis",
    ],
)
async def test_forged_buttons_change_nothing(
    service: OnboardingService, db: Database, data: str
) -> None:
    # At the core step, where page taps for Brussels are legitimate.
    await service.handle(tap("ob:ok:fr:-"))
    await service.handle(tap("ob:role:shopkeeper"))
    await service.handle(tap("ob:terr:brussels"))
    users = UserRepository(db)
    before = await users.get("test", "42")
    out = await service.handle(tap(data))
    assert out.notice in (translate("fr", "button.invalid"), translate("fr", "button.stale"))
    assert out.replies == ()
    after = await users.get("test", "42")
    assert before == after


async def test_legitimate_page_taps_work(service: OnboardingService) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    await service.handle(tap("ob:role:shopkeeper"))
    await service.handle(tap("ob:terr:brussels"))
    out = await service.handle(tap("ob:cp:brussels:1"))
    assert out.replies[0].edit and "2/" in out.replies[0].text
    assert "ob:cp:brussels:0" in datas(out) and "ob:cp:brussels:2" in datas(out)


async def test_qr_link_at_sector_step_sets_the_core(
    service: OnboardingService, db: Database
) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    await service.handle(tap("ob:role:shopkeeper"))
    await service.handle(tap("ob:terr:lessines"))
    await service.handle(tap("ob:core:les_ogy"))
    out = await service.handle(cmd("start", args="core_bru_flagey"))
    assert "Flagey" in out.replies[0].text
    user = await UserRepository(db).get("test", "42")
    assert user is not None
    assert (user.core_id, user.territory_id, user.step) == ("bru_flagey", "brussels", Step.SECTOR)


async def test_profile_edits_leave_no_half_finished_core_change(
    service: OnboardingService, db: Database
) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    await service.handle(tap("ob:role:shopkeeper"))
    await service.handle(tap("ob:terr:brussels"))
    await service.handle(tap("ob:core:bru_flagey"))
    await service.handle(tap("ob:sect:bakery"))
    await service.handle(tap("pf:terr:lessines"))
    await service.handle(tap("pf:role:coach"))
    user = await UserRepository(db).get("test", "42")
    assert user is not None
    assert (user.role, user.step, user.pending_territory_id) == ("coach", Step.DONE, None)
    assert (user.core_id, user.territory_id) == ("bru_flagey", "brussels")


async def test_double_tap_is_harmless(service: OnboardingService, db: Database) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    await service.handle(tap("ob:role:coach"))
    out = await service.handle(tap("ob:role:landlord"))
    assert out.notice == translate("fr", "button.stale")
    user = await UserRepository(db).get("test", "42")
    assert user is not None and user.role == "coach" and user.step is Step.TERRITORY


async def test_typing_during_button_steps_reprompts(service: OnboardingService) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    out = await service.handle(text("je suis boulanger"))
    assert out.replies[0].text == translate("fr", "onboarding.use_buttons")
    assert "ob:role:shopkeeper" in datas(out)


@pytest.mark.parametrize(
    "query",
    ["x" * 4096, "🙂🙂🙂", "\u202eabc\u202c", "a\x00b\x07c", "   ", "<b>html</b> & co"],
)
async def test_odd_core_searches_answer_politely(service: OnboardingService, query: str) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    await service.handle(tap("ob:role:shopkeeper"))
    await service.handle(tap("ob:terr:brussels"))
    before = await UserRepository(service._db).get("test", "42")
    out = await service.handle(text(query))
    first = out.replies[0].text
    assert first.startswith(translate("fr", "core.search_none", query="")[:20])
    assert len(first) < len(translate("fr", "core.search_none", query="")) + 45
    assert all("\x00" not in r.text and "\u202e" not in r.text for r in out.replies)
    assert any(d.startswith("ob:core:bru_") for d in datas(out))
    assert await UserRepository(service._db).get("test", "42") == before


async def test_non_text_gets_text_only_reply(service: OnboardingService) -> None:
    out = await service.handle(incoming(IncomingKind.UNSUPPORTED, lang="nl", content_type="photo"))
    assert out.replies[0].text == translate("nl", "input.text_only")


async def test_unknown_command_gets_help(service: OnboardingService) -> None:
    out = await service.handle(cmd("frobnicate", lang="en"))
    assert translate("en", "command.unknown") in out.replies[0].text
    assert translate("en", "help.text") in out.replies[0].text


async def test_language_switch_mid_onboarding_keeps_the_step(
    service: OnboardingService, db: Database
) -> None:
    await service.handle(tap("ob:ok:fr:-"))
    out = await service.handle(cmd("language"))
    assert "pf:back" not in datas(out)
    out = await service.handle(tap("pf:lang:en"))
    assert out.replies[-1].text == translate("en", "role.question")
    user = await UserRepository(db).get("test", "42")
    assert user is not None and user.language == "en" and user.step is Step.ROLE
