"""GET /metrics: the bot's own figures in Prometheus' text format, behind a token when set."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bot.app.run import RunningBot
from bot.app.web import build_app, metrics_route
from bot.i18n import translate
from tests.support import Phone, eventually, onboard


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample as {(name, sorted labels): value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _scrape(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{bot.web.port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return _samples(answer.text)


async def test_metrics_count_updates_replies_jobs_and_classification(
    bot: RunningBot, make_phone: Callable[..., Phone]
) -> None:
    before = await _scrape(bot)
    assert before[("echoppe_outbox_depth", (("outbox", "answers"),))] == 0
    phone = make_phone(7301, "fr")
    await onboard(phone)
    await phone.send("Le loyer a encore augmenté, c'est intenable", until="?")
    after = await _scrape(bot)
    commands = ("echoppe_updates_handled_total", (("channel", "telegram"), ("kind", "command")))
    taps = ("echoppe_updates_handled_total", (("channel", "telegram"), ("kind", "button")))
    sent = ("echoppe_replies_sent_total", (("channel", "telegram"), ("outcome", "sent")))
    assert after[commands] >= 1 and after[taps] >= 4
    assert after[sent] >= after[taps]
    assert after[("echoppe_classification_seconds_count", ())] >= 1
    # Nothing of a person is in them: no user id, no words.
    async with httpx.AsyncClient() as client:
        raw = (await client.get(f"http://127.0.0.1:{bot.web.port}/metrics")).text
    assert "7301" not in raw and "loyer" not in raw
    assert translate("fr", "privacy.notice")[:10] not in raw

    async def replies_job_ran() -> bool:
        return (await _scrape(bot)).get(("echoppe_jobs_run_total", (("job", "replies"),)), 0) >= 1

    await eventually(replies_job_ran, attempts=600)


def test_metrics_behind_a_token_answer_only_with_it() -> None:
    async def read() -> bytes:
        return b"echoppe_up 1\n"

    async def healthy() -> tuple[bool, dict[str, object]]:
        return True, {}

    client = TestClient(build_app([metrics_route(read, "s3cret")], healthy))
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200 and right.text == "echoppe_up 1\n"
    # Without a token the figures are public (an operator's choice).
    open_client = TestClient(build_app([metrics_route(read, None)], healthy))
    assert open_client.get("/metrics").status_code == 200
