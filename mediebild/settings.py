"""Settings: CLI flags > environment (MEDIEBILD_*) > mediebild.toml > defaults.

`load_settings()` reads `mediebild.toml` from the working directory (or the file named by
MEDIEBILD_CONFIG) and the environment. Sections other parts own (for example `[send]` for
distribution) are kept whole in `settings.raw` for their own validation. Secrets are read only from
the environment or a file outside the repository, and never printed: `safe_dict()` masks them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from mediebild.errors import ConfigError

CONFIG_FILE = "mediebild.toml"


class IngestSettings(BaseModel):
    model_config = {"extra": "forbid"}
    concurrency: int = Field(4, ge=1, le=64, description="sources fetched at once")
    retries: int = Field(2, ge=0, le=10, description="retries of a transient failure")
    retry_delay_s: float = Field(2.0, ge=0, le=600)
    connect_timeout_s: float = Field(5.0, gt=0, le=120)
    read_timeout_s: float = Field(10.0, gt=0, le=300)
    deadline_s: float = Field(30.0, gt=0, le=900)
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    every_minutes: int = Field(5, ge=1, le=1440, description="schedule of `mediebild serve`")


class PrivacySettings(BaseModel):
    """Social posts are personal data: how long their content is kept, and which accounts are public."""

    model_config = {"extra": "forbid"}
    retention_days: int = Field(30, ge=1, le=3650, description="`mediebild purge` blanks social content older than this")
    public_accounts: list[str] = Field(default_factory=list, description="'platform:handle' or 'handle', shown unmasked")
    public_accounts_file: Path | None = Field(None, description="a TOML file like the shipped public_accounts.toml")


class StoreSettings(BaseModel):
    """The shared store (issue 15): workers write into a Postgres intake, one writer pulls it into DuckDB."""

    model_config = {"extra": "forbid"}
    catalog: str | None = Field(None, description="postgresql://user@host:port/db; the password from PGPASSWORD")
    claim_ttl_s: float = Field(600.0, gt=0, le=86400, description="a worker's claim on a source lasts this long")
    refetch_after_s: float = Field(0.0, ge=0, le=86400,
                                   description="a source fetched less than this ago is not handed out again")
    claim_batch: int = Field(8, ge=0, le=10000, description="sources a worker claims at a time (0: all at once)")


class Settings(BaseSettings):
    """What mediebild reads from flags, MEDIEBILD_* variables and mediebild.toml."""

    model_config = SettingsConfigDict(env_prefix="MEDIEBILD_", env_nested_delimiter="__", extra="ignore")

    db: Path = Path("mediebild.duckdb")
    lang: str = "sv"
    ingest: IngestSettings = IngestSettings()
    privacy: PrivacySettings = PrivacySettings()
    store: StoreSettings = StoreSettings()
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # flags (init) > environment > mediebild.toml > defaults
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_path())


def config_path() -> Path:
    return Path(os.environ.get("MEDIEBILD_CONFIG", CONFIG_FILE))


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed mediebild.toml, {} when there is none; a broken file is a ConfigError."""
    path = path or config_path()
    if not path.exists():
        if "MEDIEBILD_CONFIG" in os.environ:
            raise ConfigError(f"MEDIEBILD_CONFIG names {path}, which does not exist")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_settings(**flags: Any) -> Settings:
    """Defaults < mediebild.toml < environment < flags (flags given as None are ignored)."""
    raw = read_config()
    try:
        settings = Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where}: {first['msg']} (check {config_path()} and MEDIEBILD_* variables)") from exc
    settings.raw = raw
    return settings
