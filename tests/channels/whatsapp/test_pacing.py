"""Meta's rate limits: the number backs off after a throughput refusal, a person's chat after a
pair-rate refusal, each time longer, and both start again from the shortest once a message goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.base import Recipient, Reply, SendStatus
from bot.channels.whatsapp.client import GraphError
from bot.channels.whatsapp.outbound import ListPages, WhatsAppOutbound
from bot.channels.whatsapp.pacing import BACKOFF_MAX_S, PAIR_SPACING_S, Pacing

START = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_a_pair_rate_refusal_holds_that_person_only_and_grows_until_a_message_goes() -> None:
    clock = _Clock()
    pacing = Pacing(clock, jitter=lambda: 0.0)
    waits = [pacing.refused("32471", 131056) for _ in range(3)]
    assert waits == [PAIR_SPACING_S, 2 * PAIR_SPACING_S, 4 * PAIR_SPACING_S]
    assert pacing.wait("32471") == (4 * PAIR_SPACING_S, True)  # this person only
    assert pacing.wait("32472") == (0.0, False)  # somebody else is written to at once
    clock.move(4 * PAIR_SPACING_S)
    assert pacing.wait("32471") == (0.0, False)
    pacing.went("32471")
    assert pacing.refused("32471", 131056) == PAIR_SPACING_S


def test_a_throughput_refusal_holds_the_whole_number_with_a_ceiling() -> None:
    clock = _Clock()
    pacing = Pacing(clock, jitter=lambda: 1.0)
    first = pacing.refused("32471", 130429)
    assert first == 1.25  # a second, and up to a quarter more at random
    assert pacing.wait("32479") == (first, False)  # everybody waits
    # Sends that were on their way together are refused together: one strike, not three.
    assert pacing.refused("32472", 130429) == first
    clock.move(first)
    assert pacing.refused("32471", 130429) == 2.5
    for _ in range(2000):  # a long outage: the wait stays at its ceiling, without overflow
        clock.move(BACKOFF_MAX_S * 2)
        last = pacing.refused("32471", 80007)
    assert last == BACKOFF_MAX_S * 1.25
    pacing.went("32479")
    clock.move(BACKOFF_MAX_S * 2)
    assert pacing.refused("32471", 4) == 1.25


class _RefusingGraph:
    """Stands in for the Graph API: refuses the next sends with the given codes."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.sent: list[str] = []
        self.tries = 0

    async def send(self, to: str, message: dict[str, Any]) -> str:
        self.tries += 1
        if self.codes:
            raise GraphError(self.codes.pop(0), 400, "rate limit hit")
        self.sent.append(to)
        return f"wamid.{len(self.sent)}"


async def test_the_port_waits_as_meta_asks_without_calling_it_meanwhile() -> None:
    clock = _Clock()
    graph = _RefusingGraph(131056)

    async def english(_channel: str, _ref: str, _hint: str | None) -> str:
        return "en"

    async def never(_wa_id: str) -> str | None:
        return None

    outbound = WhatsAppOutbound(graph, english, ListPages(), never, clock)  # type: ignore[arg-type]
    for person in ("32471", "32472"):
        outbound.note_inbound(person, START)
    refused = await outbound.send(Recipient("whatsapp", "32471"), [Reply("Hello")])
    assert refused.status is SendStatus.RATE_LIMITED
    assert refused.retry_after >= PAIR_SPACING_S and refused.recipient_only
    # Tried again too soon: not even sent to Meta.
    again = await outbound.send(Recipient("whatsapp", "32471"), [Reply("Hello")])
    assert again.status is SendStatus.RATE_LIMITED and graph.tries == 1
    # Another person is written to at once.
    assert (await outbound.send(Recipient("whatsapp", "32472"), [Reply("Hi")])).sent
    clock.move(refused.retry_after)
    assert (await outbound.send(Recipient("whatsapp", "32471"), [Reply("Hello")])).sent
    assert graph.sent == ["32472", "32471"]
