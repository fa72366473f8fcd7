"""WhatsApp rendering: buttons, lists and their pages, media, and WhatsApp's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.base import Button, Recipient, Reply, SendStatus, TemplateUse
from bot.channels.whatsapp.menu import MENU
from bot.channels.whatsapp.outbound import ListPages, TemplateBudget, WhatsAppOutbound
from bot.channels.whatsapp.render import (
    MAX_BODY,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_TITLE,
    MAX_ROWS,
    PAGE_PREFIX,
    neutralise,
)
from bot.channels.whatsapp.templates import TemplateBook
from bot.emulator.whatsapp import phone
from tests.channels.whatsapp.test_templates import SHIPPED


class _Graph:
    """Stands in for the Graph API client: records uploads and sends."""

    def __init__(self) -> None:
        self.uploads: list[tuple[bytes, str, str]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def upload(self, content: bytes, mime: str, filename: str) -> str:
        self.uploads.append((content, mime, filename))
        return f"media-{len(self.uploads)}"

    async def send(self, to: str, message: dict[str, Any]) -> str:
        self.sent.append((to, message))
        return f"wamid.{len(self.sent)}"


async def _english(_channel: str, _ref: str, _hint: str | None) -> str:
    return "en"


NOW = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def _outbound(last_wrote: str | None = None) -> tuple[WhatsAppOutbound, _Graph]:
    graph = _Graph()

    async def stored(_wa_id: str) -> str | None:
        return last_wrote

    outbound = WhatsAppOutbound(graph, _english, ListPages(), stored, lambda: NOW)  # type: ignore[arg-type]
    outbound.note_inbound("32470", NOW - timedelta(minutes=5))
    return outbound, graph


def _choices(n: int, label: str = "Choice") -> tuple[tuple[Button, ...], ...]:
    return tuple((Button(f"{label} {i}", f"c:{i}"),) for i in range(n))


async def test_three_short_choices_are_reply_buttons() -> None:
    outbound, _ = _outbound()
    [message] = await outbound.messages("32470", Reply("Pick one", buttons=_choices(3)))
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == ["c:0", "c:1", "c:2"]


async def test_four_choices_or_a_long_label_become_a_list() -> None:
    outbound, _ = _outbound()
    [four] = await outbound.messages("32470", Reply("Pick", buttons=_choices(4)))
    assert four["interactive"]["type"] == "list"
    assert four["interactive"]["action"]["button"] == "Choose"
    long_label = ((Button("A label well over twenty", "x"),),)
    [long] = await outbound.messages("32470", Reply("Pick", buttons=long_label))
    assert long["interactive"]["type"] == "list"
    row = long["interactive"]["action"]["sections"][0]["rows"][0]
    assert len(row["title"]) <= MAX_ROW_TITLE


async def test_long_lists_are_paged_and_every_page_is_within_limits() -> None:
    outbound, _ = _outbound()
    reply = Reply("Pick your shopping area", buttons=_choices(26, "Area"))
    [first] = await outbound.messages("32470", reply)
    seen: list[str] = []
    message = first
    for _ in range(10):
        rows = message["interactive"]["action"]["sections"][0]["rows"]
        assert len(rows) <= MAX_ROWS
        assert all(len(r["title"]) <= MAX_ROW_TITLE for r in rows)
        assert all(len(r.get("description", "")) <= MAX_ROW_DESCRIPTION for r in rows)
        seen += [r["id"] for r in rows if not r["id"].startswith(PAGE_PREFIX)]
        more = [r["id"] for r in rows if r["id"].startswith(PAGE_PREFIX)]
        if not more:
            break
        key, _, number = more[0].removeprefix(PAGE_PREFIX).partition(":")
        page = await outbound.page("32470", key, int(number))
        assert page is not None
        [message] = page
    assert seen == [f"c:{i}" for i in range(26)]
    assert await outbound.page("32470", "unknown", 1) is None


async def test_a_text_over_the_interactive_limit_goes_first_on_its_own() -> None:
    outbound, _ = _outbound()
    text = "word " * 300
    messages = await outbound.messages("32470", Reply(text, buttons=_choices(2)))
    assert [m["type"] for m in messages] == ["text", "interactive"]
    assert messages[0]["text"]["body"] == neutralise(text)
    assert len(messages[1]["interactive"]["body"]["text"]) <= MAX_BODY


async def test_charts_and_files_are_uploaded_then_sent_by_id() -> None:
    outbound, graph = _outbound()
    outcome = await outbound.send(
        Recipient("whatsapp", "32470"),
        [Reply("Barometer", image=b"\x89PNG"), Reply("Your data", document=("data.json", b"{}"))],
    )
    assert outcome.sent
    assert [u[1:] for u in graph.uploads] == [
        ("image/png", "chart.png"),
        ("text/plain", "data.json"),
    ]
    kinds = [m["type"] for _, m in graph.sent]
    assert kinds == ["image", "document"]
    assert graph.sent[1][1]["document"] == {
        "id": "media-2",
        "caption": "Your data",
        "filename": "data.json",
    }


async def test_free_form_messages_go_only_within_24_hours_of_the_persons_last_message() -> None:
    to = Recipient("whatsapp", "32999")
    outbound, graph = _outbound()
    outcome = await outbound.send(to, [Reply("Three weeks ago you wrote…")])
    assert outcome.status is SendStatus.NOT_ALLOWED_NOW and graph.sent == []
    outbound.note_inbound("32999", NOW - timedelta(hours=23, minutes=59))
    assert (await outbound.send(to, [Reply("Hello")])).sent
    outbound.note_inbound("32998", NOW - timedelta(hours=24, minutes=1))
    late = await outbound.send(Recipient("whatsapp", "32998"), [Reply("Hello")])
    assert late.status is SendStatus.NOT_ALLOWED_NOW
    # After a restart only the stored time is known.
    stored, graph = _outbound(last_wrote=(NOW - timedelta(hours=2)).isoformat())
    assert (await stored.send(to, [Reply("Hello")])).sent and len(graph.sent) == 1


def test_what_people_typed_is_never_read_as_formatting() -> None:
    shown = neutralise("*rent* is _too_ ~high~ `now`")
    for marker in "*_~`":
        assert f"{marker}\u200d" in shown
    assert shown.replace("\u200d", "") == "*rent* is _too_ ~high~ `now`"
    assert neutralise("plain text") == "plain text"
    # A link stays whole (a joiner would break it); the words around it do not.
    link = "https://t.me/echoppe_bot?start=core_les_ogy-neighbour"
    shown = neutralise(f"_Join_: {link} _now_")
    assert link in shown and shown.startswith("_\u200dJoin_\u200d")


class _Ledger:
    """Counts template messages in memory."""

    def __init__(self) -> None:
        self.days: dict[str, int] = {}
        self.cost: dict[str, float] = {}

    async def add(self, day: str, category: str, cost: float) -> None:
        self.days[day] = self.days.get(day, 0) + 1
        self.cost[day[:7]] = self.cost.get(day[:7], 0.0) + cost

    async def sent_on(self, day: str) -> int:
        return self.days.get(day, 0)

    async def spent_in(self, month: str) -> float:
        return self.cost.get(month, 0.0)


def _templated(budget: TemplateBudget, ledger: _Ledger) -> tuple[WhatsAppOutbound, _Graph]:
    graph = _Graph()

    async def never(_wa_id: str) -> str | None:
        return None

    async def approved(_name: str, _lang: str) -> str:
        return "APPROVED"

    book = TemplateBook.load(SHIPPED)
    outbound = WhatsAppOutbound(
        graph,  # type: ignore[arg-type]
        _english,
        ListPages(),
        never,
        lambda: NOW,
        templates=book,
        template_status=approved,
        budget=budget,
        ledger=ledger,
    )
    return outbound, graph


def _announcement(text: str) -> Reply:
    return Reply(text, template=TemplateUse("announcement", (text,)))


async def test_templates_stop_at_the_daily_limit_until_the_next_day() -> None:
    outbound, graph = _templated(TemplateBudget(daily_limit=2), _Ledger())
    for n in range(2):
        assert (await outbound.send(Recipient("whatsapp", f"3{n}"), [_announcement("Hi")])).sent
    third = await outbound.send(Recipient("whatsapp", "39"), [_announcement("Hi")])
    assert third.status is SendStatus.NOT_ALLOWED_NOW and "daily" in third.reason
    midnight = datetime(2027, 3, 29, tzinfo=UTC)
    assert third.retry_after == (midnight - NOW).total_seconds()
    assert len(graph.sent) == 2


async def test_the_monthly_budget_caps_the_spend_and_the_admins_hear_it_once() -> None:
    budget = TemplateBudget(monthly_budget=0.10, prices={"MARKETING": 0.06})
    outbound, graph = _templated(budget, _Ledger())
    told: list[str] = []
    outbound.on_budget = told.append
    assert (await outbound.send(Recipient("whatsapp", "31"), [_announcement("Hi")])).sent
    for _ in range(2):
        over = await outbound.send(Recipient("whatsapp", "32"), [_announcement("Hi")])
        assert over.status is SendStatus.NOT_ALLOWED_NOW and "budget" in over.reason
    assert told == ["2027-03"] and len(graph.sent) == 1


def test_the_emulators_phone_knows_the_more_choices_row() -> None:
    # The simulated person taps "more" by its id; both sides must agree on it.
    assert phone.PAGE_PREFIX == PAGE_PREFIX


def test_the_menu_fits_one_whatsapp_list() -> None:
    # A list holds ten rows; the menu is sent without a "more" page.
    assert len(MENU) <= MAX_ROWS
