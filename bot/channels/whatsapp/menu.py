"""WhatsApp has no command menu: a list message offers the main commands instead."""

from __future__ import annotations

from typing import Any

from bot.channels.base import Button
from bot.channels.whatsapp.render import ListWords, list_message
from bot.i18n import translate

# A menu row's id: the command it stands for.
COMMAND_PREFIX = "~cmd:"
# At most ten rows: a WhatsApp list holds no more (the language is in /profile; the pop-up,
# cells and the food chain are in /opportunities, /profile and /help).
MENU = (
    "barometer",
    "history",
    "profile",
    "project",
    "coach",
    "missing",
    "opportunities",
    "help",
    "privacy",
    "mydata",
)


def menu_message(lang: str) -> dict[str, Any]:
    """Return the menu as a list message in the person's language."""
    rows = [Button(translate(lang, f"menu.{name}"), f"{COMMAND_PREFIX}{name}") for name in MENU]
    words = ListWords(
        open=translate(lang, "menu.open"),
        more=translate(lang, "whatsapp.list_more"),
        more_hint=translate(lang, "whatsapp.list_more_hint"),
    )
    return list_message(translate(lang, "menu.body"), rows, words, None)
