"""The write-back: a month's results land in the histories, a rerun replaces them, a broken file changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from telcocrm.customers.records import published
from telcocrm.errors import InvalidInput
from telcocrm.jobs import writeback
from telcocrm.jobs.writeback import new_run_id, write_back
from telcocrm.models import CreditRatingHistory, LifecycleHistory, SegmentHistory
from tests.assessment_factories import RULES, credit_row, lifecycle_row, results, segment_row


def october(tmp_path: Path, rating: str = "A") -> Path:
    return results(
        tmp_path / f"october-{rating}",
        [credit_row("000000000011", rating), credit_row("000000000022", "C")],
        [segment_row("000000000011", "high"), segment_row("000000000022")],
        [lifecycle_row("S1"), lifecycle_row("S2", "warning"), lifecycle_row("S3", "growth")],
        {"S1": "000000000011", "S2": "000000000011", "S3": "000000000022"},
    )


def stored(engine: Engine, model: Any, *names: str) -> list[tuple[Any, ...]]:
    """The rows readers see: those of the run each month shows."""
    columns = [getattr(model, name) for name in names]
    shown = select(*columns).where(published(model.__table__)).order_by(*columns[:2])
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(shown)]


def all_rows(engine: Engine, model: Any) -> int:
    """Every row of the table, published or not."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_month_lands_in_the_three_histories(clean_engine: Engine, tmp_path: Path) -> None:
    write_back(clean_engine, "2026-10", RULES, october(tmp_path))

    assert stored(
        clean_engine, CreditRatingHistory, "customer_code", "month", "credit_rating", "rental_eligible", "rules_version"
    ) == [("000000000011", "2026-10", "A", True, RULES), ("000000000022", "2026-10", "C", False, RULES)]
    assert stored(clean_engine, CreditRatingHistory, "customer_code", "overdraft_limit_fen", "credit_reason")[0] == (
        "000000000011",
        50_000,
        "近6个月按时缴费 / paid on time for 6 months",
    )
    assert stored(clean_engine, SegmentHistory, "customer_code", "value_tier", "special_class", "sub_segment") == [
        ("000000000011", "high", True, None),
        ("000000000022", "mid", True, None),
    ]
    assert stored(clean_engine, LifecycleHistory, "subscriber_code", "customer_code", "lifecycle_stage") == [
        ("S1", "000000000011", "stable"),
        ("S2", "000000000011", "warning"),
        ("S3", "000000000022", "growth"),
    ]


def test_rerun_replaces_the_month_and_leaves_other_months(clean_engine: Engine, tmp_path: Path) -> None:
    write_back(clean_engine, "2026-09", RULES, october(tmp_path, "B"))
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    write_back(clean_engine, "2026-10", "2026-11-23#ffff0000", october(tmp_path, "A"))

    ratings = stored(clean_engine, CreditRatingHistory, "customer_code", "month", "credit_rating", "rules_version")
    assert ratings == [
        ("000000000011", "2026-09", "B", RULES),
        ("000000000011", "2026-10", "A", "2026-11-23#ffff0000"),
        ("000000000022", "2026-09", "C", RULES),
        ("000000000022", "2026-10", "C", "2026-11-23#ffff0000"),
    ]
    assert len(stored(clean_engine, LifecycleHistory, "subscriber_code", "month")) == 6
    assert len(stored(clean_engine, SegmentHistory, "customer_code", "month")) == 4
    assert all_rows(clean_engine, LifecycleHistory) == 6  # the replaced run's rows are gone, not just hidden


def test_missing_column_leaves_the_previous_rows(clean_engine: Engine, tmp_path: Path) -> None:
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    broken = october(tmp_path, "A")
    table = pq.read_table(broken / "segments.parquet").drop_columns(["star_tier"])
    pq.write_table(table, broken / "segments.parquet")

    with pytest.raises(InvalidInput) as raised:
        write_back(clean_engine, "2026-10", "other", broken)

    assert raised.value.field == "star_tier"
    assert {r[2] for r in stored(clean_engine, CreditRatingHistory, "customer_code", "month", "rules_version")} == {
        RULES
    }
    assert len(stored(clean_engine, LifecycleHistory, "subscriber_code", "month")) == 3


def test_failure_while_inserting_rolls_everything_back(clean_engine: Engine, tmp_path: Path) -> None:
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    duplicated = results(
        tmp_path / "duplicated",
        [credit_row("000000000011", "A")],
        [segment_row("000000000011")],
        [lifecycle_row("S1"), lifecycle_row("S1")],  # the same line twice: the key refuses it at the end
        {"S1": "000000000011"},
    )

    with pytest.raises(IntegrityError):
        write_back(clean_engine, "2026-10", "other", duplicated)

    assert stored(clean_engine, CreditRatingHistory, "customer_code", "credit_rating") == [
        ("000000000011", "B"),
        ("000000000022", "C"),
    ]
    assert len(stored(clean_engine, LifecycleHistory, "subscriber_code", "month")) == 3
    assert all_rows(clean_engine, LifecycleHistory) == 3


