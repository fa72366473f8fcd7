"""Servers for the browser: the real bot and throwaway apps, each in a thread of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from starlette.applications import Starlette

from bot.app.run import RunningBot, running_bot
from bot.app.web import WebServer
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from tests.bot_process import free_port
from tests.support import Phone

T = TypeVar("T")
TEST_TOKEN = "123456:test-token"
# Long enough for a bot's first start (the classifier's model loads then, ~3 s), short enough
# that a hung server fails the test instead of the whole run.
TIMEOUT_S = 60.0


class LoopThread:
    """An event loop running in its own thread, so servers answer while a test blocks."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the loop; return its future at once."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = TIMEOUT_S) -> T:
        """Run a coroutine on the loop and return its result (or raise its exception)."""
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        """Cancel what is left on the loop, then stop the loop and its thread."""

        async def finish() -> None:
            # As asyncio.run() ends a loop: nothing left pending to warn about at exit.
            left = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            await self.loop.shutdown_asyncgens()
            await self.loop.shutdown_default_executor()

        if self._thread.is_alive():
            with contextlib.suppress(concurrent.futures.TimeoutError):
                self.call(finish(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT_S)
        self.loop.close()


@contextmanager
def serving(
    thread: LoopThread, resource: Callable[[], AbstractAsyncContextManager[T]]
) -> Iterator[T]:
    """Enter an async context manager in one task on the thread; exit it when the block ends."""
    # One task enters and exits it: cancel scopes and task groups inside stay in their task.
    entered: concurrent.futures.Future[T] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with resource() as value:
                entered.set_result(value)
                await stop.wait()
        except BaseException as error:
            if not entered.done():
                entered.set_exception(error)
            raise

    held = thread.submit(hold())
    try:
        value = entered.result(TIMEOUT_S)
    except BaseException:
        # Failed or hung while starting: that error is the one to see, not a second one.
        held.cancel()
        with contextlib.suppress(BaseException):
            held.result(TIMEOUT_S)
        raise
    try:
        yield value
    finally:
        thread.loop.call_soon_threadsafe(stop.set)
        # Raises what went wrong while serving or stopping, not only while starting.
        held.result(TIMEOUT_S)


@contextmanager
def serve_app(app: Starlette) -> Iterator[str]:
    """Serve an ASGI app on a free port of 127.0.0.1 in a thread; yield its base URL."""

    @asynccontextmanager
    async def server() -> AsyncIterator[WebServer]:
        web = WebServer(app, "127.0.0.1", 0)
        await web.start()
        try:
            yield web
        finally:
            await web.stop()

    thread = LoopThread()
    try:
        with serving(thread, server) as web:
            yield f"http://127.0.0.1:{web.port}"
    finally:
        thread.close()


@dataclass
class LiveBot:
    """The real bot with its web server and the Telegram emulator, on a loop in a thread."""

    thread: LoopThread
    bot: RunningBot
    emulator: BotApiEmulator
    settings: Settings

    @property
    def base_url(self) -> str:
        """Return the web server's base URL, http://127.0.0.1:<port>."""
        return f"http://127.0.0.1:{self.bot.web.port}"

    def url(self, path: str) -> str:
        """Return the address of a path on the bot's web server ('/dashboard', '/healthz')."""
        return self.base_url + path

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = TIMEOUT_S) -> T:
        """Run a coroutine on the bot's loop (services, database, emulator); return its result."""
        return self.thread.call(coro, timeout)

    def run(self, action: Callable[[RunningBot], Awaitable[T]]) -> T:
        """Run `action(bot)` on the bot's loop: `live_bot.run(lambda b: b.services.x.y())`."""

        async def wrapped() -> T:
            return await action(self.bot)

        return self.call(wrapped())

    def phone(self, user_id: int = 5001, language_code: str | None = "fr") -> Phone:
        """Return a Telegram user's phone; drive it with `live_bot.call(phone.send(...))`."""
        return Phone(
            self.emulator, FakeUser(id=user_id, first_name="T", language_code=language_code)
        )


@contextmanager
def live_bot_running(directory: Path, **overrides: Any) -> Iterator[LiveBot]:
    """Start the emulator and the real bot (database in `directory`); stop both at the end."""
    port = free_port()
    thread = LoopThread()

    @asynccontextmanager
    async def both() -> AsyncIterator[tuple[BotApiEmulator, RunningBot, Settings]]:
        async with BotApiEmulator() as emulator:
            fields: dict[str, Any] = {
                "telegram_token": SecretStr(TEST_TOKEN),
                "telegram_base_url": emulator.base_url,
                "database_path": directory / "bot.sqlite3",
                "telegram_max_rate": 0,
                # Chosen before the start so that links the bot prints point at itself.
                "http_host": "127.0.0.1",
                "http_port": port,
                "public_url": f"http://127.0.0.1:{port}",
            }
            settings = Settings(**{**fields, **overrides}, _env_file=None)
            async with running_bot(settings, poll_timeout=1) as bot:
                yield emulator, bot, settings

    try:
        with serving(thread, both) as (emulator, bot, settings):
            yield LiveBot(thread, bot, emulator, settings)
    finally:
        thread.close()
