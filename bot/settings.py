"""All configuration, read once from the environment or ``.env``."""

from __future__ import annotations

from typing import Literal

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


class Settings(BaseSettings):
    """Settings as DESIGN.md names them; built once in ``main()`` and passed down."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None  # set → Socket Mode
    slack_api_url: str = "https://slack.com/api/"
    database_url: SecretStr | None = None  # unset → embedded Postgres under data_dir
    host: str | None = None  # unset → every interface
    port: int = 3000
    # Worker processes of ``serve`` sharing the port (HTTP mode); 1: this process serves.
    web_concurrency: int = Field(default=1, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None
    approvals_channel: str | None = None
    approvals_graphs: str | None = None  # name=module:attr,...
    approvals_policy: str | None = None  # path of a TOML policy file
    approvals_api_token: SecretStr | None = None  # bearer token for POST /api/runs
    # Signs the approvals API's callbacks (X-Approvals-Signature); needed for callback_url.
    approvals_callback_secret: SecretStr | None = None
    # A failed callback is retried this long after, doubling each time (at most an hour)...
    approvals_callback_retry_s: float = Field(default=10.0, gt=0)
    # ...until this long after the decision (three days), then given up.
    approvals_callback_deadline_s: float = Field(default=3 * 24 * 3600.0, gt=0)
    approvals_data_dir: str = ".data/postgres"
    approvals_timeout_s: int = Field(default=24 * 3600, gt=0)
    # The period between reminders; None: one reminder at 3/4 of the timeout.
    approvals_reminder_s: int | None = Field(default=None, gt=0)
    approvals_sweep_s: float = Field(default=5.0, gt=0)
    approvals_pool_size: int = Field(default=20, ge=4)
    # A thread's lease lapses this long after its holder's last heartbeat (see Guarantees).
    approvals_lease_s: float = Field(default=30.0, ge=1)
    langgraph_api_url: str | None = None  # a LangGraph Server; unset → in-process only
    langgraph_api_key: SecretStr | None = None  # sent as x-api-key
    langgraph_poll_s: float = Field(default=5.0, gt=0)  # threads.search(status=interrupted)
    langgraph_webhook_secret: SecretStr | None = None  # X-Approvals-Webhook-Secret, if set
    langgraph_wait_s: float = Field(default=30.0, gt=0)  # how long a resume waits for its run
    # the thread metadata key the server's own auth sets to the Slack user who started it
    langgraph_requester_key: str | None = None
    # Discovery: a tick reads threads changed since its watermark less this margin.
    langgraph_margin_s: float = Field(default=10.0, ge=0)
    langgraph_reconcile_s: float = Field(default=300.0, gt=0)  # between full passes
    langgraph_concurrency: int = Field(default=8, ge=1, le=64)  # threads adopted at once

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def require(self, *names: str) -> None:
        """Raise one clear line naming every missing setting among ``names``."""
        missing = [n.upper() for n in names if not getattr(self, n)]
        if missing:
            one = len(missing) == 1
            raise ConfigError(
                f"{', '.join(missing)} {'is' if one else 'are'} not set: "
                f"export {'it' if one else 'them'} or put {'it' if one else 'them'} in .env "
                "(see README, 'Settings')."
            )

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: Slack is reached over a WebSocket."""
        return self.slack_app_token is not None

    def secret(self, name: str) -> str:
        """The plain value of a secret setting (empty when unset)."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else ""

    def database_label(self) -> str:
        """Which database, for a start line: never the password."""
        if self.database_url is None:
            return f"embedded Postgres under {self.approvals_data_dir}"
        try:
            parts = conninfo_to_dict(self.secret("database_url"))
        except ProgrammingError:  # the pool reports it properly when it connects
            return "Postgres (DATABASE_URL does not parse)"
        where = str(parts.get("host") or "local socket")
        if parts.get("port"):
            where += f":{parts['port']}"
        name = parts.get("dbname")
        return f"Postgres {name} at {where}" if name else f"Postgres at {where}"
