"""Dependencies point one way: services, storage and nlp never import telegram."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_FREE = ("bot/services", "bot/storage", "nlp", "bot/i18n", "bot/reference.py")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_channel_neutral_code_never_imports_telegram() -> None:
    checked = 0
    for entry in TELEGRAM_FREE:
        target = ROOT / entry
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in files:
            checked += 1
            bad = {
                m for m in imported_modules(path) if m == "telegram" or m.startswith("telegram.")
            }
            # The channel-neutral types in bot.channels.base are the one allowed exception.
            bad |= {
                m
                for m in imported_modules(path)
                if m.startswith(("handlers", "bot.channels")) and m != "bot.channels.base"
            }
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    assert checked >= 8


def test_only_telegram_channel_modules_import_telegram_inside_bot() -> None:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        uses = any(m.split(".")[0] == "telegram" for m in imported_modules(path))
        if uses:
            assert rel.startswith("bot/channels/telegram"), rel


def test_sql_lives_only_in_storage() -> None:
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    for package in ("bot", "handlers", "nlp"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(("bot/storage/", "bot/emulator/")):
                continue
            text = path.read_text(encoding="utf-8")
            assert not any(k in text for k in keywords), rel
