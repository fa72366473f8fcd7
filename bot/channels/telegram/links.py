"""t.me deep links that open the bot with a start argument (posters, QR, invitations)."""

from __future__ import annotations

import re

# Telegram's rule for a start parameter: up to 64 of A-Z, a-z, 0-9, _ and -.
_START_ARG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def start_link(username: str, start_arg: str) -> str:
    """Return https://t.me/<bot>?start=<arg>."""
    if not _START_ARG.match(start_arg):
        raise ValueError(f"not a Telegram start argument: {start_arg!r}")
    return f"https://t.me/{username.lstrip('@')}?start={start_arg}"
