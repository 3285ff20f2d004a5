"""Client CPU of one TMF customer read: psycopg's asynchronous cursor against an asyncpg prepared statement.

Why the hot reads (db/async_reads.py) run on asyncpg: the statement's client-side cost is what is left to save
on that path. Runs TMF629 GET customer's statement (`one_customer_plan`'s, SQLAlchemy-compiled for each
driver) for the same customer codes on one connection of each driver, alternately, on uvloop; prints the
process CPU time per statement and the PostgreSQL backend's (from /proc, so the database must run on this
machine).

    .venv/bin/python benchmarks/bench_read_statement.py --database-url postgresql+psycopg://…/m1

The database is one `bench_http.py` filled (or any holding customers); nothing is written.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable

import asyncpg
import psycopg
import uvloop
from httpbench.cpu import process_seconds
from sqlalchemy import Executable, select
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.engine import make_url

from telcocrm.customers.tmf_mapping import one_customer_plan
from telcocrm.db.engine import make_engine
from telcocrm.models import Customer

Read = Callable[[str], Awaitable[object]]


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL holding customers (on this machine)")
    parser.add_argument("--statements", type=int, default=2000, help="statements per round and driver")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the drivers alternated in each")
    return parser.parse_args()


def tmf_read_statement() -> Executable:
    """The statement TMF629 GET customer runs (the first and, unless merged, only one of its plan)."""
    statement, _ = next(one_customer_plan("any"))
    return statement


async def psycopg_read(dsn: str) -> tuple[Read, int]:
    """The read on psycopg's asynchronous connection (autocommit; psycopg prepares it after 5 runs)."""
    compiled = tmf_read_statement().compile(dialect=psycopg_dialect.dialect())
    connection = await psycopg.AsyncConnection.connect(dsn, autocommit=True)

    async def read(code: str) -> object:
        async with connection.cursor() as cursor:
            await cursor.execute(compiled.string, compiled.construct_params({"code": code}), prepare=True)
            return await cursor.fetchall()

    return read, connection.info.backend_pid


async def asyncpg_read(dsn: str) -> tuple[Read, int]:
    """The read as an asyncpg prepared statement (named: asyncpg's statement cache left on)."""
    compiled = tmf_read_statement().compile(dialect=asyncpg_dialect.dialect())
    connection = await asyncpg.connect(dsn)
    prepared = await connection.prepare(compiled.string)
    order = compiled.positiontup or []

    async def read(code: str) -> object:
        values = compiled.construct_params({"code": code})
        return await prepared.fetch(*[values[name] for name in order])  # enums are str: asyncpg takes them

    return read, connection.get_server_pid()


async def measure(read: Read, pid: int, codes: list[str]) -> tuple[float, float]:
    """Client and backend CPU per statement, in ms."""
    backend, client = process_seconds(pid), time.process_time()
    for code in codes:
        await read(code)
    count = len(codes)
    return (time.process_time() - client) / count * 1000, (process_seconds(pid) - backend) / count * 1000


async def main(args: argparse.Namespace) -> None:
    """Alternate the drivers, round after round, on fresh codes each time."""
    engine = make_engine(args.database_url)
    with engine.connect() as conn:
        wanted = args.statements * args.rounds + 50
        codes = list(conn.execute(select(Customer.code).order_by(Customer.id).limit(wanted)).scalars())
    engine.dispose()
    dsn = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    drivers = {"psycopg (async cursor)": await psycopg_read(dsn), "asyncpg (prepared)": await asyncpg_read(dsn)}
    for read, _ in drivers.values():  # warm: prepared on the server, caches filled
        for code in codes[:50]:
            await read(code)
    print(f"{'round':>5}  {'driver':<24} {'client CPU ms':>14} {'backend CPU ms':>15}")
    for round_number in range(args.rounds):
        start = 50 + round_number * args.statements
        for name, (read, pid) in drivers.items():
            client, backend = await measure(read, pid, codes[start : start + args.statements])
            print(f"{round_number + 1:>5}  {name:<24} {client:>14.3f} {backend:>15.3f}")


if __name__ == "__main__":
    uvloop.run(main(parse_args()))
