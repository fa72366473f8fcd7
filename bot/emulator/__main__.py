"""Run a standalone Bot API emulator: python -m bot.emulator --port 8081."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.emulator.models import EmulatorLimits
from bot.emulator.server import BotApiEmulator


def _parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--global-per-s", type=float, default=None)
    parser.add_argument("--per-chat-per-s", type=float, default=None)
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args()


async def serve(host: str, port: int, limits: EmulatorLimits | None = None) -> None:
    """Serve until SIGTERM or SIGINT."""
    emulator = BotApiEmulator(limits=limits)
    await emulator.start(host, port)
    print(f"base_url={emulator.base_url}", flush=True)
    print(f"control=http://{host}:{emulator.port}/_emulator/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main() -> None:
    """Parse arguments and run the emulator."""
    args = _parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        limits = EmulatorLimits(global_per_s=args.global_per_s, per_chat_per_s=args.per_chat_per_s)
        asyncio.run(serve(args.host, args.port, limits))


if __name__ == "__main__":
    main()
