"""COPY in the binary format lands exactly what the text format lands (PostgreSQL only)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Column, Connection, MetaData, Table, text
from sqlalchemy.types import NullType

from telcocrm.db.engine import make_engine
from telcocrm.imports.writers import PostgresCopyWriter

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TELCOCRM_TEST_DATABASE_URL", "").startswith("postgresql"), reason="needs PostgreSQL"
    ),
]

COLUMNS = (
    "id integer, big bigint, small smallint, name varchar(40), note text, born date, seen timestamptz, "
    "ok boolean, after json, created_at timestamptz, source varchar(10), kept boolean"
)
AWKWARD = ["tab\there", "back\\slash", "new\nline", "quote \" '", "", "韩燕 \\N", "\r"]


@pytest.fixture
def conn() -> Iterator[Connection]:
    """A connection whose transaction is rolled back: the temporary tables vanish with it."""
    engine = make_engine(os.environ["TELCOCRM_TEST_DATABASE_URL"])
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()
    engine.dispose()


def rows_of(conn: Connection, table: str) -> list[tuple[Any, ...]]:
    return list(conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all())


def land(conn: Connection, table: str, data: pa.Table, constants: dict[str, Any], *, binary: bool) -> None:
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {table} ({COLUMNS}, amount numeric(12, 2))")
    writer = PostgresCopyWriter(conn, binary=binary)
    writer.insert(Table(table, MetaData(), *(Column(n, NullType()) for n in data.column_names)), data, constants)
    writer.flush()


def sample(count: int) -> pa.Table:
    names = [AWKWARD[i % len(AWKWARD)] if i % 5 else None for i in range(count)]
    return pa.table({
        "id": pa.array(range(1, count + 1), pa.int64()),
        "big": pa.array([(i - count // 2) * 10**12 if i % 4 else None for i in range(count)], pa.int64()),
        "small": pa.array([i - 7 for i in range(count)], pa.int64()),
        "name": pa.array(names, pa.string()),
        "note": pa.array([f"{n or ''}{i}" for i, n in enumerate(names)], pa.string()),
        "born": pa.array([f"{1901 + 7 * i % 200:04d}-0{1 + i % 9}-{1 + i % 28:02d}" if i % 3 else None
                          for i in range(count)], pa.string()),
        "seen": pa.array([f"{1970 + i % 90}-06-30 23:59:59.{i:06d}+08:00" if i % 6 else None for i in range(count)]),
        "ok": pa.array([i % 3 == 0 if i % 7 else None for i in range(count)], pa.bool_()),
        "after": pa.array([json.dumps({"name": "韩燕" if i % 2 else "a\\b\t", "n": i}) for i in range(count)]),
    })  # fmt: skip


def test_binary_copy_lands_every_value_as_the_text_copy_does(conn: Connection) -> None:
    data = sample(50)
    constants = {"created_at": "2026-11-23 03:04:05.678901+00:00", "source": "import", "kept": True}
    land(conn, "by_text", data, constants, binary=False)
    land(conn, "by_binary", data, constants, binary=True)
    expected = rows_of(conn, "by_text")
    assert len(expected) == 50
    assert {row[3] for row in expected} >= {*AWKWARD, None}  # the awkward text really went through
    assert rows_of(conn, "by_binary") == expected


def test_a_value_too_long_for_its_column_is_refused_in_binary_too(conn: Connection) -> None:
    data = pa.table({"id": pa.array([1], pa.int64()), "name": pa.array(["x" * 41])})
    with pytest.raises(Exception, match="too long"):
        land(conn, "too_long", data, {}, binary=True)


def test_an_id_beyond_the_column_is_refused_not_wrapped(conn: Connection) -> None:
    data = pa.table({"id": pa.array([2**31], pa.int64())})
    with pytest.raises(pa.ArrowInvalid):
        land(conn, "too_big", data, {}, binary=True)


def test_a_table_with_a_type_binary_does_not_encode_goes_by_text(conn: Connection) -> None:
    data = pa.table({"id": pa.array([1, 2], pa.int64()), "amount": pa.array(["12.50", None])})
    land(conn, "with_numeric", data, {}, binary=True)
    assert [(row[0], row[-1]) for row in rows_of(conn, "with_numeric")] == [(1, pytest.approx(12.5)), (2, None)]
