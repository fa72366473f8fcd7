"""Run `python bot.py run` as its own process, as an operator does, and look into its database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
WA_ENV = {
    "ECHOPPE_WHATSAPP_TOKEN": "wa-test-token",
    "ECHOPPE_WHATSAPP_APP_SECRET": "wa-app-secret",
    "ECHOPPE_WHATSAPP_VERIFY_TOKEN": "wa-verify",
    "ECHOPPE_WHATSAPP_PHONE_NUMBER_ID": "1000000001",
    "ECHOPPE_WHATSAPP_BUSINESS_ACCOUNT_ID": "2000000002",
}


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """Return this environment without any ECHOPPE_ setting of the developer's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOPPE_")}
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """`python bot.py run` with the given settings; start, stop, crash and restart it."""

    directory: Path
    settings: dict[str, str]
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def database(self) -> Path:
        """Return the path of the bot's SQLite file."""
        return self.directory / "bot.sqlite3"

    @property
    def url(self) -> str:
        """Return the base URL of the bot's web server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Return the file the bot's log of its latest start goes to."""
        return self.directory / f"bot-{self.starts}.log"

    def env(self) -> dict[str, str]:
        """Return the environment the bot and its command-line tools run with."""
        return clean_env(
            ECHOPPE_DATABASE_PATH=str(self.database),
            ECHOPPE_HTTP_PORT=str(self.port),
            **self.settings,
        )

    async def start(self) -> None:
        """Start the bot and wait until /healthz answers 200."""
        self.starts += 1
        # The log goes to a file: a pipe nobody reads would fill up and stall the bot.
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "bot.py"),
                "run",
                env=self.env(),
                cwd=self.directory,
                stdout=log,
                stderr=log,
            )
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                if self.process.returncode is not None:
                    break
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        await self.kill()
        raise AssertionError(f"the bot did not start:\n{self.log.read_text()}")

    async def stop(self) -> None:
        """Stop the bot with SIGTERM, as a service manager does; it must end cleanly."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=60)
        log = self.log.read_text()
        assert process.returncode == 0, log
        assert "Traceback" not in log, log

    async def kill(self) -> None:
        """Kill the bot without warning, as a crash or a power cut would."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            await process.wait()

    async def health(self) -> dict[str, Any]:
        """Return what /healthz says."""
        async with httpx.AsyncClient() as client:
            answer: dict[str, Any] = (await client.get(f"{self.url}/healthz")).json()
            return answer

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the bot's database file directly, as an auditor would."""
        with sqlite3.connect(self.database, timeout=10) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    def write(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """Change the database file while the bot is stopped (time passing, for a test)."""
        assert self.process is None, "stop the bot before changing its database"
        with sqlite3.connect(self.database) as conn:
            conn.execute(sql, params)

    async def cli(self, *args: str) -> tuple[int, str, str]:
        """Run `python bot.py <args>` with the bot's settings; return code, stdout, stderr."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            *args,
            env=self.env(),
            cwd=self.directory,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    def bytes_on_disk(self) -> bytes:
        """Return the raw bytes of the database file and its write-ahead log."""
        raw = b""
        for path in (self.database, Path(f"{self.database}-wal")):
            if path.exists():
                raw += path.read_bytes()
        return raw
