"""Locks in the operational database for jobs that must not run twice at once against it.

The monthly run also holds its analytics store (AnalyticsStore.writing); this lock covers two runs from two
machines, each with a store of its own, writing one PostgreSQL database: each would clear the other's
half-loaded histories. SQLite is a file on the machine that holds the store, so the store's lock covers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from telcocrm.errors import Conflict

MONTHLY_RUN = 0x74_656C_636F_0001  # PostgreSQL advisory lock key of the monthly run ("telco" 1)


@contextmanager
def holding_job_lock(engine: Engine, key: int, job: str) -> Iterator[None]:
    """Hold the advisory lock `key` for `job` on PostgreSQL, or raise Conflict naming the session holding it.

    A session-level lock on a connection kept for the job: the server releases it when that connection
    ends, so a job that was killed never leaves it held.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        if not taken:
            raise Conflict(_held_by(conn, key, job), field="database")
        conn.commit()  # the lock outlives the transaction; the connection must not sit idle in one
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


def _held_by(conn: Connection, key: int, job: str) -> str:
    """The refusal of `job`, naming the server session (pid, client, start) that holds the lock."""
    holder = conn.execute(
        text(
            "SELECT a.pid, coalesce(a.client_addr::text, 'local'), a.backend_start"
            " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted"
            " AND l.classid = (:key >> 32)::oid AND l.objid = (:key & 4294967295)::oid"
        ),
        {"key": key},
    ).first()
    who = f"pid {holder[0]} from {holder[1]} since {holder[2]:%Y-%m-%d %H:%M:%S%z}" if holder else "another session"
    return (
        f"另一个月度运行正在写入业务库（{who}），请待其结束后再执行 {job}"
        f" / another monthly run is writing the database ({who}); run {job} when it ends"
    )
