"""Every setting in one typed place, read from the environment and an optional `.env` file.

A bad value stops the program with one line that names the variable (see `bot.cli`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.languages import SUPPORTED_LOCALES
from bot.limits import WA_DAILY_TIER

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///scorebot.db"

# The async drivers we ship; a plain scheme is upgraded to the async driver for convenience.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalize_database_url(value: str) -> str:
    """Return the URL with an async driver, or raise ValueError saying what is wrong."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(
            "not a database URL; expected e.g. sqlite+aiosqlite:///scorebot.db "
            "or postgresql+asyncpg://user@host/dbname"
        ) from None
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database {url.drivername!r}; use SQLite (sqlite+aiosqlite) "
            "or PostgreSQL (postgresql+asyncpg)"
        )
    if driver.startswith("postgresql") and not url.database:
        raise ValueError("the PostgreSQL URL names no database")
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _local_relay_key(database_url: str) -> bytes:
    """The offline console's relay key: 32 random bytes in a file beside its SQLite database
    (readable by the owner only), made on first use."""
    url = make_url(database_url)
    database = url.database if url.drivername.startswith("sqlite") else None
    folder = Path(database).parent if database and database != ":memory:" else Path()
    path = folder / "scorebot.relay-key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(32)
    with os.fdopen(descriptor, "w") as file:
        file.write(key.hex())
    return key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = Field(default=None, description="Token from @BotFather")
    bot_username: str | None = Field(
        default=None, description="The bot's @username, used in invite links when offline"
    )
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    telegram_api_base: AnyHttpUrl | None = None
    webhook_base_url: AnyHttpUrl | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # the webhook server listens on every interface
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # The public address of the dashboard (a Telegram Mini App, bot/web) without /dashboard;
    # Telegram opens only https pages. Unset: WEBHOOK_BASE_URL; neither: no dashboard.
    # In polling mode the dashboard is served on WEBHOOK_HOST:WEBHOOK_PORT.
    web_base_url: AnyHttpUrl | None = None
    default_locale: str = "en"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    # WhatsApp Cloud API (a second channel; bot/channels/whatsapp). Set the token, the phone
    # number id and the app secret to serve WhatsApp at WHATSAPP_WEBHOOK_PATH.
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base: AnyHttpUrl = AnyHttpUrl("https://graph.facebook.com")
    whatsapp_webhook_path: str = "/whatsapp/webhook"
    # The business number people write to, digits only, for wa.me invite links.
    whatsapp_number: str | None = None
    # The key that seals who sent each suggestion (bot/services/anonymity.py), kept out of
    # the database so that no row, backup or export names an anonymous sender. Set it (any
    # long random string, the same in every process) in production. Unset: derived from
    # BOT_TOKEN (or the WhatsApp app secret); a new token then leaves earlier senders
    # unreachable (their ideas stay). Neither: a key file beside the SQLite database.
    relay_key: SecretStr | None = None
    # The number's messaging tier: new business-initiated conversations (a template to someone
    # whose window is closed) with different people in any 24 hours. Beyond it they wait.
    whatsapp_daily_conversations: int = Field(default=WA_DAILY_TIER, ge=1)
    # How long an outbox sender holds the batch it claimed; after a sender crashes on
    # PostgreSQL, its claimed messages wait this long before another sender takes them.
    outbox_claim_seconds: int = Field(default=120, ge=10, le=3600)
    # A message the bot queued and could not deliver within this many hours is given up
    # (marked failed and logged); an outage shorter than this loses nothing.
    outbox_max_age_hours: int = Field(default=24, ge=1, le=24 * 14)
    # Every call to Telegram gives up after this many seconds (then it is retried): a call
    # that hangs holds up one chat for that long, never all sending.
    telegram_request_timeout: float = Field(default=10.0, ge=0.1, le=120)
    # How many chats the outbox sender serves at once. Above 1, a hanging call holds up only
    # its chat, but a crash may re-send one message per chat in flight instead of one.
    outbox_concurrency: int = Field(default=1, ge=1, le=32)
    # While Telegram cannot be reached (5xx, error pages, network errors, timeouts), the
    # sender pauses, twice as long each time, up to this many seconds between two tries.
    outbox_pause_max_seconds: float = Field(default=60.0, ge=1, le=3600)

    def relay_secret(self) -> bytes:
        """The relay key as 32 bytes (see `relay_key`)."""
        for secret in (self.relay_key, self.bot_token, self.whatsapp_app_secret):
            if secret is not None and secret.get_secret_value():
                return hashlib.sha256(
                    b"scorebot relay key|" + secret.get_secret_value().encode()).digest()
        return _local_relay_key(self.database_url)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:port/db")
        return value

    @field_validator("default_locale")
    @classmethod
    def _default_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("web_base_url")
    @classmethod
    def _web_base_url(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        # Telegram opens Mini Apps only over https; plain http is for this machine (tests).
        if value is not None and value.scheme != "https" and value.host not in (
                "127.0.0.1", "localhost"):
            raise ValueError("Telegram opens the dashboard only over https://")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        # "123, 456" is friendlier to type in an .env file than JSON.
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError("expected Telegram user ids separated by commas") from None
        return value

    @property
    def dashboard_url(self) -> str | None:
        """Where the dashboard's pages are, e.g. https://bot.example.org/dashboard."""
        base = self.web_base_url or self.webhook_base_url
        return str(base).rstrip("/") + "/dashboard" if base else None

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_number_id
                    and self.whatsapp_app_secret)

    @field_validator("webhook_path", "whatsapp_webhook_path")
    @classmethod
    def _webhook_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level
