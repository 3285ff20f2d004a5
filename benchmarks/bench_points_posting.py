"""Times the monthly points posting alone: a month's awards file into the ledger, then the same month again.

.venv/bin/python benchmarks/bench_points_posting.py --database-url postgresql+psycopg://…/batch1m \\
    --awards /tmp/telcocrm-bench-batch/var/analytics/results/month=2026-10/points_awards.parquet \\
    --month 2027-01 --connections 1 2

The database is one the monthly run has used (accounts opened, earlier months posted: `bench_batch.py` leaves
one). For each `--connections` value, the awards are relabelled as a month not posted yet (`--month`, then the
months after it) and posted as the run posts them (telcocrm.loyalty.ledger_parts), then posted again: the first
is a month's first posting, the second a rerun that must write nothing. The entries are committed: use a
benchmark database. The machine may be shared: the load average before and after is printed.
"""

from __future__ import annotations

import argparse
import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, func, select

from telcocrm.db.engine import make_engine
from telcocrm.kit.months import add_months, parse_month
from telcocrm.loyalty.ledger_parts import post_awards_in_parts
from telcocrm.loyalty.ledger_repository import ENTRY


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database the monthly run has used")
    parser.add_argument("--awards", required=True, help="a points_awards.parquet of the results store")
    parser.add_argument("--month", required=True, type=checked_month, help="the first month to post them as")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 2])
    return parser.parse_args()


def checked_month(text: str) -> str:
    """A `YYYY-MM` month, refused otherwise."""
    parse_month(text)
    return text


def relabelled(awards: pa.Table, month: str) -> pa.Table:
    """The awards as if of another month."""
    at = awards.schema.get_field_index("month")
    return awards.set_column(at, "month", pa.array([month] * awards.num_rows, pa.string()))


def timed_posting(database: Engine, awards: pa.Table, month: str, connections: int) -> tuple[float, int]:
    """Seconds of one posting and the entries it wrote."""
    started = time.perf_counter()
    done = post_awards_in_parts(
        database, awards, month=month, expiry_years=2, recorded_by="bench", connections=connections
    )
    return time.perf_counter() - started, sum(part.earned_entries + part.reversal_entries for part in done)


def main() -> None:
    """Post, repost and print a table of figures."""
    args = parse_args()
    database = make_engine(args.database_url)
    awards = pq.read_table(args.awards)
    with database.connect() as conn:
        before = conn.execute(select(func.count()).select_from(ENTRY)).scalar_one()
    print(f"ledger before: {before:,} entries; awards: {awards.num_rows:,} rows; load average {os.getloadavg()}")
    print("| connections | month | posting | seconds | entries | entries/s |")
    print("|---|---|---|---|---|---|")
    for index, connections in enumerate(args.connections):
        month = add_months(args.month, index)
        month_awards = relabelled(awards, month)
        for label in ("first", "rerun"):
            seconds, entries = timed_posting(database, month_awards, month, connections)
            rate = f"{entries / seconds:,.0f}" if entries else "—"
            print(f"| {connections} | {month} | {label} | {seconds:.1f} | {entries:,} | {rate} |", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
