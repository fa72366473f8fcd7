"""The console channel: the real services and jobs, a terminal as the person's phone."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.container import Services, open_services
from bot.app.run import serving
from bot.channels.base import Recipient, Reply, SendStatus
from bot.channels.console.channel import ConsoleChannel
from bot.config import Settings
from bot.features.follow_ups.jobs import question_sender
from bot.i18n import translate

# 1 = accept; 1 = shopkeeper; 2 = Lessines; 1 = first core; 1 = first sector.
ONBOARDING = ("1", "1", "2", "1", "1")


@dataclass
class Terminal:
    """The console channel on real services, and what it printed."""

    services: Services
    console: ConsoleChannel
    out: io.StringIO
    files: Path

    def printed_since(self, mark: int) -> str:
        """Return what was printed after a position in the output."""
        return self.out.getvalue()[mark:]

    async def type(self, *lines: str) -> str:
        """Type lines one after the other; return what the bot printed meanwhile."""
        mark = len(self.out.getvalue())
        for line in lines:
            assert await self.console.act(line)
        return self.printed_since(mark)


@pytest.fixture
async def terminal(tmp_path: Path) -> AsyncIterator[Terminal]:
    settings = Settings(database_path=tmp_path / "demo.sqlite3", _env_file=None)  # type: ignore[call-arg]
    services = await open_services(settings)
    out = io.StringIO()
    files = tmp_path / "files"
    console = ConsoleChannel(
        services.conversation.apply,
        services.onboarding.user_language,
        out,
        files,
        user_ref="1001",
        language_hint="fr",
        echo=True,
    )
    try:
        async with serving(settings, services, [console]):
            yield Terminal(services, console, out, files)
    finally:
        await services.close()


async def test_onboarding_and_a_concern_from_the_console_are_stored(
    terminal: Terminal, tmp_path: Path
) -> None:
    printed = await terminal.type("/start", *ONBOARDING)
    assert translate("fr", "role.question") in printed
    assert "🎉" in printed
    printed = await terminal.type("Le loyer a encore augmenté, le propriétaire ne répond pas")
    assert "[1]" in printed
    printed = await terminal.type("1")
    assert "🤝" in printed  # the echo
    with sqlite3.connect(tmp_path / "demo.sqlite3") as conn:
        user = conn.execute("SELECT channel, external_id, step FROM users").fetchone()
        statuses = [r[0] for r in conn.execute("SELECT status FROM concerns")]
        unsent = conn.execute("SELECT COUNT(*) FROM reply_outbox").fetchone()[0]
    assert user == ("console", "1001", "done")
    assert statuses == ["confirmed"]
    assert unsent == 0


async def test_bad_input_gets_a_polite_answer_and_changes_nothing(terminal: Terminal) -> None:
    await terminal.type("/start")
    printed = await terminal.type("42")
    assert translate("fr", "console.no_button", number=42, count=5) in printed  # 5 buttons
    printed = await terminal.type(":voice")
    assert "Traceback" not in printed
    assert printed.strip().splitlines()[-1].startswith("🤖")
    assert await terminal.services.users.get("console", "1001") is None  # nothing consented


async def test_a_follow_up_sent_by_its_job_reaches_the_console_and_is_answered(
    terminal: Terminal,
) -> None:
    await terminal.type(
        "/start", *ONBOARDING, "Les travaux devant le magasin font fuir les clients"
    )
    await terminal.type("1")
    services = terminal.services
    # Three weeks and a day later, at ten in the morning local time.
    later = (datetime.now(services.settings.tz) + timedelta(days=22)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    mark = len(terminal.out.getvalue())
    ask = question_sender(services.follow_up_flow, services.outbound)
    assert await services.follow_ups.send_due(ask, now=later.astimezone(UTC)) == 1
    question = terminal.printed_since(mark)
    assert question.startswith("🤖") and "[1]" in question
    printed = await terminal.type("1")
    assert printed.count("🤖") >= 1 and "Traceback" not in printed
    row = await services.db.fetch_one("SELECT answered_at FROM follow_ups")
    assert row is not None and row[0] is not None


async def test_pictures_and_files_are_written_where_the_person_can_open_them(
    terminal: Terminal,
) -> None:
    outcome = await terminal.services.outbound.send(
        Recipient("console", "1001"),
        [Reply("chart", image=b"\x89PNG fake"), Reply("csv", document=("../x y.csv", b"a;b\n"))],
    )
    assert outcome.status is SendStatus.SENT
    assert (terminal.files / "image-1.png").read_bytes() == b"\x89PNG fake"
    assert (terminal.files / "x_y.csv").read_bytes() == b"a;b\n"
    assert sorted(p.name for p in terminal.files.iterdir()) == ["image-1.png", "x_y.csv"]
