"""wa.me links that open a chat with the bot, the shopping area pre-selected (posters, QR)."""

from __future__ import annotations

import re
from urllib.parse import quote

# The tag a pre-filled first message carries: "(core_bru_flagey)", as Telegram's deep link.
CORE_TAG = re.compile(r"\((core_[a-z0-9_]{1,40})\)")


def chat_link(number: str, greeting: str, core_id: str | None = None) -> str:
    """Return https://wa.me/<number>?text=… with a greeting, and the core's tag if any."""
    text = f"{greeting} ({'core_' + core_id})" if core_id else greeting
    return f"https://wa.me/{number}?text={quote(text, safe='')}"


def core_tag(text: str) -> str | None:
    """Return the deep-link argument ("core_…") a pre-filled message carries, or None."""
    found = CORE_TAG.search(text)
    return found[1] if found else None
