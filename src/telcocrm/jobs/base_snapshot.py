"""The base snapshot: every subscriber of the operational database with its customer, profile and billing account,
written as one Parquet file in schemas.BASE for the monthly run.

One statement with joins, read in batches that become Arrow record batches and row groups, so memory stays
bounded whatever the base holds. On PostgreSQL the ADBC driver reads the rows into Arrow columns itself, so no
Python object is made per row or value; elsewhere they come through the driver, values as it gives them (enum
codes as text, no per-value conversion in Python). Dates and moments are turned into Arrow types a whole column
at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from telcocrm.analytics import schemas
from telcocrm.config import get_settings
from telcocrm.customers.records import published
from telcocrm.db.engine import libpq_dsn
from telcocrm.kit.months import month_of
from telcocrm.models import (
    BillingAccount,
    Certificate,
    CreditRatingHistory,
    Customer,
    CustomerProfile,
    PointsAccount,
    Subscriber,
)
from telcocrm.models.enums import CertificateType, CustomerStatus, PointsAccountStatus

BATCH_ROWS = 100_000  # rows per fetch and per row group: a few tens of MB of Python values at a time
# PostgreSQL's memory for each hash of the snapshot's one statement: at the default 4 MB its joins spill to disk
# in batches (measured when the statement still sorted by line: at 1M the COPY alone took 8.6 s against 10.2 s).
SNAPSHOT_WORK_MEM = "256MB"
_YEAR = r"^[0-9]{4}$"


def snapshot_base(database: sa.Engine, path: Path, *, as_of: date) -> int:
    """Write the subscribers activated on or before `as_of` to `path` in schemas.BASE; returns the row count."""
    zone = get_settings().time_zone
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with pq.ParquetWriter(path, schemas.BASE, compression="zstd") as writer:
        for columns in _base_rows(database, as_of):
            batch = _batch(columns, zone)
            writer.write_batch(batch)
            rows += batch.num_rows
        if rows == 0:
            writer.write_table(schemas.BASE.empty_table())
    return rows


def _base_rows(database: sa.Engine, as_of: date) -> Iterator[list[pa.Array]]:
    """base_query's rows, a batch of columns at a time, by the fastest path the database has."""
    if database.dialect.name == "postgresql":
        yield from _arrow_native(database, as_of)
        return
    with database.connect() as conn:
        yield from _fetched(conn, as_of)


def _fetched(conn: sa.Connection, as_of: date) -> Iterator[list[pa.Array]]:
    """The base's rows through the driver's own cursor (no SQLAlchemy row per value), a batch at a time."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(_literal_sql(conn.dialect, as_of))
        while partition := cursor.fetchmany(BATCH_ROWS):
            yield [pa.array(column) for column in zip(*partition, strict=True)]
    finally:
        cursor.close()


def _literal_sql(dialect: sa.Dialect, as_of: date) -> str:
    """base_query as one SQL text for the database (its parameters are a date and code words)."""
    return str(base_query(as_of).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _arrow_native(database: sa.Engine, as_of: date) -> Iterator[list[pa.Array]]:
    """PostgreSQL: the base through the ADBC driver, which reads the rows of a binary COPY straight into Arrow
    columns in C++, typed (dates, moments in UTC, flags): no Python object per row or value. At 1M subscribers,
    with base_query no longer sorting, this took the snapshot from 8.6–9.9 s to 6.6–6.7 s and its Python CPU from
    7.1–8.0 s to 4.8 s against a COPY in CSV read row by row through psycopg (docs/benchmarks.md § The monthly
    batch, session 13)."""
    import adbc_driver_postgresql.dbapi as adbc  # the postgres extra, like psycopg

    with adbc.connect(libpq_dsn(database)) as conn, conn.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{SNAPSHOT_WORK_MEM}'")
        cursor.execute(_literal_sql(database.dialect, as_of))
        for batch in cursor.fetch_record_batch():
            yield list(batch.columns)


def base_query(as_of: date) -> sa.Select[Any]:
    """One row per subscriber, columns in schemas.BASE order (customer_joined_date still a moment in UTC)."""
    sub, customer, profile = Subscriber.__table__, Customer.__table__, CustomerProfile.__table__
    account, parent = BillingAccount.__table__, BillingAccount.__table__.alias("parent_account")
    born, returning = _birth_years(), _returning_ratings(as_of)
    columns = [
        sub.c.subscriber_code,
        # Merging moves the lines to the survivor; should a line still sit with a merged-away customer, the
        # code it points to (kept one hop from the survivor) is the customer now holding it.
        sa.func.coalesce(customer.c.merged_into_code, customer.c.code),
        _raw(customer.c.kind),
        _raw(customer.c.joined_at),
        _raw(profile.c.organisation_category),
        profile.c.industry,
        _raw(profile.c.decision_scope),
        sa.func.coalesce(profile.c.strategic, sa.false()),  # no profile row: nothing marked
        sa.func.coalesce(profile.c.home_business, sa.false()),
        profile.c.occupation,
        _raw(profile.c.income_band),
        born.c.birth_year,
        account.c.account_code,
        _raw(account.c.account_type),
        parent.c.account_code,
        _raw(account.c.payment_method),
        _raw(sub.c.product),
        sub.c.brand,
        _raw(sub.c.status),
        _raw(sub.c.activated_date),
        _raw(sub.c.terminated_date),
        _raw(sub.c.contract_end_date),
        sub.c.channel_code,
        returning.c.rating,
        profile.c.city,
    ]
    joined = (
        sub.join(customer, customer.c.id == sub.c.customer_id)
        .join(account, account.c.id == sub.c.account_id)
        .outerjoin(parent, parent.c.id == account.c.parent_account_id)
        .outerjoin(profile, profile.c.customer_id == customer.c.id)
        .outerjoin(born, born.c.customer_id == customer.c.id)
        .outerjoin(returning, returning.c.customer_id == customer.c.id)
    )
    return sa.select(*columns).select_from(joined).where(sub.c.activated_date <= as_of)


def _birth_years() -> sa.Subquery:
    """Per customer, the birth year (digits 7–10) of its active resident ID; the earliest if a merge left two."""
    cert = Certificate.__table__
    year = sa.func.min(sa.func.substr(cert.c.cert_number, 7, 4))
    return (
        sa.select(cert.c.customer_id, year.label("birth_year"))
        .where(cert.c.cert_type == CertificateType.RESIDENT_ID, cert.c.active == sa.true())
        .group_by(cert.c.customer_id)
        .subquery("born")
    )


def _returning_ratings(as_of: date) -> sa.Subquery:
    """Per customer, the rating a former customer with the same certificate held when leaving (brief §3).

    A cancelled customer's certificates are released (inactive); a new customer showing the same certificate
    is that customer returning. Its rating is the cancelled customer's latest in credit_rating_history up to
    `as_of`; with several former customers, the most recent rating wins.
    """
    current, former = Certificate.__table__.alias("current_cert"), Certificate.__table__.alias("former_cert")
    former_customer, history = Customer.__table__.alias("former_customer"), CreditRatingHistory.__table__
    newest = sa.func.row_number().over(
        partition_by=current.c.customer_id, order_by=(history.c.month.desc(), history.c.customer_code)
    )
    ranked = (
        sa.select(current.c.customer_id, history.c.credit_rating.label("rating"), newest.label("newest"))
        .select_from(
            current.join(
                former,
                sa.and_(
                    former.c.cert_type == current.c.cert_type,
                    former.c.cert_number == current.c.cert_number,
                    former.c.customer_id != current.c.customer_id,
                ),
            )
            .join(former_customer, former_customer.c.id == former.c.customer_id)
            .join(history, history.c.customer_code == former_customer.c.code)
        )
        .where(
            current.c.active == sa.true(),
            former.c.active == sa.false(),
            former_customer.c.status == CustomerStatus.CANCELLED,
            history.c.month <= month_of(as_of),
            published(history),
        )
        .subquery("ranked")
    )
    return sa.select(ranked.c.customer_id, ranked.c.rating).where(ranked.c.newest == 1).subquery("returning_rating")


def _raw(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The column as the driver gives it: no enum, date or moment conversion per value in Python."""
    return sa.type_coerce(column, sa.String())


