"""A school's way in: a start argument naming the school (never a pupil)."""

from __future__ import annotations

import re

# The "My project" button (in /profile and elsewhere); the candidate flow answers it.
PROJECT_BUTTON_DATA = "en:view"
# The "ask for coaching" button (the project's view, an information session's feedback).
COACH_BUTTON_DATA = "co:start"
_SCHOOL_ARG = re.compile(r"^school_([a-z0-9][a-z0-9-]{1,19})$")


def school_start_arg(code: str) -> str:
    """Return the argument a school's link carries into /start ("school_<code>")."""
    return f"school_{code}"


def parse_school_arg(arg: str) -> str | None:
    """Return the school code a start argument names, or None."""
    match = _SCHOOL_ARG.match(arg.strip())
    return match[1] if match else None
