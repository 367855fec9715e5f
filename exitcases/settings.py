"""Configuration from ``EXITCASES_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the service reads. Unset server addresses mean "use the embedded one"."""

    model_config = SettingsConfigDict(env_prefix="EXITCASES_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL for the service's database; unset: embedded PostgreSQL.",
    )
    temporal_address: str | None = Field(
        default=None, description="Temporal frontend host:port; unset: the Temporal dev server."
    )
    temporal_namespace: str = Field(default="default", description="Temporal namespace.")
    temporal_retention_days: int = Field(
        default=90,
        gt=0,
        description="Days Temporal keeps a closed case's workflow history; set when "
        "`exitcases temporal setup` creates the namespace (an existing one keeps its own).",
    )
    task_queue: str = Field(default="exit-cases", description="Temporal task queue of the worker.")
    api_host: str = Field(default="127.0.0.1", description="Address the HTTP API binds to.")
    api_port: int = Field(default=8000, description="Port of the HTTP API.")
    api_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="API processes sharing the port; about one per core the API may use.",
    )
    temporal_port: int = Field(default=7233, description="Port of the embedded Temporal server.")
    temporal_ui_port: int = Field(default=8233, description="Port of the embedded Temporal UI.")
    data_dir: Path = Field(
        default=Path(".exitcases"),
        description="Where embedded servers keep their data and `exitcases dev` its runtime file.",
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: readable on a terminal, JSON lines otherwise."
    )
    log_level: str = Field(default="info", description="Minimum level logged.")
    smtp_host: str | None = Field(
        default=None, description="SMTP server for notifications; unset: notifications are logged."
    )
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_sender: str = Field(
        default="exit-cases@localhost", description="From address of notification e-mails."
    )
    payload_keys: str | None = Field(
        default=None,
        description="Temporal payload keys, 'id:base64-32-bytes' comma-separated, first active; "
        "unset: `exitcases dev` keeps a generated keyring in the data directory.",
    )
    ui_origins: str = Field(
        default="http://127.0.0.1:8233,http://localhost:8233",
        description="Comma-separated origins of the Temporal Web UI, allowed to call the "
        "API's /codec endpoint from the browser.",
    )
    auth_verifier: str | None = Field(
        default=None,
        description="'module:factory' of a single-sign-on verifier (a JWT verifier, say); "
        "unset: the bearer tokens of `exitcases users add`.",
    )
    auth_cache_seconds: float = Field(
        default=60,
        ge=0,
        description="How long an API process may remember a checked token (it forgets at once "
        "when any user changes, a revocation included); 0: check every request.",
    )
    retention_days: int = Field(
        default=2190,
        gt=0,
        description="Days after a case closes before `exitcases audit redact` removes the "
        "officer's personal data from the roster and read model (audit events stay).",
    )
    notifier_poll_seconds: float = Field(
        default=2.0, description="How often the worker's notifier looks for undelivered mail."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
