"""Notices: sent after the change commits, retried, and by template outside WhatsApp's window."""

from __future__ import annotations

import pytest

from bot.channels.base import Recipient, Reply, SendOutcome, SendStatus
from bot.features.notices.service import SHOW_DATA, Notices
from bot.features.notices.store import Notice
from bot.i18n import Translator
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, Role, UserRepository
from tests.features.concerns.test_service import make_user
from tests.support import MemoryPort

# What the port does with each chat now: None sends.
STATE: dict[str, SendStatus] = {}


def _fail(to: Recipient, reply: Reply) -> SendOutcome | None:
    status = STATE.get(to.chat_id)
    if status is SendStatus.NOT_ALLOWED_NOW and reply.template is not None:
        # The template goes: that is what it is for.
        return None
    return None if status is None else SendOutcome(status)


async def _render(notice: Notice, t: Translator) -> Reply | None:
    if notice.params.get("gone"):
        return None
    return Reply(t("notices.nothing") + f" #{notice.subject_id}")


@pytest.fixture
def setup(db: Database) -> tuple[Notices, MemoryPort]:
    STATE.clear()
    port = MemoryPort("test", fail=_fail)
    outbound = Outbound(ContactService(UserRepository(db)))
    outbound.register(port)
    notices = Notices(db, UserRepository(db), outbound)
    notices.register("thing.news", _render, "cells.news_what")
    return notices, port


async def test_a_notice_waits_for_the_commit_and_goes_once(
    db: Database, setup: tuple[Notices, MemoryPort]
) -> None:
    notices, port = setup
    person = await make_user(db, "n1", role=Role.LANDLORD)
    async with db.unit_of_work() as unit:
        await notices.tell(person.id, "thing.news", "thing:7")
        # Inside the change nothing went: a rollback would leave nothing told.
        assert port.sent == []
    # Whoever runs the unit (the conversation) runs what waited for its commit.
    for work in unit.deferred:
        await work()
    assert [r.text for _to, r in port.sent] == ["Rien de nouveau pour l'instant. #7"]
    assert await notices.deliver() == 0
    with pytest.raises(KeyError):
        await notices.tell(person.id, "unknown.kind", "thing:1")


async def test_a_failed_notice_is_retried_and_a_meaningless_one_dropped(
    db: Database, setup: tuple[Notices, MemoryPort]
) -> None:
    notices, port = setup
    person = await make_user(db, "n2", role=Role.LANDLORD)
    STATE[person.external_id] = SendStatus.FAILED
    await notices.tell(person.id, "thing.news", "thing:1")
    await notices.tell(person.id, "thing.news", "thing:2", params={"gone": True})
    assert port.sent == []
    STATE.clear()
    assert await notices.deliver() == 1
    assert [r.text for _to, r in port.sent] == ["Rien de nouveau pour l'instant. #1"]
    assert await db.fetch_all("SELECT id FROM notices") == []


async def test_outside_the_window_a_template_stands_in_until_show(
    db: Database, setup: tuple[Notices, MemoryPort]
) -> None:
    notices, port = setup
    person = await make_user(db, "n3", role=Role.LANDLORD)
    STATE[person.external_id] = SendStatus.NOT_ALLOWED_NOW
    await notices.tell(person.id, "thing.news", "thing:3")
    ((_to, news),) = port.sent
    assert news.template is not None and news.template.kind == "news"
    assert news.buttons[0][0].data == SHOW_DATA
    # The notice waits for the tap; a second round does not send the template again.
    assert await notices.deliver() == 0
    # A second notice meanwhile sends no second template: one tap shows both.
    await notices.tell(person.id, "thing.news", "thing:4")
    assert len(port.sent) == 1
    shown = await notices.waiting(person.id, None, "fr")
    assert [r.text for r in shown] == [
        "Rien de nouveau pour l'instant. #3",
        "Rien de nouveau pour l'instant. #4",
    ]
    assert await notices.waiting(person.id, None, "fr") == []


async def test_an_admin_outside_the_window_gets_the_template_too(
    db: Database, setup: tuple[Notices, MemoryPort]
) -> None:
    notices, port = setup
    STATE["a1"] = SendStatus.NOT_ALLOWED_NOW
    await notices.tell_admins(("test:a1",), "thing.news", "thing:5")
    ((to, news),) = port.sent
    assert to.chat_id == "a1" and news.template is not None
    shown = await notices.waiting(None, "test:a1", "fr")
    assert [r.text for r in shown] == ["Rien de nouveau pour l'instant. #5"]
