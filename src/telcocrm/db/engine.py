"""Engine and session factories; one transaction per request or job step, owned by the caller."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from telcocrm.config import get_settings

PING_AFTER_IDLE = 10.0  # seconds a pooled connection may rest before it is checked on checkout
_LAST_USED = "telcocrm_last_used"


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
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle a while (the server may have dropped it).

    SQLAlchemy's `pool_pre_ping` pings on every checkout, a round trip per request. A connection that was
    back in the pool for less than PING_AFTER_IDLE seconds was just in use and is handed out as it is; an
    older one is pinged, and a dead one is replaced (the pool retries the checkout with a fresh connection).
    """

    def fresh(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_LAST_USED] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("connection lost while idle in the pool") from exc
        if not alive:
            raise DisconnectionError("connection lost while idle in the pool")

    event.listen(engine, "connect", fresh)
    event.listen(engine, "checkin", fresh)
    event.listen(engine, "checkout", ping_if_idle)


def libpq_dsn(engine: Engine) -> str:
    """The PostgreSQL engine's URL for drivers that take libpq's own (asyncpg, ADBC): no SQLAlchemy driver name."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


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


@lru_cache(maxsize=16)
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@lru_cache(maxsize=16)
def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that read, and at most append one audit record.

    On PostgreSQL their statements run in autocommit: under READ COMMITTED (the default) every statement
    takes a fresh snapshot inside a transaction too, so the reads see the same data, and BEGIN and COMMIT, two
    of a read's five round trips, are saved. A lone audit INSERT commits by itself. Elsewhere (SQLite, where a
    transaction does hold one snapshot) they are ordinary sessions.
    """
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


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
