"""Turn channel-neutral replies into WhatsApp Cloud API messages, within WhatsApp's limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.channels.base import Button, Reply

CHANNEL = "whatsapp"

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_CAPTION = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20
# A row that opens the next page of a long list; its id names the page.
PAGE_PREFIX = "~page:"
_MARKERS = "*_~`"
# A zero-width joiner: invisible, and WhatsApp no longer reads the marker beside it as one.
_JOINER = "\u200d"


@dataclass(frozen=True)
class ListWords:
    """The words of a list message in the person's language."""

    open: str  # the button that opens the list ("Choose")
    more: str  # the row that shows the next choices ("More choices")
    more_hint: str  # its description


_URL = re.compile(r"(https?://[^\s<>\"]+)")


def neutralise(text: str) -> str:
    """Keep WhatsApp from reading *, _, ~ and ` in a text as formatting (it has no escape).

    Links are left whole: WhatsApp does not format inside them, and a joiner would break them.
    """
    if not any(marker in text for marker in _MARKERS):
        return text
    parts = _URL.split(text)
    # split() with a group keeps the links at odd places.
    return "".join(
        part if index % 2 else "".join(f"{c}{_JOINER}" if c in _MARKERS else c for c in part)
        for index, part in enumerate(parts)
    )


def fit(text: str, limit: int) -> str:
    """Cut a text that is over a limit, ending it with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def buttons_of(reply: Reply) -> list[Button]:
    """Return the reply's buttons in reading order (WhatsApp has no rows)."""
    return [button for row in reply.buttons for button in row]


def as_reply_buttons(buttons: list[Button]) -> bool:
    """Return whether the choices fit WhatsApp's reply buttons (else they become a list)."""
    return (
        0 < len(buttons) <= MAX_BUTTONS
        and all(len(b.label) <= MAX_BUTTON_TITLE for b in buttons)
        and all(len(b.data) <= MAX_BUTTON_ID for b in buttons)
    )


def text_message(text: str) -> dict[str, Any]:
    """Return a plain text message."""
    return {
        "type": "text",
        "text": {"body": fit(neutralise(text), MAX_TEXT), "preview_url": False},
    }


def button_message(body: str, buttons: list[Button]) -> dict[str, Any]:
    """Return an interactive message with up to three reply buttons."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": fit(neutralise(body), MAX_BODY)},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.data, "title": b.label}} for b in buttons
                ]
            },
        },
    }


def list_pages(buttons: list[Button]) -> list[list[Button]]:
    """Split choices into pages of a list message: ten rows, or nine and a "more" row."""
    if len(buttons) <= MAX_ROWS:
        return [buttons]
    per_page = MAX_ROWS - 1
    return [buttons[i : i + per_page] for i in range(0, len(buttons), per_page)]


def list_message(
    body: str, page: list[Button], words: ListWords, next_page: str | None
) -> dict[str, Any]:
    """Return an interactive list of choices; next_page is the id of a "more" row, if any."""
    rows = [_row(b) for b in page]
    if next_page is not None:
        rows.append(
            {
                "id": next_page,
                "title": fit(words.more, MAX_ROW_TITLE),
                "description": fit(words.more_hint, MAX_ROW_DESCRIPTION),
            }
        )
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": fit(neutralise(body), MAX_BODY)},
            "action": {
                "button": fit(words.open, MAX_LIST_BUTTON),
                "sections": [{"rows": rows}],
            },
        },
    }


def _row(button: Button) -> dict[str, Any]:
    label = button.label
    row: dict[str, Any] = {"id": button.data[:MAX_ROW_ID], "title": label}
    if len(label) > MAX_ROW_TITLE:
        # A place or a sector with a long name: the title shows its start, the whole name
        # follows as the row's description.
        row["title"] = fit(label, MAX_ROW_TITLE)
        row["description"] = fit(label, MAX_ROW_DESCRIPTION)
    return row


def media_message(kind: str, media_id: str, caption: str, filename: str | None) -> dict[str, Any]:
    """Return an image or document message of an uploaded file."""
    media: dict[str, Any] = {"id": media_id}
    if caption:
        media["caption"] = fit(neutralise(caption), MAX_CAPTION)
    if filename is not None:
        media["filename"] = filename
    return {"type": kind, kind: media}


def interactive_body(text: str) -> tuple[str | None, str]:
    """Split a long text from its buttons: (a text message to send first, the body to keep)."""
    if len(text) <= MAX_BODY:
        return None, text
    # The whole text goes first as a message of its own; the choices follow under a pointer.
    return text, "👇"