def _batch(columns: Sequence[pa.Array], zone: str) -> pa.RecordBatch:
    """Columns of base_query (as the driver gave them) as a record batch of schemas.BASE."""
    arrays: list[pa.Array] = []
    for field, column in zip(schemas.BASE, columns, strict=True):
        if field.name == "customer_joined_date":
            arrays.append(_local_days(column, zone))
        elif field.name == "birth_year":
            arrays.append(_years(column.cast(pa.string())))
        elif pa.types.is_date32(field.type):
            arrays.append(_dates(column))
        else:
            arrays.append(column.cast(field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schemas.BASE)


def _local_days(moments: pa.Array, zone: str) -> pa.Array:
    """The local day of each moment. SQLite gives naive UTC text, PostgreSQL (ADBC) timestamps in UTC."""
    if pa.types.is_string(moments.type) or pa.types.is_null(moments.type):
        moments = moments.cast(pa.string()).cast(pa.timestamp("us"))  # naive UTC
    if moments.type.tz is None:
        moments = pc.assume_timezone(moments, "UTC")
    local = pc.local_timestamp(moments.cast(pa.timestamp("us", tz=zone)))
    return local.cast(pa.date32())


def _dates(days: pa.Array) -> pa.Array:
    """Dates from `YYYY-MM-DD` text (SQLite) or Arrow dates (PostgreSQL, ADBC)."""
    if pa.types.is_string(days.type) or pa.types.is_null(days.type):
        return days.cast(pa.timestamp("s")).cast(pa.date32())
    return days.cast(pa.date32())


def _years(text: pa.Array) -> pa.Array:
    """Four digits as a year; anything else (a malformed legacy number) as null."""
    shaped = pc.match_substring_regex(text, _YEAR)
    return pc.if_else(shaped, text, pa.scalar(None, pa.string())).cast(pa.int32())


def snapshot_points_members(database: sa.Engine, path: Path) -> int:
    """The active points accounts with a staff flag that publishes points (schemas.POINTS_MEMBERS); the count.

    Only flagged accounts: an account without a flag publishes nothing of itself (the awards read a missing
    member as unflagged), and at 1M subscribers the others are some 200,000 rows read for nothing.
    """
    account = PointsAccount.__table__
    query = sa.select(account.c.customer_code, account.c.opted_in, account.c.points_sensitive).where(
        account.c.status == PointsAccountStatus.ACTIVE, account.c.opted_in | account.c.points_sensitive
    )
    with database.connect() as conn:
        rows = [row._asdict() for row in conn.execute(query)]  # the staff's opt-ins: a small table
    table = pa.Table.from_pylist(rows, schema=schemas.POINTS_MEMBERS)
    pq.write_table(table, path, compression="zstd")
    return int(table.num_rows)
