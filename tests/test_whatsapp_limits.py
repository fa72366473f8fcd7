"""The suite-wide WhatsApp check itself: it finds what Meta would refuse, and only that."""

from __future__ import annotations

from bot.channels.base import Button, Reply
from tests.whatsapp_limits import violations


async def test_the_check_refuses_what_meta_refuses_and_passes_the_rest() -> None:
    twice = Reply("Pick", ((Button("A", "same"), Button("B", "same")),))
    no_body = Reply("", ((Button("A", "a"),),))
    assert len(await violations([twice, no_body])) == 2
    fine = [
        Reply("Pick", ((Button("A", "a"), Button("B", "b")),)),
        Reply("Long " * 400, tuple((Button(f"Choice {i}", f"c:{i}"),) for i in range(25))),
        Reply("A chart, a long caption cut to fit " + "x" * 1100, image=b"png"),
    ]
    assert await violations(fine) == []
