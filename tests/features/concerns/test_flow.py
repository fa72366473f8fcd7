"""The first question: "Yes", the other reading in one tap, or "Change"; at most 3 buttons."""

from __future__ import annotations

from bot.channels.base import IncomingKind, IncomingMessage, Reply
from bot.config import PROJECT_ROOT
from bot.features.barometer.service import BarometerService
from bot.features.concerns.echo import Echo
from bot.features.concerns.flow import ConcernFlow
from bot.features.concerns.store import ConcernStatus
from bot.i18n import translate
from bot.reference import Reference
from bot.resources import Resources
from bot.storage import Database, User
from nlp.taxonomy import taxonomy
from tests.features.concerns.test_service import key, make_user, service


def flow(
    db: Database, reference: Reference, predicted: list[str], alternative: tuple[str, ...] | None
) -> ConcernFlow:
    echo = Echo(
        BarometerService(db, anonymity_k=5, territory_cache_s=0),
        reference,
        taxonomy(),
        Resources.load(PROJECT_ROOT / "data" / "resources"),
        5,
    )
    return ConcernFlow(
        service(db, predicted, alternative=alternative), taxonomy(), echo, lambda _user: Reply("?")
    )


def text(body: str) -> IncomingMessage:
    return IncomingMessage("test", "me", key(), IncomingKind.TEXT, text=body)


def tap(data: str) -> IncomingMessage:
    return IncomingMessage("test", "me", key(), IncomingKind.BUTTON, button_data=data)


async def ask(f: ConcernFlow, user: User) -> Reply:
    out = await f.on_text(user, text("le proprio et la paperasse"))
    (reply,) = out.replies
    return reply


def short(factor: str) -> str:
    return taxonomy().get(factor).short_title("fr")


async def test_a_close_runner_up_is_offered_as_a_third_button(
    db: Database, reference: Reference
) -> None:
    me = await make_user(db, "me")
    f = flow(db, reference, ["rent_premises"], ("admin_tax", "rent_premises"))
    reply = await ask(f, me)
    (row,) = reply.buttons
    labels = [b.label for b in row]
    assert labels == [
        translate("fr", "concern.yes"),
        translate("fr", "concern.also", factor=short("admin_tax")),
        translate("fr", "concern.change"),
    ]
    # WhatsApp shows up to three buttons of up to 20 characters as buttons, not as a list.
    assert all(len(label) <= 20 for label in labels)
    assert taxonomy().get("admin_tax").title("fr") in reply.text
    out = await f.on_button(me, tap(row[1].data))
    assert out.replies[0].text.startswith(translate("fr", "concern.noted", factors="")[:8])
    concern = (await f._concerns.history(me))[0]
    assert concern.status is ConcernStatus.CONFIRMED
    assert concern.draft == ("admin_tax", "rent_premises") and concern.corrected


async def test_yes_keeps_the_guess_when_a_runner_up_was_offered(
    db: Database, reference: Reference
) -> None:
    me = await make_user(db, "me")
    f = flow(db, reference, ["rent_premises", "staff"], ("admin_tax", "rent_premises", "staff"))
    reply = await ask(f, me)
    (row,) = reply.buttons
    assert row[1].label == translate("fr", "concern.also", factor=short("admin_tax"))
    await f.on_button(me, tap(row[0].data))
    concern = (await f._concerns.history(me))[0]
    assert concern.draft == ("rent_premises", "staff") and not concern.corrected


async def test_after_an_edit_the_other_reading_is_no_longer_offered_nor_taken(
    db: Database, reference: Reference
) -> None:
    """The reviewer's case: untick the guess, send the same text again, tap the old offer."""
    me = await make_user(db, "me")
    f = flow(db, reference, ["staff"], ("rent_premises", "staff"))
    first = await ask(f, me)
    concern = (await f._concerns.history(me))[0]
    staff = taxonomy().ids.index("staff")
    await f.on_button(me, tap(f"cc:t:{concern.id}:{staff}"))
    again = await ask(f, me)
    # Asked again, the question is the picker of what is ticked now, without the offer.
    assert all(b.data.split(":")[1] != "a" for row in again.buttons for b in row)
    out = await f.on_button(me, tap(first.buttons[0][1].data))
    assert out.notice == translate("fr", "button.stale")
    pending = (await f._concerns.history(me))[0]
    assert pending.status is ConcernStatus.PENDING and pending.draft == ()


async def test_without_a_guess_the_runner_up_is_asked_about(
    db: Database, reference: Reference
) -> None:
    me = await make_user(db, "me")
    f = flow(db, reference, [], ("staff",))
    reply = await ask(f, me)
    assert reply.text == translate(
        "fr", "concern.maybe", factors=taxonomy().get("staff").title("fr")
    )
    (row,) = reply.buttons
    assert [b.data.split(":")[1] for b in row] == ["a", "c", "n"]
    assert row[2].label == translate("fr", "concern.maybe_none")
    await f.on_button(me, tap(row[2].data))
    concern = (await f._concerns.history(me))[0]
    assert concern.status is ConcernStatus.CONFIRMED and concern.draft == ()


async def test_without_a_runner_up_the_question_is_as_before(
    db: Database, reference: Reference
) -> None:
    me = await make_user(db, "me")
    plain = await ask(flow(db, reference, ["staff"], None), me)
    assert [b.label for b in plain.buttons[0]] == [
        translate("fr", "concern.yes"),
        translate("fr", "concern.change"),
    ]
    other = await make_user(db, "other")
    picker = await flow(db, reference, [], None).on_text(other, text("bonjour"))
    assert picker.replies[0].text == translate("fr", "concern.pick")


async def test_a_forged_or_replayed_alternative_tap_changes_nothing(
    db: Database, reference: Reference
) -> None:
    me = await make_user(db, "me")
    f = flow(db, reference, ["staff"], None)
    await ask(f, me)
    concern = (await f._concerns.history(me))[0]
    out = await f.on_button(me, tap(f"cc:a:{concern.id}"))
    assert out.notice == translate("fr", "button.stale")
    assert (await f._concerns.history(me))[0].status is ConcernStatus.PENDING
    intruder = await make_user(db, "intruder")
    g = flow(db, reference, ["staff"], ("rent_premises", "staff"))
    # A replayed tap (the same event twice) acts once.
    other = await make_user(db, "other")
    await g.on_text(other, text("le proprio"))
    theirs = (await g._concerns.history(other))[0]
    replayed = tap(f"cc:a:{theirs.id}")
    await g.on_button(other, replayed)
    assert (await g.on_button(other, replayed)).notice == translate("fr", "button.stale")
    assert (await g._concerns.history(other))[0].draft == ("rent_premises", "staff")
    await ask(g, me)
    mine = (await g._concerns.history(me))[0]
    assert (await g.on_button(intruder, tap(f"cc:a:{mine.id}"))).notice == translate(
        "fr", "button.stale"
    )
    assert (await g._concerns.history(me))[0].status is ConcernStatus.PENDING


def test_every_alternative_button_fits_a_whatsapp_reply_button() -> None:
    from bot.channels.whatsapp.render import MAX_BUTTON_TITLE

    for lang in ("fr", "nl", "en"):
        for factor in taxonomy().factors:
            for key_ in ("concern.also", "concern.maybe_yes"):
                label = translate(lang, key_, factor=factor.short_title(lang))
                assert len(label) <= MAX_BUTTON_TITLE, (lang, label)
        for key_ in (
            "concern.yes",
            "concern.change",
            "concern.choose",
            "concern.none",
            "concern.maybe_none",
        ):
            assert len(translate(lang, key_)) <= MAX_BUTTON_TITLE, (lang, key_)
