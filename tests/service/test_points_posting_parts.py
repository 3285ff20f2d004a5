"""The monthly posting in parts: the same ledger as one posting, each part its own transaction, nobody forgotten."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from telcocrm.loyalty.ledger_parts import post_awards_in_parts
from tests.service.test_points_ledger import BY, awards, balance, entry_sum, post

CODES = [f"C00000000{n:02d}" for n in range(1, 8)]


def in_parts(engine: Engine, table: pa.Table, part_rows: int = 2, connections: int = 1) -> int:
    """Post in parts of `part_rows` awards, `connections` at a time (PostgreSQL); how many parts it took."""
    done = post_awards_in_parts(
        engine, table, month="2026-03", expiry_years=2, recorded_by=BY, part_rows=part_rows, connections=connections
    )
    return len(done)


# On PostgreSQL, two connections post parts at the same time; SQLite has one writer and posts them one by one.
PARALLEL = pytest.mark.parametrize("connections", [1, 2])


@PARALLEL
def test_parts_post_what_one_posting_would_and_never_split_a_customer(clean_engine: Engine, connections: int) -> None:
    rows = [
        (code, rule, 10 * (n + 1)) for n, code in enumerate(CODES) for rule in ("points.consumption", "points.credit")
    ]
    rows.append((CODES[2], "points.tenure", 5))  # three awards for one customer: its part grows, not splits

    parts = in_parts(clean_engine, awards(*rows), connections=connections)

    assert parts == 7, "two awards a part, a customer's awards kept together"
    assert [balance(clean_engine, code) for code in CODES] == [20, 40, 65, 80, 100, 120, 140]
    assert in_parts(clean_engine, awards(*rows), connections=connections) == 7
    assert entry_sum(clean_engine) == 565, "posting the month again in parts writes nothing twice"


@PARALLEL
def test_a_customer_without_an_award_this_time_is_corrected_whatever_part_its_code_falls_in(
    clean_engine: Engine, connections: int
) -> None:
    post(clean_engine, awards(*((code, "points.credit", 50) for code in CODES)))
    # This run: the first, a middle and the last customer lost their award (their codes fall in no part's awards).
    kept = [code for code in CODES if code not in (CODES[0], CODES[3], CODES[6])]

    in_parts(
        clean_engine, awards(*((code, "points.credit", 50) for code in kept)), part_rows=1, connections=connections
    )

    assert [balance(clean_engine, code) for code in CODES] == [0, 50, 50, 0, 50, 50, 0]


def test_a_month_without_published_awards_withdraws_what_was_posted(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODES[0], "points.credit", 50)))

    assert in_parts(clean_engine, awards()) == 1
    assert balance(clean_engine, CODES[0]) == 0
