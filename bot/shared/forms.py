"""Read the "key: value" forms admins type (or paste) to compose broadcasts and events."""

from __future__ import annotations

import re
from collections.abc import Collection

_LINE = re.compile(r"^\s*([A-Za-z_]+)\s*:\s?(.*)$")


class FormError(ValueError):
    """Raised when a form cannot be read; the message names the line."""


def parse_form(text: str, fields: Collection[str], multiline: Collection[str]) -> dict[str, str]:
    """Return the fields of a form; lines after a multi-line field's first belong to it.

    Keys are case-insensitive; an unknown key, or a field given twice, is an error.
    """
    values: dict[str, str] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.match(line)
        key = match[1].lower() if match else None
        if match and key is not None and key in fields:
            if key in values:
                raise FormError(f"line {number}: {key} is given twice")
            values[key] = match[2].strip()
            current = key
        elif current is not None and current in multiline:
            values[current] += "\n" + line.rstrip()
        elif line.strip():
            name = f"'{match[1]}'" if match else f"line {number}"
            raise FormError(f"{name}: not one of {', '.join(fields)}")
    return {k: v.strip() for k, v in values.items() if v.strip()}
