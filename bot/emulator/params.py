"""Read Bot API call parameters the way Telegram does and validate reply markups."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.models import bad_request

_INT_RE = re.compile(r"[+-]?\d+")
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_DATA_BYTES = 64


@dataclass(frozen=True)
class UploadedFile:
    """Hold one file part of a multipart/form-data request."""

    filename: str
    content_type: str
    body: bytes


@dataclass
class Params:
    """Give typed access to the parameters of one Bot API call."""

    values: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    received_at: float = 0.0

    def has(self, name: str) -> bool:
        """Return True if the parameter is present and not null."""
        return self.values.get(name) is not None

    def string(self, name: str, *, required: bool = False) -> str | None:
        """Return a parameter as a string (numbers are converted)."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float, str)):
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    def integer(
        self, name: str, *, required: bool = False, missing: str | None = None
    ) -> int | None:
        """Return a parameter as an integer; reject values that are not integers."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(missing or f'parameter "{name}" is required')
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value.strip())
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        """Return a parameter as a float, or None if absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def boolean(self, name: str, default: bool = False) -> bool:
        """Return a parameter as a boolean ("true"/"false"/"1"/"0" accepted)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def json_value(self, name: str, description: str | None = None) -> Any:
        """Return a parameter decoded from JSON (already-decoded values are returned as is)."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(description or f"can't parse {name} JSON object") from None


def _check_inline_button(button: Any) -> None:
    """Validate one InlineKeyboardButton like Telegram."""
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields "
            f"must be used, found {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise bad_request("BUTTON_DATA_INVALID")
        size = len(data.encode("utf-8"))
        if size < 1 or size > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.lower().startswith(_URL_SCHEMES):
            raise bad_request("BUTTON_URL_INVALID")


def _rows(markup: dict[str, Any], key: str, kind: str) -> list[list[Any]]:
    """Return markup[key] checked to be an Array of Arrays."""
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" of the {kind} must be an Array of Arrays')
    return rows


def validate_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate a reply_markup parameter; return the parsed markup or None if absent."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    else:
        markup = raw
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
        count = 0
        for row in rows:
            for button in row:
                _check_inline_button(button)
                count += 1
        if count > MAX_INLINE_BUTTONS:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        return markup
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard", "ReplyKeyboardMarkup"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")
