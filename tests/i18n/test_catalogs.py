"""Every message id used in the code has a translation in fr, nl and en."""

from __future__ import annotations

import re
import string
from pathlib import Path

from bot.channels.telegram.app import MENU_COMMANDS
from bot.i18n import LANGUAGES, message_ids, normalize_language, translate
from bot.storage import Role

ROOT = Path(__file__).resolve().parents[2]
_LITERAL_KEY = re.compile(r"""\b(?:t|translate\([^,]+,)\(?\s*["']([a-z_]+\.[a-z_.]+)["']""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for package in ("bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            keys.update(_LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    keys.update(f"role.{role.value}" for role in Role)
    keys.update(f"command.{name}" for name in MENU_COMMANDS)
    return keys


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_many_keys() -> None:
    # Guards the regex itself: if it stopped matching, the next test would pass vacuously.
    assert len(used_keys()) > 40


def test_every_used_key_is_translated_everywhere() -> None:
    keys = used_keys()
    for lang in LANGUAGES:
        catalog = message_ids(lang)
        missing = sorted(k for k in keys if not catalog.get(k))
        assert not missing, f"{lang} lacks {missing}"


def test_catalogs_have_the_same_ids_and_placeholders() -> None:
    catalogs = {lang: message_ids(lang) for lang in LANGUAGES}
    reference = catalogs["fr"]
    for lang, catalog in catalogs.items():
        assert set(catalog) == set(reference), lang
        for key, text in catalog.items():
            assert placeholders(text) == placeholders(reference[key]), (lang, key)


def test_translate_fills_placeholders_and_languages_differ() -> None:
    texts = {lang: translate(lang, "core.chosen", core="Flagey") for lang in LANGUAGES}
    assert all("Flagey" in t for t in texts.values())
    assert len(set(texts.values())) == 3


def test_language_codes_are_normalised() -> None:
    assert normalize_language("nl-BE") == "nl"
    assert normalize_language("FR") == "fr"
    assert normalize_language("de") is None
    assert normalize_language(None) is None
