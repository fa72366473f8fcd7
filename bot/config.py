"""Load and validate Échoppe's configuration from ECHOPPE_* variables and .env."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
WHATSAPP_API_URL = "https://graph.facebook.com/v23.0"
# Former names still read, and what replaced them.
DEPRECATED_NAMES = {
    "ECHOPPE_WEBHOOK_LISTEN": "ECHOPPE_HTTP_HOST",
    "ECHOPPE_WEBHOOK_PORT": "ECHOPPE_HTTP_PORT",
}


class ConfigError(Exception):
    """Raised when the configuration is invalid; the message is one readable line."""


class Settings(BaseSettings):
    """Hold every setting of the bot; loaded once at start-up and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="ECHOPPE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    telegram_token: SecretStr | None = None
    # The bot's @username, to print t.me invitation links from the command line.
    bot_username: str | None = None
    # The public base URL of the bot's web server (https://echoppe.example.be): the short
    # addresses printed on posters ({public_url}/go/<code>) and the dashboard's sign-in links
    # ({public_url}/dashboard/...); https makes the dashboard's cookie Secure.
    public_url: str | None = None
    telegram_base_url: str = TELEGRAM_BASE_URL
    database_path: Path = PROJECT_ROOT / "var" / "echoppe.sqlite3"
    # The classifier's model: the shipped one (data/model) unless set, e.g. to a model trained
    # with field corrections by `bot.py train --with-corrections` (var/model-corrections).
    model_dir: Path | None = None
    # Telegram user ids, and whatsapp:<number> for admins on WhatsApp.
    admin_ids: Annotated[tuple[int | str, ...], NoDecode] = ()
    timezone: str = "Europe/Brussels"
    anonymity_k: int = Field(default=5, ge=2, le=100)
    # Concerns one person may send in an hour; beyond it a polite reply and nothing stored.
    flood_per_hour: int = Field(default=20, ge=1, le=1000)
    # The follow-up question ("is it still there?") comes this long after a concern, and only
    # between these local hours, so nobody is woken by the bot.
    follow_up_after_days: int = Field(default=21, ge=1, le=365)
    # How long a coach has to accept a coaching request before the next coach is asked.
    coach_accept_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    follow_up_from_hour: int = Field(default=9, ge=0, le=23)
    follow_up_until_hour: int = Field(default=19, ge=1, le=24)
    # Survey waves: invitations are spread over this window; one reminder after this delay to
    # those who have not finished; the wave closes (results go back) after this many days.
    survey_send_window_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    survey_remind_after_hours: int = Field(default=48, ge=1, le=24 * 30)
    survey_open_days: int = Field(default=7, ge=1, le=90)
    # When partners get the weekly digest: a weekday and a local time (ECHOPPE_TIMEZONE).
    digest_time: str = "mon 08:00"
    # Territory-wide barometer counts are shared by everyone and recomputed at most this often.
    barometer_cache_seconds: int = Field(default=300, ge=0, le=86_400)
    data_dir: Path = PROJECT_ROOT / "data"
    # Telegram refuses more than ~30 messages/s per bot; 0 lifts the limiter (paid broadcasts).
    telegram_max_rate: float = Field(default=30.0, ge=0)
    # Bot API calls in flight at once (HTTP connections kept open to the Bot API server).
    telegram_connections: int = Field(default=16, ge=1, le=256)
    # Free text (messages, survey answers) is deleted after this many months; the difficulty
    # labels are kept without anything that ties them to a person.
    text_retention_months: int = Field(default=24, ge=1, le=240)
    # Broadcasts: messages per second (Telegram allows about 30 in all), messages handed over
    # at once (the most a crash can make send twice), tries before a message counts as failed.
    broadcast_rate: float = Field(default=25.0, gt=0, le=10_000)
    broadcast_batch: int = Field(default=10, ge=1, le=500)
    broadcast_max_attempts: int = Field(default=5, ge=1, le=50)
    # Partner digests by e-mail (SMTP): off while no host is set.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # "starttls" upgrades a plain connection (port 587), "tls" is TLS from the start (465),
    # "none" is for a relay on the same machine only.
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Échoppe <digest@echoppe.invalid>"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    webhook_secret: SecretStr | None = None
    # When set, GET /metrics answers only "Authorization: Bearer <this token>".
    metrics_token: SecretStr | None = None
    # The bot's one web server (Telegram's webhook, WhatsApp's, /healthz). The former names
    # ECHOPPE_WEBHOOK_LISTEN / ECHOPPE_WEBHOOK_PORT are still read (see deprecated_names()).
    http_host: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices("ECHOPPE_HTTP_HOST", "ECHOPPE_WEBHOOK_LISTEN", "http_host"),
    )
    http_port: int = Field(
        default=8080,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("ECHOPPE_HTTP_PORT", "ECHOPPE_WEBHOOK_PORT", "http_port"),
    )
    # WhatsApp Business Cloud API: on when the token is set.
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_business_account_id: str | None = None
    # The business number, international format without "+" (wa.me links and posters).
    whatsapp_number: str | None = None
    # Webhooks are accepted only signed with it (X-Hub-Signature-256).
    whatsapp_app_secret: SecretStr | None = None
    # What Meta sends back in the subscription handshake (hub.verify_token).
    whatsapp_verify_token: SecretStr | None = None
    # The Graph API base, version included.
    whatsapp_api_url: str = WHATSAPP_API_URL
    # Messages per second per business number (Meta's default throughput is 80).
    whatsapp_max_rate: float = Field(default=80.0, gt=0, le=1000)
    # Templates a new business number may send a day outside the service window (Meta's tier:
    # 250, then 2,000, 10,000, 100,000); a broadcast's preview says over how many days.
    whatsapp_daily_limit: int = Field(default=250, ge=1)
    # Price of one template message by category, in euros: set them from Meta's current rate
    # card for Belgium (these defaults are an order of magnitude, not a quote).
    whatsapp_price_marketing: float = Field(default=0.06, ge=0)
    whatsapp_price_utility: float = Field(default=0.03, ge=0)
    # The most template messages may cost in a calendar month, in euros (none: no cap); what
    # would go over it waits for the next month, and the admins are told.
    whatsapp_monthly_budget: float | None = Field(default=None, ge=0)
    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: Any) -> Any:
        if isinstance(value, int):
            return (value,)
        parts = (
            [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value
        )
        ids: list[int | str] = []
        for part in parts:
            text = str(part).strip()
            if text.lower().startswith("whatsapp:"):
                number = text.split(":", 1)[1].strip().removeprefix("+").replace(" ", "")
                if not number.isdigit():
                    raise ValueError(f"{text!r}: a WhatsApp admin is whatsapp:<number>, digits")
                ids.append(f"whatsapp:{number}")
                continue
            try:
                ids.append(int(text))
            except ValueError as exc:
                raise ValueError(
                    "must be comma-separated Telegram user ids or whatsapp:<number>"
                ) from exc
        return tuple(ids)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_base_url", "whatsapp_api_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and ":" not in value.get_secret_value():
            raise ValueError("does not look like a bot token (expected <digits>:<secret>)")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        from bot.shared.schedule import WeeklyTime

        WeeklyTime.parse(value)
        return value.strip().lower()

    @field_validator("smtp_from")
    @classmethod
    def _check_smtp_from(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address:
            raise ValueError("must be an e-mail address, optionally with a name: Name <a@b.c>")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", value):
            raise ValueError("must be an http(s) base URL such as https://echoppe.example.be")
        return value

    @field_validator("whatsapp_number")
    @classmethod
    def _check_whatsapp_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.strip().removeprefix("+").replace(" ", "")
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise ValueError("must be the number in international format, digits only")
        return digits

    @model_validator(mode="after")
    def _check_follow_up_hours(self) -> Settings:
        if self.follow_up_from_hour >= self.follow_up_until_hour:
            raise ValueError("follow_up_from_hour must be before follow_up_until_hour")
        return self

    @model_validator(mode="after")
    def _check_whatsapp(self) -> Settings:
        if self.whatsapp_token is None:
            return self
        missing = [
            name
            for name, value in (
                ("whatsapp_app_secret", self.whatsapp_app_secret),
                ("whatsapp_phone_number_id", self.whatsapp_phone_number_id),
                ("whatsapp_verify_token", self.whatsapp_verify_token),
            )
            if value is None
        ]
        if missing:
            # Never run with unsigned webhooks: anybody could speak for anybody.
            names = ", ".join(f"ECHOPPE_{m.upper()}" for m in missing)
            raise ValueError(f"WhatsApp is on (ECHOPPE_WHATSAPP_TOKEN) but {names} not set")
        return self

    @property
    def telegram_on(self) -> bool:
        """Return whether the Telegram channel is configured."""
        return self.telegram_token is not None

    @property
    def web_base_url(self) -> str:
        """Return the dashboard's base URL: ECHOPPE_PUBLIC_URL, else the local web server."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::", "") else self.http_host
        return f"http://{host}:{self.http_port}"

    @property
    def whatsapp_on(self) -> bool:
        """Return whether the WhatsApp channel is configured."""
        return self.whatsapp_token is not None

    @property
    def tz(self) -> ZoneInfo:
        """Return the configured time zone."""
        return ZoneInfo(self.timezone)

    def require_channel(self) -> None:
        """Raise a ConfigError in one line when no channel is configured."""
        if not self.telegram_on and not self.whatsapp_on:
            raise ConfigError(
                "no channel to run: set ECHOPPE_TELEGRAM_TOKEN (Telegram) or"
                " ECHOPPE_WHATSAPP_TOKEN (WhatsApp), or both"
            )

    def require_token(self) -> str:
        """Return the bot token or raise a ConfigError naming the variable."""
        if self.telegram_token is None:
            raise ConfigError("ECHOPPE_TELEGRAM_TOKEN is not set: the bot needs a token to run")
        return self.telegram_token.get_secret_value()


def deprecated_names(environ: Mapping[str, str], env_file: Path | None = None) -> list[str]:
    """Return one line per former setting name still in use, naming its replacement."""
    seen = set(environ)
    if env_file is not None and env_file.is_file():
        seen |= {k for k, v in dotenv_values(env_file).items() if v is not None}
    return [
        f"{old} is deprecated: use {new}"
        for old, new in DEPRECATED_NAMES.items()
        if old in seen and new not in seen
    ]


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]).upper() if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        if not field:
            raise ConfigError(f"invalid configuration: {message}") from None
        name = field if field.startswith("ECHOPPE_") else f"ECHOPPE_{field}"
        raise ConfigError(f"invalid configuration: {name}: {message}") from None
