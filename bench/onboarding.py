"""Benchmark: many users onboarding at once through the emulator and the real bot process.

The bot runs as `python bot.py run` in its own process, as in production; this process plays
Telegram (the emulator) and the users. Each latency is the time from a user's action to the
bot message that lets the user go on (the next question, or the final summary).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.emulator import BotApiEmulator, FakeUser
from bot.i18n import translate

ROOT = Path(__file__).resolve().parent.parent
MESSAGE_KINDS = frozenset({"send_message", "edit_text"})


async def _wait_text(emu: BotApiEmulator, chat_id: int, after: int, needle: str) -> float:
    """Wait for a bot message in the chat containing `needle`; return when it arrived."""
    last = after
    while True:
        event = await emu.wait_for_event(chat_id, after_seq=last, kinds=MESSAGE_KINDS, timeout=60)
        last = event.seq
        if needle in (event.text or ""):
            return event.at


def _button(emu: BotApiEmulator, chat_id: int, label: str) -> tuple[int, str]:
    for message in reversed(emu.messages(chat_id)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if label in button["text"]:
                    return int(message["message_id"]), str(button["callback_data"])
    raise RuntimeError(f"no button {label!r} for chat {chat_id}")


async def _onboard(emu: BotApiEmulator, user: FakeUser, latencies: list[float]) -> None:
    """Run one user through onboarding, recording each action's latency."""
    t = "fr"
    steps: list[tuple[str | None, str]] = [
        (None, translate(t, "privacy.notice")[:25]),
        (translate(t, "privacy.accept"), translate(t, "role.question")),
        (translate(t, "role.shopkeeper"), translate(t, "territory.question")),
        ("Lessines", translate(t, "core.question", page=1, pages=1)[:20]),
        ("Papignies", translate(t, "sector.question")),
        ("Fleuriste", translate(t, "onboarding.done", summary="")[:12]),
    ]
    for label, expected in steps:
        before = emu.last_seq
        started = time.monotonic()
        if label is None:
            emu.send_text(user, "/start")
        else:
            message_id, data = _button(emu, user.id, label)
            emu.press_button(user, message_id, data)
        arrived = await _wait_text(emu, user.id, before, expected)
        latencies.append(arrived - started)


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


async def run(users: int) -> dict[str, float]:
    """Start the emulator and the bot process, onboard `users` users at once, return figures."""
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiEmulator() as emu:
            env = {
                **os.environ,
                "ECHOPPE_TELEGRAM_TOKEN": "100:bench",
                "ECHOPPE_TELEGRAM_BASE_URL": emu.base_url,
                "ECHOPPE_DATABASE_PATH": str(Path(tmp) / "bench.sqlite3"),
                # Telegram's 30 msg/s cap would make this a benchmark of the cap itself.
                "ECHOPPE_TELEGRAM_MAX_RATE": "0",
                "ECHOPPE_LOG_LEVEL": "WARNING",
            }
            bot = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", env=env
            )
            try:
                await _wait_until_polling(emu, bot)
                latencies: list[float] = []
                people = [FakeUser(id=10_000 + i, language_code="fr") for i in range(users)]
                started = time.monotonic()
                await asyncio.gather(*(_onboard(emu, p, latencies) for p in people))
                elapsed = time.monotonic() - started
            finally:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), timeout=30)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "onboarding_users": users,
        "onboarding_actions": len(latencies),
        "onboarding_wall_s": round(elapsed, 2),
        "onboarding_per_s": round(users / elapsed, 1),
        "onboarding_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "onboarding_p99_ms": round(p99 * 1000, 1),
    }


def main() -> None:
    """Run the benchmark and print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    for name, value in asyncio.run(run(args.users)).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
