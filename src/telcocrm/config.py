"""Settings read from `TELCOCRM_` environment variables (and a `.env` file when present)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The demo secret is public on purpose: it is refused anywhere but the demo and tests.
DEMO_SECRET_KEY = "telcocrm-demo-secret-not-for-production-use"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Deployment settings; every field has a documented default for the embedded demo."""

    model_config = SettingsConfigDict(env_prefix="TELCOCRM_", env_file=".env", extra="ignore")

    environment: str = "demo"  # demo | test | production
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file `telcocrm.db` under data_dir
    secret_key: str = DEMO_SECRET_KEY
    time_zone: str = "Asia/Shanghai"
    token_minutes: int = 480  # one working day
    auth_max_failures: int = 5
    auth_lock_minutes: int = 30
    # Requests a server process works on at once (its thread pool; AnyIO's default is 40). Fewer than the
    # 10 pooled database connections, so a busy server never opens and closes overflow connections; more
    # threads would mostly wait for the GIL.
    worker_threads: int = 8
    # On PostgreSQL, TMF629 GET customer and the 360 view are answered before the framework on asynchronous
    # connections (telcocrm/hot_reads.py); off, the routes answer them as they answer everything else.
    hot_reads: bool = True
    # The batch engine's memory (DuckDB's memory_limit): beyond it joins and aggregations spill to
    # data_dir/analytics/.spill instead of growing, so a 10M-subscriber month fits a 12 GiB machine.
    batch_memory_limit: str = "6GB"
    # The subscriber results repeat each customer's reasons on every subscriber (about 1 KB a row): beyond this
    # many subscribers DuckDB joins them by hash parts of about this size, one part at a time, instead of
    # spilling one huge join. At 9M subscribers and 6GB: whole 120 s (peak 6.2 GB), 3 parts 42 s (3.0 GB),
    # 5 parts 53 s (2.2 GB), 9 parts 60 s (1.6 GB) (docs/benchmarks.md); lower it with the memory limit.
    batch_part_rows: int = 3_000_000
    # On PostgreSQL the monthly points posting writes this many parts at once, each in its own transaction on
    # its own connection: the database does the work, one part per core. SQLite has one writer: always one.
    posting_connections: int = 2

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment not in {"demo", "test"} and self.secret_key == DEMO_SECRET_KEY:
            raise ValueError("TELCOCRM_SECRET_KEY is still the demo default: set a secret of your own outside the demo")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'telcocrm.db').as_posix()}"

    @property
    def zone(self) -> ZoneInfo:
        """The operator's time zone, used for every date a person reads."""
        return ZoneInfo(self.time_zone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
