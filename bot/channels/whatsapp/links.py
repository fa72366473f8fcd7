"""wa.me links that open a chat with the bot, the shopping area pre-selected (posters, QR)."""

from __future__ import annotations

import re
from urllib.parse import quote

# The tag a pre-filled first message carries, as Telegram's deep link does:
# "(core_bru_flagey)", or with where the link was found, "(core_bru_flagey-poster)"; a
# school's link names the school: "(school_<code>)".
CORE_TAG = re.compile(
    r"\((core_[a-z0-9_]{1,40}(?:-[a-z]{1,16})?|school_[a-z0-9][a-z0-9-]{1,19})\)"
)


def chat_link(number: str, greeting: str, start_arg: str | None = None) -> str:
    """Return https://wa.me/<number>?text=… with a greeting, and the start tag if any.

    `start_arg` is what Telegram's deep link would carry ("core_les_ogy-poster"); a bare core
    id is taken as "core_<id>".
    """
    if start_arg and not start_arg.startswith(("core_", "school_")):
        start_arg = f"core_{start_arg}"
    text = f"{greeting} ({start_arg})" if start_arg else greeting
    return f"https://wa.me/{number}?text={quote(text, safe='')}"


def core_tag(text: str) -> str | None:
    """Return the deep-link argument ("core_…") a pre-filled message carries, or None."""
    found = CORE_TAG.search(text)
    return found[1] if found else None
