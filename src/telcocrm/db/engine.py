"""Engine and session factories; one transaction per request or job step, owned by the caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from telcocrm.config import get_settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web server read while a job writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """An engine for the URL, with SQLite made safe for concurrent readers."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            **({} if pooled else {"poolclass": NullPool}),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool)
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _ensure_sqlite_folder(url: str) -> None:
    from pathlib import Path

    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per URL for the whole process."""
    return make_engine(url)


def get_engine() -> Engine:
    """The engine of the configured database."""
    return engine_for(get_settings().sqlalchemy_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for a job step: commits on success, rolls back on any error."""
    session = session_factory(engine or get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
