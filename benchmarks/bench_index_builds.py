"""The import's index builds one after another on one connection, against split over two connections.

A first load into PostgreSQL rebuilds the tables' keys and indexes at its end, one after another in its one
transaction (imports/writers.py `rebuilt_at_end`); at 1M customers that end is half the import
(docs/benchmarks.md § Customer import). This measures what building them beside each other would save: the same
index builds (copies of the import's text and id indexes, under other names, each transaction rolled back) on
one connection, then split over two, with and without PostgreSQL's parallel maintenance workers.

    .venv/bin/python benchmarks/bench_index_builds.py --database-url postgresql+psycopg://…/imported

The database must hold an imported base (e.g. after `bench_customer_import.py --database-url`); nothing is kept.
"""

from __future__ import annotations

import argparse
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

SUBSCRIBER_INDEXES = [
    "CREATE INDEX bench_1 ON subscriber (subscriber_code)",
    "CREATE INDEX bench_2 ON subscriber (service_number)",
    "CREATE INDEX bench_3 ON subscriber (customer_id)",
    "CREATE INDEX bench_4 ON subscriber (account_id)",
]
OTHER_INDEXES = [
    "CREATE INDEX bench_5 ON certificate (cert_number)",
    "CREATE INDEX bench_6 ON certificate (cert_type, cert_number)",
    "CREATE INDEX bench_7 ON customer (code)",
    "CREATE INDEX bench_8 ON customer (name varchar_pattern_ops)",
    "CREATE INDEX bench_9 ON billing_account (account_code)",
    "CREATE INDEX bench_10 ON billing_account (customer_id)",
]
MEMORY = "256MB"  # the import's maintenance_work_mem while it rebuilds


def build(dsn: str, statements: list[str], workers: int) -> None:
    """Run the builds in one transaction and roll it back."""
    with psycopg.connect(dsn) as conn:
        conn.execute(f"SET maintenance_work_mem = '{MEMORY}'")
        conn.execute(f"SET max_parallel_maintenance_workers = {workers}")
        for statement in statements:
            conn.execute(statement)
        conn.rollback()


def one_connection(dsn: str, workers: int) -> float:
    """Seconds for every build, one after another."""
    started = time.perf_counter()
    build(dsn, SUBSCRIBER_INDEXES + OTHER_INDEXES, workers)
    return time.perf_counter() - started


def two_connections(dsn: str, workers: int) -> float:
    """Seconds for the subscriber table's builds on one connection beside the other tables' on another."""
    started = time.perf_counter()
    threads = [
        threading.Thread(target=build, args=(dsn, part, workers)) for part in (SUBSCRIBER_INDEXES, OTHER_INDEXES)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    """Each way in turn, rounds alternated."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL holding an imported base")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    dsn = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    print(f"{'round':>5}  {'parallel workers':>16}  {'one connection s':>16}  {'two connections s':>17}")
    for round_number in range(1, args.rounds + 1):
        for workers in (2, 0):
            one, two = one_connection(dsn, workers), two_connections(dsn, workers)
            print(f"{round_number:>5}  {workers:>16}  {one:>16.1f}  {two:>17.1f}")


if __name__ == "__main__":
    main()
