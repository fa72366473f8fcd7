"""Fixtures that build real objects: SQLite files, the emulator, the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app.conversation import Conversation
from bot.app.run import RunningBot, running_bot
from bot.channels.base import Answer, IncomingMessage, Recipient, Reply, SendOutcome
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WhatsAppEmulator
from bot.reference import Reference, default_data_dir
from bot.shared.outbound import Outbound
from bot.storage import Database
from tests.support import Phone
from tests.whatsapp_limits import violations

TEST_TOKEN = "123456:test-token"


@pytest.fixture(autouse=True)
def replies_fit_whatsapp(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Render every reply the test makes the bot send for WhatsApp; fail on what Meta refuses."""
    found: list[str] = []
    apply, send = Conversation.apply, Outbound.send

    async def checked_apply(self: Conversation, msg: IncomingMessage) -> Answer:
        answer = await apply(self, msg)
        found.extend(await violations(answer.outcome.replies))
        return answer

    async def checked_send(
        self: Outbound, to: Recipient, replies: Sequence[Reply], *, unprompted: bool = True
    ) -> SendOutcome:
        found.extend(await violations(replies))
        return await send(self, to, replies, unprompted=unprompted)

    monkeypatch.setattr(Conversation, "apply", checked_apply)
    monkeypatch.setattr(Outbound, "send", checked_send)
    yield
    assert not found, "replies WhatsApp would refuse:\n" + "\n".join(found)


@pytest.fixture(scope="session")
def reference() -> Reference:
    """Load the real territories and sectors once."""
    return Reference.load(default_data_dir())


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """Open a migrated SQLite file in a temporary folder."""
    database = Database(tmp_path / "test.sqlite3")
    await database.connect()
    yield database
    await database.close()


@pytest.fixture
async def wa() -> AsyncIterator[WhatsAppEmulator]:
    """Start the local WhatsApp Cloud API emulator on a free port."""
    async with WhatsAppEmulator() as emulator:
        yield emulator


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """Start the local Bot API emulator on a free port."""
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture(autouse=True)
def any_free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let every bot a test starts (in process or not) serve the web on a free port."""
    monkeypatch.setenv("ECHOPPE_HTTP_PORT", "0")


@pytest.fixture
def settings(tmp_path: Path, emulator: BotApiEmulator) -> Settings:
    """Return settings pointing at the emulator and a temporary database."""
    return Settings(
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        database_path=tmp_path / "bot.sqlite3",
        telegram_max_rate=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[RunningBot]:
    """Run the real Application against the emulator."""
    async with running_bot(settings, poll_timeout=1) as running:
        yield running


@pytest.fixture
def make_phone(emulator: BotApiEmulator) -> Callable[..., Phone]:
    """Return a factory of phones for users with a given id and language."""

    def factory(user_id: int = 5001, language_code: str | None = "fr") -> Phone:
        return Phone(emulator, FakeUser(id=user_id, first_name="T", language_code=language_code))

    return factory
