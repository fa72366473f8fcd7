"""The router's precedence, table-driven: which flow answers which action, in which state."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.app.router import Router
from bot.channels.base import IncomingKind, IncomingMessage, Outcome, Reply
from bot.i18n import Translator
from bot.shared.access import Admins, unknown_command
from bot.shared.routes import (
    Access,
    Buttons,
    Command,
    ConsentGate,
    FlowRoutes,
    Handler,
    Link,
    Text,
    TextStage,
    is_talking,
)
from bot.storage import Role, Step, User

ADMIN = "42"


def person(step: Step = Step.DONE, *, consent: str = "current", blocked: bool = False) -> User:
    done = step is Step.DONE
    return User(
        id=1,
        channel="telegram",
        external_id="7",
        language="nl",
        role=Role.SHOPKEEPER if done else None,
        territory_id="lessines" if done else None,
        core_id="les_centre" if done else None,
        sector_id="food" if done else None,
        step=step,
        pending_territory_id=None,
        pending_core_id=None,
        consent_at="2026-01-01T00:00:00.000+00:00",
        consent_version=consent,
        blocked_at="2026-01-02T00:00:00.000+00:00" if blocked else None,
        created_at="2026-01-01T00:00:00.000+00:00",
        updated_at="2026-01-01T00:00:00.000+00:00",
    )


@dataclass
class World:
    """A fake user store and flows that say who answered."""

    user: User | None = None
    in_survey: bool = False
    becomes_onboarded: bool = False
    calls: list[str] = field(default_factory=list)

    def answer(self, name: str) -> Handler:
        async def handle(_user: User | None, _msg: IncomingMessage, lang: str) -> Outcome:
            self.calls.append(name)
            if name == "onboarding" and self.becomes_onboarded:
                self.user = person()
            return Outcome((Reply(f"{name}:{lang}"),))

        return handle

    async def get_user(self, _channel: str, _ref: str) -> User | None:
        return self.user

    def router(self) -> Router:
        async def survey_text(user: User, _msg: IncomingMessage) -> bool:
            return is_talking(user) and self.in_survey

        async def concern_text(user: User, _msg: IncomingMessage) -> bool:
            return is_talking(user)

        async def held_text(user: User, msg: IncomingMessage) -> bool:
            return not user.onboarded and len(msg.text.split()) >= 4

        async def file_held(_user: User, _msg: IncomingMessage) -> tuple[Reply, ...]:
            self.calls.append("file_held")
            return (Reply("held"),)

        async def ask_again(_user: User, _msg: IncomingMessage) -> Outcome:
            self.calls.append("consent")
            return Outcome((Reply("accept?"),))

        a = self.answer
        flows = [
            FlowRoutes(
                "privacy",
                commands=(Command("mydata", a("privacy"), Access.ANYONE, before_consent=True),),
                buttons=(Buttons("fg", a("privacy"), before_consent=True),),
            ),
            FlowRoutes(
                "partners",
                links=(Link(lambda m: m.args.startswith("p_"), a("partner_link"), True),),
            ),
            FlowRoutes(
                "digests",
                commands=(Command("digest", a("digest"), Access.PARTNER_CHAT, in_groups=True),),
            ),
            FlowRoutes(
                "broadcast_admin",
                commands=(Command("broadcast", a("broadcast_admin"), Access.ADMIN),),
                buttons=(Buttons("bc", a("broadcast_admin"), Access.ADMIN),),
            ),
            FlowRoutes(
                "surveys",
                commands=(Command("skip", a("surveys")),),
                buttons=(Buttons("sv", a("surveys")),),
                texts=(Text(TextStage.SURVEY, survey_text, a("survey_text")),),
            ),
            FlowRoutes(
                "concerns",
                commands=(Command("history", a("history")),),
                buttons=(Buttons("cc", a("concerns")),),
                texts=(
                    # Declared out of order on purpose: the stage decides, not the order.
                    Text(TextStage.HELD, held_text, a("held_text")),
                    Text(TextStage.CONCERN, concern_text, a("concern_text")),
                ),
                after_onboarding=file_held,
            ),
        ]
        gate = ConsentGate(lambda user: user.consent_version != "current", ask_again)
        return Router(self.get_user, Admins([ADMIN]), gate, a("onboarding"), flows)


def text(words: str, *, chat: str = "") -> IncomingMessage:
    return IncomingMessage("telegram", "7", "k", IncomingKind.TEXT, text=words, chat=chat)


def command(name: str, args: str = "", *, user: str = "7", chat: str = "") -> IncomingMessage:
    return IncomingMessage(
        "telegram", user, "k", IncomingKind.COMMAND, command=name, args=args, chat=chat
    )


def tap(data: str, *, user: str = "7") -> IncomingMessage:
    return IncomingMessage("telegram", user, "k", IncomingKind.BUTTON, button_data=data)


NEW = None
DONE = person()
MID = person(Step.TERRITORY)
OLD_NOTICE = person(consent="older")
BLOCKED = person(blocked=True)

# (what the person is, is a survey open, the action, who answers)
CASES = [
    # Groups: partner links and group commands only; /start points to the private chat.
    (NEW, False, command("start", "p_abc", chat="-100"), ["partner_link"]),
    (NEW, False, command("digest", chat="-100"), ["digest"]),
    (NEW, False, command("start", chat="-100"), []),
    (DONE, False, command("history", chat="-100"), []),
    (DONE, False, text("bonjour à tous", chat="-100"), []),
    # The consent gate comes before everything but what is declared before consent.
    (OLD_NOTICE, False, text("le loyer est trop cher"), ["consent"]),
    (OLD_NOTICE, False, command("history"), ["consent"]),
    (OLD_NOTICE, False, command("start", "p_abc"), ["consent"]),
    (OLD_NOTICE, False, command("mydata"), ["privacy"]),
    (OLD_NOTICE, False, tap("fg:yes:1"), ["privacy"]),
    (OLD_NOTICE, False, tap("cc:y:1"), ["consent"]),
    # Buttons go by prefix; unknown prefixes go to onboarding.
    (DONE, False, tap("cc:y:1"), ["concerns"]),
    (DONE, True, tap("sv:go:1"), ["surveys"]),
    (NEW, False, tap("ob:role:shopkeeper"), ["onboarding"]),
    (DONE, False, tap("zz:1"), ["onboarding"]),
    # A partner's link before any command, without consent or onboarding.
    (NEW, False, command("start", "p_abc"), ["partner_link"]),
    (NEW, False, command("start"), ["onboarding"]),
    # Commands by access.
    (NEW, False, command("mydata"), ["privacy"]),
    (NEW, False, command("digest"), ["digest"]),
    (NEW, False, command("history"), ["onboarding"]),
    (MID, False, command("history"), ["onboarding"]),
    (DONE, False, command("history"), ["history"]),
    (DONE, True, command("skip"), ["surveys"]),
    (DONE, False, command("nonsense"), ["onboarding"]),
    # Free text: surveys before concerns, held text while onboarding, else onboarding.
    (DONE, True, text("3"), ["survey_text"]),
    (DONE, False, text("les travaux bloquent la rue"), ["concern_text"]),
    (BLOCKED, False, text("les travaux bloquent la rue"), ["onboarding"]),
    (MID, False, text("les travaux bloquent la rue"), ["held_text"]),
    (MID, False, text("Lessines"), ["onboarding"]),
    (NEW, False, text("les travaux bloquent la rue"), ["onboarding"]),
]


@pytest.mark.parametrize(("user", "in_survey", "msg", "expected"), CASES)
async def test_who_answers_what(
    user: User | None, in_survey: bool, msg: IncomingMessage, expected: list[str]
) -> None:
    world = World(user=user, in_survey=in_survey)
    outcome = await world.router().handle(msg)
    assert world.calls == expected
    if expected and expected[0] != "consent":
        # The answer comes in the person's language, or their phone's (French by default).
        lang = user.language if user is not None and not msg.chat else "fr"
        assert outcome.replies[0].text == f"{expected[0]}:{lang}"


async def test_admin_commands_and_buttons_are_refused_to_others_and_allowed_to_admins() -> None:
    world = World(user=DONE)
    router = world.router()
    refused = await router.handle(command("broadcast", "fr: hi"))
    assert world.calls == []
    assert refused.replies == (unknown_command(Translator("nl")),)
    assert (await router.handle(tap("bc:go:1"))).notice
    assert world.calls == []
    await router.handle(command("broadcast", "fr: hi", user=ADMIN))
    await router.handle(tap("bc:go:1", user=ADMIN))
    assert world.calls == ["broadcast_admin", "broadcast_admin"]


async def test_messages_kept_during_onboarding_follow_its_last_answer() -> None:
    world = World(user=MID, becomes_onboarded=True)
    outcome = await world.router().handle(tap("ob:sector:food"))
    assert world.calls == ["onboarding", "file_held"]
    assert [r.text for r in outcome.replies] == ["onboarding:nl", "held"]


def test_a_command_or_prefix_declared_twice_is_refused_at_start_up() -> None:
    async def nothing(_u: User | None, _m: IncomingMessage, _l: str) -> Outcome:
        return Outcome(())

    twice = [
        FlowRoutes("a", commands=(Command("x", nothing),)),
        FlowRoutes("b", commands=(Command("x", nothing),)),
    ]
    gate = ConsentGate(lambda _u: False, lambda _u, _m: nothing(None, _m, "fr"))
    with pytest.raises(ValueError, match="/x"):
        Router(World().get_user, Admins([]), gate, nothing, twice)
