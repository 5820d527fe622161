"""Settings from the environment and `.env`; built inside main(), never at import time."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DISCORD_API_BASE_URL = "https://discord.com/api/v10"
SUPPORTED_REGIONS = ("US", "GB", "IN", "AU", "CA", "PH", "MX", "BR", "KR")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = None
    discord_api_base_url: str = DISCORD_API_BASE_URL
    database_path: Path = Path("data/livegifts.db")
    dev_guild_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    platform_fee_percent: int = Field(default=50, ge=0, le=100)
    default_region: str = "US"
    payment_provider: Literal["sandbox", "none", "discord"] = "sandbox"
    # With PAYMENT_PROVIDER=discord: SKU:coins:USD price, comma-separated, e.g. 1234:70:0.99,1235:350:4.99
    coin_skus: Annotated[list[tuple[int, int, int]], NoDecode] = Field(default_factory=list)
    discord_test_purchases: bool = False
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    overlay_enabled: bool = True
    overlay_host: str = "127.0.0.1"
    overlay_port: int = Field(
        default=8787, ge=0, le=65535
    )  # 0: any free port (logged, shown by /overlay url)
    overlay_public_url: str | None = None  # e.g. https://overlay.example.org behind a reverse proxy

    @field_validator("overlay_public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    backup_dir: Path | None = None  # daily backups go here; None: no daily backups
    backup_keep: int = Field(default=7, ge=1, le=1000)
    backup_time: str = "03:30"  # HH:MM UTC

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("backup_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hour, _, minute = value.strip().partition(":")
        if not (
            hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2
        ):
            raise ValueError("must be a time of day as HH:MM (UTC), e.g. 03:30")
        return f"{int(hour):02d}:{minute}"

    @property
    def backup_at(self) -> tuple[int, int]:
        """The daily backup's hour and minute (UTC)."""
        hour, minute = self.backup_time.split(":")
        return int(hour), int(minute)

    @field_validator("dev_guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("coin_skus", mode="before")
    @classmethod
    def _parse_skus(cls, value: object) -> object:
        return parse_coin_skus(value) if isinstance(value, str) else value

    @field_validator("payment_provider", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _skus_for_discord(self) -> Settings:
        if self.payment_provider == "discord" and not self.coin_skus:
            raise ValueError(
                "COIN_SKUS must list the coin SKUs (SKU:coins:USD price, e.g. 1234:70:0.99) when "
                "PAYMENT_PROVIDER is discord"
            )
        return self

    @field_validator("discord_api_base_url")
    @classmethod
    def _api_base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local simulator)")
        return value.rstrip("/")

    @field_validator("log_level", "sqlite_synchronous", "default_region", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in SUPPORTED_REGIONS:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_REGIONS)}")
        return value


def parse_coin_skus(text: str) -> list[tuple[int, int, int]]:
    """`1234:70:0.99,1235:350:4.99` as (SKU id, coins, price in US cents); a ValueError names the bad part."""
    skus: list[tuple[int, int, int]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        fields = part.split(":")
        try:
            if len(fields) != 3:
                raise ValueError
            sku_id, coins = int(fields[0]), int(fields[1])
            cents = Decimal(fields[2]) * 100
            if sku_id <= 0 or coins <= 0 or cents <= 0 or cents != cents.to_integral_value():
                raise ValueError
        except (ValueError, InvalidOperation):
            raise ValueError(f"{part!r} is not SKU:coins:USD price (e.g. 1234:70:0.99)") from None
        skus.append((sku_id, coins, int(cents)))
    if len({s[0] for s in skus}) != len(skus) or len({s[1] for s in skus}) != len(skus):
        raise ValueError("each SKU and each number of coins may appear only once")
    return skus


class SettingsError(Exception):
    """A setting is invalid; the message names it."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]).upper() if item["loc"] else "settings"
            problems.append(f"{name}: {item['msg']}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None
