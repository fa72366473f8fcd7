"""Tests of configuration loading and its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, deprecated_names, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.timezone == "Europe/Brussels" and settings.anonymity_k == 5
    assert settings.database_path.parent.name == "var"


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECHOPPE_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("ECHOPPE_ADMIN_IDS", "11, 22,33")
    monkeypatch.setenv("ECHOPPE_ANONYMITY_K", "7")
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "x.db"))
    settings = load_settings()
    assert settings.admin_ids == (11, 22, 33)
    assert settings.anonymity_k == 7
    assert settings.database_path == tmp_path / "x.db"
    assert settings.require_token() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("ECHOPPE_TIMEZONE=Europe/Paris\n", encoding="utf-8")
    assert load_settings().timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECHOPPE_ADMIN_IDS", "12,abc"),
        ("ECHOPPE_TIMEZONE", "Mars/Olympus"),
        ("ECHOPPE_ANONYMITY_K", "1"),
        ("ECHOPPE_TELEGRAM_BASE_URL", "ftp://example"),
        ("ECHOPPE_TELEGRAM_TOKEN", "nocolon"),
        ("ECHOPPE_SMTP_FROM", "Échoppe digests"),
        ("ECHOPPE_SMTP_SECURITY", "ssl3"),
        ("ECHOPPE_SMTP_PORT", "0"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_stops_with_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "ECHOPPE_TIMEZONE": "Nowhere/Land"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ECHOPPE_TIMEZONE" in lines[0]
    assert "Traceback" not in done.stderr


def test_run_without_token_says_so(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "ECHOPPE_DATABASE_PATH": str(tmp_path / "d.db")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ECHOPPE_TELEGRAM_TOKEN" in done.stderr and "ECHOPPE_WHATSAPP_TOKEN" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_former_web_server_names_still_work_and_are_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ECHOPPE_HTTP_PORT", raising=False)
    monkeypatch.setenv("ECHOPPE_WEBHOOK_PORT", "9443")
    monkeypatch.setenv("ECHOPPE_WEBHOOK_LISTEN", "0.0.0.0")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 9443)
    lines = deprecated_names(os.environ)
    assert lines == [
        "ECHOPPE_WEBHOOK_LISTEN is deprecated: use ECHOPPE_HTTP_HOST",
        "ECHOPPE_WEBHOOK_PORT is deprecated: use ECHOPPE_HTTP_PORT",
    ]
    env_file = tmp_path / ".env"
    env_file.write_text("ECHOPPE_WEBHOOK_PORT=9444\n", encoding="utf-8")
    assert deprecated_names({}, env_file) == [
        "ECHOPPE_WEBHOOK_PORT is deprecated: use ECHOPPE_HTTP_PORT"
    ]
    # The new name wins, and nothing is reported once it is set.
    monkeypatch.setenv("ECHOPPE_HTTP_PORT", "8081")
    assert Settings(_env_file=None).http_port == 8081  # type: ignore[call-arg]


def test_whatsapp_without_its_app_secret_refuses_to_start() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(whatsapp_token="EAAG-test", _env_file=None)
    assert "ECHOPPE_WHATSAPP_APP_SECRET" in str(refused.value)


def test_admins_are_telegram_ids_or_whatsapp_numbers() -> None:
    settings = load_settings(admin_ids="11, whatsapp:+32 470 00 00 01", _env_file=None)
    assert settings.admin_ids == (11, "whatsapp:32470000001")
    with pytest.raises(ConfigError) as refused:
        load_settings(admin_ids="whatsapp:abc", _env_file=None)
    assert "ECHOPPE_ADMIN_IDS" in str(refused.value)
