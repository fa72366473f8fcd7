"""Run the real bot (`bot.py run`) as a separate process against an emulator, for benchmarks."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from bot.emulator import BotApiEmulator, FakeUser

ROOT = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def bot_process(
    emu: BotApiEmulator, database: Path, extra_env: Mapping[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start the bot on the emulator, wait until it answers, stop it (SIGTERM) afterwards."""
    env = {
        **os.environ,
        "ECHOPPE_TELEGRAM_TOKEN": "100:bench",
        "ECHOPPE_TELEGRAM_BASE_URL": emu.base_url,
        "ECHOPPE_DATABASE_PATH": str(database),
        # Telegram's 30 msg/s cap would make this a benchmark of the cap itself.
        "ECHOPPE_TELEGRAM_MAX_RATE": "0",
        "ECHOPPE_LOG_LEVEL": "WARNING",
        # Any free port: several bots may run at once, and 8080 may be taken.
        "ECHOPPE_HTTP_PORT": "0",
        **(extra_env or {}),
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        # e.g. BENCH_PY_ARGS="-m cProfile -o /tmp/bot.prof" to profile the bot.
        *os.environ.get("BENCH_PY_ARGS", "").split(),
        str(ROOT / "bot.py"),
        "run",
        env=env,
    )
    try:
        await _wait_until_polling(emu, bot)
        yield bot
    finally:
        if bot.returncode is None:
            bot.terminate()
        await asyncio.wait_for(bot.wait(), timeout=30)


async def _wait_until_polling(emu: BotApiEmulator, bot: asyncio.subprocess.Process) -> None:
    probe = FakeUser(id=1, first_name="Probe", language_code="fr")
    before = emu.last_seq
    emu.send_text(probe, "/help")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if bot.returncode is not None:
            raise RuntimeError(f"bot exited with {bot.returncode}")
        try:
            await emu.wait_for_event(probe.id, after_seq=before, timeout=1)
            return
        except TimeoutError:
            continue
    raise RuntimeError("bot did not start polling")


def cpu_s(pid: int) -> float | None:
    """Return the CPU seconds a running process has used so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat; the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
