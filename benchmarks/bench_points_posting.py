"""Times the monthly points posting alone: a month's awards file into the ledger, then the same month again.

.venv/bin/python benchmarks/bench_points_posting.py --database-url postgresql+psycopg://…/batch1m \\
    --awards /tmp/telcocrm-bench-batch/var/analytics/results/month=2026-10/points_awards.parquet \\
    --month 2027-01 --connections 1 2

The database is one the monthly run has used (accounts opened, earlier months posted: `bench_batch.py` leaves
one). For each `--connections` value, the awards are relabelled as a month not posted yet (`--month`, then the
months after it) and posted as the run posts them (telcocrm.loyalty.ledger_parts), then posted again: the first
is a month's first posting, the second a rerun that must write nothing. The entries are committed: use a
benchmark database. The machine may be shared: the load average before and after is printed.

With `--beside-writeback RESULTS` (the month's results folder, e.g. …/results/month=2026-10), it also times what
the posting adds to the run on PostgreSQL, where the run posts beside the histories' write-back: the write-back
of that month alone, a first posting alone, then the two side by side, `--rounds` times (alternating which goes
first alone). The write-back replaces that month's histories with the same rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, func, select

from telcocrm.db.engine import make_engine
from telcocrm.jobs.writeback import write_back
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
    parser.add_argument("--beside-writeback", type=Path, help="a results folder of the month: time the two together")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --beside-writeback")
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
    if args.beside_writeback:
        beside_writeback(database, awards, args.beside_writeback, add_months(args.month, len(args.connections)), args)
    print(f"load average after: {os.getloadavg()}")


def beside_writeback(database: Engine, awards: pa.Table, results: Path, month: str, args: argparse.Namespace) -> None:
    """The write-back alone, the posting alone (two connections), then both at once, as `run-month` does."""
    written = results.name.removeprefix("month=")
    alone: dict[str, list[float]] = {"write-back": [], "posting": []}
    together: list[float] = []
    for round_ in range(args.rounds):
        steps: list[tuple[str, Callable[[], object]]] = [
            ("write-back", partial(write_back, database, written, "bench", results)),
            ("posting", partial(timed_posting, database, relabelled(awards, month), month, 2)),
        ]
        for name, work in steps if round_ % 2 == 0 else steps[::-1]:
            started = time.perf_counter()
            work()
            alone[name].append(time.perf_counter() - started)
        month = add_months(month, 1)
        posting = threading.Thread(target=timed_posting, args=(database, relabelled(awards, month), month, 2))
        started = time.perf_counter()
        posting.start()
        write_back(database, written, "bench", results)
        posting.join()
        together.append(time.perf_counter() - started)
        month = add_months(month, 1)
    one_after_other = statistics.median(alone["write-back"]) + statistics.median(alone["posting"])
    side_by_side = statistics.median(together)
    print("\n| write-back alone | posting alone | one after the other | side by side | the posting adds |")
    print("|---|---|---|---|---|")
    print(
        f"| {_seconds(alone['write-back'])} | {_seconds(alone['posting'])} | {one_after_other:.1f} |"
        f" {_seconds(together)} | {side_by_side - statistics.median(alone['write-back']):.1f} |"
    )


def _seconds(values: list[float]) -> str:
    """Each round's seconds, the median first."""
    return f"{statistics.median(values):.1f} ({', '.join(f'{v:.1f}' for v in values)})"


if __name__ == "__main__":
    main()