def test_rows_of_a_killed_run_stay_hidden_and_go_at_the_next_run(clean_engine: Engine, tmp_path: Path) -> None:
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    killed = {"customer_code": "000000000011", "month": "2026-10", "run_id": new_run_id(), "rules_version": "x"}
    row = credit_row("000000000011", "A") | killed | {"recorded_at": datetime.now(UTC)}
    with clean_engine.begin() as conn:  # what a run killed halfway through its load leaves behind
        conn.execute(insert(CreditRatingHistory), [row])

    assert stored(clean_engine, CreditRatingHistory, "customer_code", "credit_rating") == [
        ("000000000011", "B"),
        ("000000000022", "C"),
    ]
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    assert all_rows(clean_engine, CreditRatingHistory) == 2


def test_sqlite_lets_others_write_while_a_month_loads(
    clean_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if clean_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writes each history partition apart: other tables never wait for the load")
    monkeypatch.setattr(writeback, "SQLITE_PART_ROWS", 1)  # a row per part, a checkpoint every other part
    monkeypatch.setattr(writeback, "CHECKPOINT_PARTS", 2)
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    seen: list[list[tuple[Any, ...]]] = []

    def meanwhile() -> None:
        # Another process's writer (the web logging a sign-in) takes the write lock at once, and every reader
        # sees one whole run of the month: the old one until the new one is published.
        other = sqlite3.connect(clean_engine.url.database or "", timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
        seen.append(stored(clean_engine, CreditRatingHistory, "customer_code", "credit_rating"))

    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "A"), between_transactions=meanwhile)

    old, new = [("000000000011", "B"), ("000000000022", "C")], [("000000000011", "A"), ("000000000022", "C")]
    assert len(seen) >= 3 + 7 + 1  # a leftovers check per history, each of the 7 rows (a part each), publishing
    assert all(view in (old, new) for view in seen)
    assert seen[0] == old and seen[-1] == new


def test_lifecycle_of_a_subscriber_without_features_is_refused(clean_engine: Engine, tmp_path: Path) -> None:
    folder = results(tmp_path / "orphan", [], [], [lifecycle_row("S9")], {"S1": "000000000011"})

    with pytest.raises(InvalidInput, match="S9"):
        write_back(clean_engine, "2026-10", RULES, folder)


def test_special_characters_in_reasons_survive(clean_engine: Engine, tmp_path: Path) -> None:
    reason = "逾期\t30天\\欠费\n / 30 days late"
    folder = results(tmp_path / "escapes", [credit_row("000000000011", "C", credit_reason=reason)], [], [], {})

    write_back(clean_engine, "2026-10", RULES, folder)

    assert stored(clean_engine, CreditRatingHistory, "customer_code", "credit_reason") == [("000000000011", reason)]


def test_postgresql_swaps_in_partitions_with_their_indexes_and_no_load_left(
    clean_engine: Engine, tmp_path: Path
) -> None:
    if clean_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no partitions: a month's rows go in by parts")
    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "B"))
    with clean_engine.begin() as conn:  # what a run killed during its load leaves behind, committed
        conn.exec_driver_sql("CREATE TABLE credit_rating_history_m2026_10_load (LIKE credit_rating_history)")

    write_back(clean_engine, "2026-10", RULES, october(tmp_path, "A"))

    assert stored(clean_engine, CreditRatingHistory, "customer_code", "credit_rating") == [
        ("000000000011", "A"),
        ("000000000022", "C"),
    ]
    with clean_engine.connect() as conn:
        tables = list(conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE '%history%'")).scalars())
        # Each partition index is linked to its history's index, so a key or lookup on the history uses it.
        linked = conn.execute(
            text(
                "SELECT child.relname, parent.relname FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid"
                " JOIN pg_class parent ON parent.oid = inhparent WHERE child.relkind = 'i'"
                " AND child.relname LIKE '%m2026_10%'"
            )
        ).all()
    assert "credit_rating_history_m2026_10" in tables
    assert not [t for t in tables if t.endswith("_load")]
    assert sorted(linked) == [
        ("credit_rating_history_m2026_10_pkey", "pk_credit_rating_history"),
        ("lifecycle_history_m2026_10_customer_code_month_idx", "ix_lifecycle_history_customer_code_month"),
        ("lifecycle_history_m2026_10_pkey", "pk_lifecycle_history"),
        ("segment_history_m2026_10_pkey", "pk_segment_history"),
    ]
