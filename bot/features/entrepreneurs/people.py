"""Name a person as admins do: telegram:<id> or whatsapp:<number> (a bare number is Telegram's)."""

from __future__ import annotations

import re

_REF = re.compile(r"^(?:(telegram|whatsapp):)?\+?([0-9][0-9 ]{3,30})$")


def parse_person(text: str) -> tuple[str, str] | None:
    """Return (channel, id) from "telegram:123", "whatsapp:+32 470 …" or "123"; else None."""
    match = _REF.match(text.strip().lower())
    if match is None:
        return None
    return match[1] or "telegram", match[2].replace(" ", "")
