"""Dependencies point one way, down: app -> features -> shared, storage, channel types, nlp."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What sits below the features: none of it may import a feature, a channel adapter or the app.
BELOW = (
    "bot/storage/",
    "bot/shared/",
    "bot/i18n/",
    "bot/channels/base.py",
    "bot/reference.py",
    "bot/resources.py",
    "bot/config.py",
    "bot/log_redaction.py",
    "nlp/",
)
SQL_KEYWORDS = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")


def imported_modules(source: str) -> set[str]:
    """Return every module a source file imports (absolute imports only; the project uses no
    relative ones)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            # `from bot.features.x import flow` imports the module bot.features.x.flow.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _feature_of(module_or_path: str) -> str | None:
    parts = module_or_path.replace("/", ".").removesuffix(".py").split(".")
    if parts[:2] == ["bot", "features"] and len(parts) > 2:
        return parts[2]
    return None


def _is_flow(module: str) -> bool:
    last = module.split(".")[-1]
    return last == "flow" or last.endswith("_flow")


def _is_adapter(module: str) -> bool:
    return module.startswith("bot.channels.") and not (
        module == "bot.channels.base" or module.startswith("bot.channels.base.")
    )


def _is_telegram(module: str) -> bool:
    return module == "telegram" or module.startswith("telegram.")


def violations(rel: str, source: str) -> list[str]:
    """Return the layering rules a file (path relative to the repository) breaks."""
    found: list[str] = []
    modules = imported_modules(source)
    feature = _feature_of(rel)
    if rel.startswith(BELOW):
        for m in sorted(modules):
            if m.startswith(("bot.features", "bot.app", "handlers")) or _is_adapter(m):
                found.append(f"{rel}: below the features, imports {m}")
            if _is_telegram(m):
                found.append(f"{rel}: channel-neutral, imports {m}")
    if feature is not None:
        for m in sorted(modules):
            if _is_telegram(m) or _is_adapter(m) or m.startswith(("handlers", "bot.app")):
                found.append(f"{rel}: a feature, imports {m}")
            other = _feature_of(m)
            if other is not None and other != feature and _is_flow(m):
                found.append(f"{rel}: imports another feature's flow {m}")
    if rel.startswith("bot/channels/") and rel != "bot/channels/base.py":
        for m in sorted(modules):
            if m.startswith(("bot.features", "bot.app")):
                found.append(f"{rel}: a channel adapter, imports {m}")
    if rel.startswith("bot/") and not rel.startswith("bot/channels/telegram/"):
        found += [
            f"{rel}: only the Telegram channel imports {m}" for m in modules if _is_telegram(m)
        ]
    stem = Path(rel).stem
    is_store = rel.startswith("bot/storage/") or (
        feature is not None and (stem == "store" or stem.endswith("_store"))
    )
    checked = rel.startswith(("bot/", "handlers/", "nlp/")) and not rel.startswith("bot/emulator/")
    if checked and not is_store and any(k in source for k in SQL_KEYWORDS):
        found.append(f"{rel}: SQL outside a store module")
    return found


def project_files() -> list[Path]:
    """Return the Python files of the packages the rules cover."""
    return sorted(p for d in ("bot", "handlers", "nlp") for p in (ROOT / d).rglob("*.py"))


def test_the_project_keeps_its_layers() -> None:
    files = project_files()
    assert len(files) > 80
    broken = [
        v
        for path in files
        for v in violations(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))
    ]
    assert not broken, "\n".join(broken)


def test_every_feature_package_exists_with_its_store_where_it_has_tables() -> None:
    features = {p.name for p in (ROOT / "bot/features").iterdir() if (p / "__init__.py").exists()}
    assert {
        "onboarding",
        "concerns",
        "barometer",
        "follow_ups",
        "surveys",
        "partners",
        "digests",
        "broadcasts",
        "events",
        "privacy",
    } <= features
    for name in ("concerns", "follow_ups", "surveys", "partners", "digests", "broadcasts"):
        assert (ROOT / "bot/features" / name / "store.py").exists(), name


@pytest.mark.parametrize(
    ("rel", "source", "rule"),
    [
        ("bot/features/concerns/flow.py", "import telegram\n", "a feature, imports telegram"),
        (
            "bot/features/barometer/flow.py",
            "from bot.channels.telegram.render import to_markup\n",
            "a feature, imports bot.channels.telegram.render",
        ),
        (
            "bot/features/barometer/flow.py",
            "from bot.features.concerns.flow import ConcernFlow\n",
            "another feature's flow",
        ),
        (
            "bot/features/digests/flow.py",
            "from bot.features.surveys import admin_flow\n",
            "another feature's flow",
        ),
        (
            "bot/storage/users.py",
            "from bot.features.concerns.store import Concern\n",
            "below the features",
        ),
        ("bot/shared/text.py", "from bot.app.container import Services\n", "below the features"),
        (
            "bot/channels/telegram/app.py",
            "from bot.features.follow_ups.service import FollowUpService\n",
            "a channel adapter",
        ),
        ("bot/features/concerns/service.py", 'Q = "SELECT 1 FROM users"\n', "SQL outside"),
        ("bot/reference.py", "from telegram import Bot\n", "channel-neutral"),
    ],
)
def test_a_forbidden_import_in_a_synthetic_module_is_caught(
    rel: str, source: str, rule: str
) -> None:
    assert any(rule in v for v in violations(rel, source)), violations(rel, source)


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        # A feature may use another feature's use cases, store and renderers, not its flow.
        ("bot/features/barometer/flow.py", "from bot.features.concerns.echo import Echo\n"),
        ("bot/features/barometer/service.py", "from bot.features.concerns.store import Scope\n"),
        ("bot/features/concerns/store.py", 'Q = "SELECT 1 FROM concerns"\n'),
        ("bot/features/concerns/flow.py", "from bot.channels.base import Reply\n"),
    ],
)
def test_allowed_imports_are_not_flagged(rel: str, source: str) -> None:
    assert violations(rel, source) == []
