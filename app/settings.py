"""Process-wide configuration, read once from the environment (prefix ``ONBOARD_``).

Only ``DATABASE_URL`` is unprefixed, because that is the name every hosting platform sets.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONBOARD_", extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT

    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ONBOARD_DATABASE_URL")
    )

    # The vault key: a base64url-encoded 32-byte key. Previous keys (comma separated) are still
    # accepted for reading, so a key supplied by the environment can be rotated.
    secret_key: SecretStr | None = None
    secret_key_previous: SecretStr | None = None
    key_file: Path | None = None

    host: str = "127.0.0.1"
    port: int = 8000
    # The address people type into a browser; printed in the setup link. Defaults to http://host:port.
    public_url: str | None = None
    # Trust X-Forwarded-For/-Proto from these proxy addresses (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: str = "127.0.0.1"

    session_idle_minutes: int = Field(default=60, ge=5, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 14)

    # Failed sign-ins for one account within the window: from `signin_slow_after` on, each answer
    # is delayed (doubling from `signin_delay_seconds`); at `signin_lock_after` the account locks.
    signin_window_minutes: int = 15
    signin_slow_after: int = 3
    signin_lock_after: int = 6
    signin_lock_minutes: int = 15
    signin_delay_seconds: float = 0.5
    signin_delay_max_seconds: float = 8.0
    # Failed sign-ins from one source address within the window (any accounts) that pause it.
    signin_source_limit: int = 30

    setup_token_hours: int = 24

    # The sandbox Okta: a stateful fake org. Off in production unless explicitly enabled.
    sandbox_enabled: bool | None = None
    # Where the sandbox answers (`onboard sandbox`, or the demo one `onboard serve` starts).
    sandbox_url: str = "http://127.0.0.1:8010"
    # Whether `onboard serve` starts a seeded sandbox org beside the wizard (the demo).
    demo: bool | None = None

    # Background jobs: how long a job's lease lasts without a heartbeat, and how often a server
    # looks for jobs to take over (after a crash).
    job_lease_seconds: float = Field(default=30.0, ge=1.0)
    job_poll_seconds: float = Field(default=5.0, ge=0.1)
    # When the server stops: how long its running jobs are given to end on their own before they
    # are cancelled (a cancelled job resumes from its last checkpoint at the next start).
    job_stop_grace_seconds: float = Field(default=5.0, ge=0.0, le=300.0)
    okta_timeout_seconds: float = Field(default=30.0, ge=1.0)
    # Okta calls per org at once (writes stay two at a time). Okta allows 75 simultaneous requests
    # per org, 35 on the Integrator Free plan, shared with the org's other integrations.
    okta_max_in_flight: int = Field(default=16, ge=1, le=35)

    # The watch over completed onboardings (app/watch): how often each is re-verified (an
    # onboarding may set its own period), how often a server looks for one that is due (0: this
    # server never does; another one must), and when a service token is worth an alert.
    watch_every_hours: int = Field(default=24, ge=1, le=24 * 31)
    watch_tick_seconds: float = Field(default=60.0, ge=0.0)
    watch_token_expiry_days: int = Field(default=7, ge=1, le=29)
    watch_token_unused_days: int = Field(default=14, ge=1, le=29)
    # Runs queued per Okta org each tick (each run reads a handful of endpoints once): see
    # docs/benchmarks.md for what this costs of the org's rate limits.
    watch_runs_per_org_per_tick: int = Field(default=5, ge=1, le=50)
    # While no call of the vendor with the service token has been seen, the watch looks this often.
    watch_first_call_hours: int = Field(default=1, ge=1, le=24 * 31)

    log_level: str = "INFO"

    @field_validator("secret_key", "secret_key_previous", mode="before")
    @classmethod
    def _blank_key_is_no_key(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_db_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        # Platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def sandbox(self) -> bool:
        if self.sandbox_enabled is not None:
            return self.sandbox_enabled
        return not self.is_production

    @property
    def run_demo(self) -> bool:
        if self.demo is not None:
            return self.demo and self.sandbox
        return self.sandbox and self.environment is Environment.DEVELOPMENT

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'onboard.db').resolve()}"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or (self.data_dir / "vault.key")

    @property
    def https_public(self) -> bool:
        """The wizard is reached over https (its public URL says so): its cookies are sent over https
        only, and browsers are told to keep to it, whatever scheme a request arrived with (behind a
        proxy that terminates TLS and is not trusted for its forwarded headers, every request read
        as http, and the session cookie went out without Secure: security review, L2)."""
        return bool(self.public_url) and str(self.public_url).lower().startswith("https://")

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
