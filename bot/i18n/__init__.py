"""Translate user-facing text through gettext catalogs (fr, nl, en) kept as .po files."""

from __future__ import annotations

import gettext
import io
import logging
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("fr", "nl", "en")
DEFAULT_LANGUAGE = "fr"
DOMAIN = "messages"


def normalize_language(code: str | None) -> str | None:
    """Map a client language code (e.g. 'nl-BE') onto a supported language, or None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def catalog_path(lang: str) -> Any:
    """Return the resource path of a language's .po file."""
    return resources.files("bot.i18n").joinpath("locales", lang, "LC_MESSAGES", f"{DOMAIN}.po")


@cache
def _translations(lang: str) -> gettext.GNUTranslations:
    # Compiling the .po in memory keeps one source of truth and no stale .mo files.
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def message_ids(lang: str) -> dict[str, str]:
    """Return every message id of a catalog with its translation (empty when missing)."""
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    return {str(m.id): str(m.string or "") for m in catalog if m.id and not m.fuzzy}


def translate(lang: str, key: str, /, **params: Any) -> str:
    """Return the text for a message id in a language, with {placeholders} filled in."""
    language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = _translations(language).gettext(key)
    if text == key:
        # A missing translation must never show a raw key to a user.
        logger.error("missing translation %r for %s", key, language)
        if language != DEFAULT_LANGUAGE:
            text = _translations(DEFAULT_LANGUAGE).gettext(key)
    return text.format(**params) if params else text


class Translator:
    """Bind translate() to one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params: Any) -> str:
        """Translate a message id into the bound language."""
        return translate(self.lang, key, **params)
