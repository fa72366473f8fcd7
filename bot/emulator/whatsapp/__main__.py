"""Run a standalone WhatsApp Cloud API emulator: python -m bot.emulator.whatsapp --port 8082."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.emulator.whatsapp.server import WhatsAppEmulator


def _parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--webhook", default=None, help="URL the webhooks are POSTed to")
    parser.add_argument("--token", default="wa-test-token")
    parser.add_argument("--app-secret", default="wa-app-secret")
    parser.add_argument("--verify-token", default="wa-verify")
    parser.add_argument("--phone-number-id", default="1000000001")
    parser.add_argument("--business-account-id", default="2000000002")
    parser.add_argument("--rate-limit", type=float, default=None, help="sends per second")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args()


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT."""
    emulator = WhatsAppEmulator(
        phone_number_id=args.phone_number_id,
        business_account_id=args.business_account_id,
        token=args.token,
        app_secret=args.app_secret,
        verify_token=args.verify_token,
    )
    emulator.webhook_url = args.webhook
    emulator.rate_limit(args.rate_limit)
    await emulator.start(args.host, args.port)
    print(f"base_url={emulator.base_url}", flush=True)
    print(f"webhook_url={emulator.webhook_url}", flush=True)
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
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
