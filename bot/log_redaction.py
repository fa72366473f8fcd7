"""Keep secrets (the bot token, the webhook secret) out of every log record, whoever logs it."""

from __future__ import annotations

import logging
import traceback
from typing import Any

_secrets: set[str] = set()
_installed = False
MASK = "[redacted]"


def redact_in_logs(*secrets: str | None) -> None:
    """Replace these strings in every log record from now on (libraries' records included)."""
    global _installed
    _secrets.update(s for s in secrets if s and len(s) >= 6)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            _redact(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _redact(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return
    cleaned = _clean(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and record.exc_info[0] is not None:
        # Exceptions often carry the request URL, which holds the token.
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = _clean(text)


def _clean(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, MASK)
    return text
