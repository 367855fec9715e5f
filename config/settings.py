"""Configuration from ``EXITCASES_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.frontend import DEFAULT_FRONTEND_DIR


class Settings(BaseSettings):
    """Every setting the service reads. Unset server addresses mean "use the embedded one"."""

    # Values stay out of error messages: several settings are secrets (tokens, keys, URLs).
    model_config = SettingsConfigDict(
        env_prefix="EXITCASES_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

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
    worker_queues: Literal["all", "cases", "letters"] = Field(
        default="all",
        description="What `exitcases worker` serves: `all`; `cases` (workflows and their "
        "activities, no letters); `letters` (renders letters only, on the task queue "
        "`<EXITCASES_TASK_QUEUE>-letters`, in processes that can be scaled apart).",
    )
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
    letters_attached: bool = Field(
        default=False,
        description="Attach a letter's PDF to the e-mail that announces it; false: the e-mail "
        "links to it (EXITCASES_PUBLIC_URL makes the link absolute).",
    )
    payload_keys: str | None = Field(
        default=None,
        description="Temporal payload keys, 'id:base64-32-bytes' comma-separated, first active; "
        "unset: `exitcases dev` keeps a generated keyring in the data directory.",
    )
    payload_compression: bool = Field(
        default=True,
        description="Compress Temporal payloads of 256 bytes or more before encrypting them "
        "(about half the bytes of a case's history); false: encrypt them as they are. Either "
        "way, payloads written both ways decode.",
    )
    ui_origins: str | None = Field(
        default=None,
        description="Comma-separated origins of the Temporal Web UI, allowed to call the "
        "API's /codec endpoint from the browser with credentials; unset: the embedded UI "
        "(http://127.0.0.1 and http://localhost on EXITCASES_TEMPORAL_UI_PORT).",
    )
    public_url: str | None = Field(
        default=None,
        description="The API's address as browsers reach it, e.g. https://api.hr.example: its "
        "origin is the sign-in page's, and https makes the session cookie Secure (named "
        "__Host-exitcases_session); unset: the request's Host header and scheme, which a proxy "
        "in front may change.",
    )
    session_idle_minutes: float = Field(
        default=30, gt=0, description="A browser session unused this long ends (sign in again)."
    )
    session_lifetime_hours: float = Field(
        default=12,
        gt=0,
        description="A browser session ends this long after signing in, used or not.",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="Seam for single sign-on to the web pages (OpenID Connect, e.g. Microsoft "
        "Entra ID's issuer URL); not built yet, so setting it stops the API from starting: "
        "docs/web.md says where it plugs in. Unset: staff sign in with their access token.",
    )
    frontend_dir: Path = Field(
        default=DEFAULT_FRONTEND_DIR,
        description="Where the GOV.UK and MOJ frontend files (fetched and checked by "
        "`exitcases-assets`, which the install step runs) are served from.",
    )
    auth_verifier: str | None = Field(
        default=None,
        description="'module:factory' of a single-sign-on verifier (a JWT verifier, say); "
        "unset: the bearer tokens of `exitcases users add`.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Comma-separated addresses or CIDR networks of reverse proxies whose "
        "X-Forwarded-For names the caller; unset: the header is ignored, the TCP peer is the "
        "caller.",
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
    verify_processes: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Processes `exitcases audit verify` checks the whole log with, each a range "
        "of cases in one snapshot; unset: one per CPU core.",
    )
    evidence_max_bytes: int = Field(
        default=10_000_000,
        gt=0,
        le=10_000_000,
        description="Largest evidence file accepted, in bytes (at most the API's 10 MB body "
        "limit); a larger one is refused with 422 and nothing is stored.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Bearer token Prometheus sends to read the API's /metrics (32 characters "
        "or more, e.g. `openssl rand -hex 32`); unset: /metrics is not served.",
    )
    notifier_poll_seconds: float = Field(
        default=2.0, description="How often the worker's notifier looks for undelivered mail."
    )

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_token_is_unset(cls, value: object) -> object:
        # Compose passes `${EXITCASES_METRICS_TOKEN:-}`: empty means "not set", not "too short".
        return None if value == "" else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            for item in value:
                # Raises for anything that is not an address or a network: a typo must not
                # start a server that trusts nobody (or the wrong host) without saying so.
                ipaddress.ip_network(str(item), strict=False)
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _an_origin(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str):
            parts = urlsplit(value)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ValueError("give the API's URL with http:// or https:// and a host name")
            if parts.path.strip("/") or parts.query or parts.fragment:
                raise ValueError("give only scheme, host and port: the API is served at /")
        return value

    def public_origin(self) -> str | None:
        """The API's origin as browsers send it in ``Origin`` (scheme://host[:port])."""
        if self.public_url is None:
            return None
        parts = urlsplit(self.public_url)
        default_port = {"http": 80, "https": 443}[parts.scheme]
        # Browsers leave the default port out of Origin.
        port = "" if parts.port in {None, default_port} else f":{parts.port}"
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        return f"{parts.scheme}://{host}{port}"

    def ui_origin_list(self) -> list[str]:
        """The Temporal Web UI's origins: configured, or the embedded UI's on its port."""
        if self.ui_origins is not None:
            return [o.strip() for o in self.ui_origins.split(",") if o.strip()]
        port = self.temporal_ui_port
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_lifetime_hours)


@lru_cache
def get_settings() -> Settings:
    return Settings()
