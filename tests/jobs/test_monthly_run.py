"""The monthly run end to end, as an operator runs it: synthetic operator → import → ingest → run-month.

One synthetic operator per module; the run of its last month on DuckDB, then again on Spark, which must give
row-for-row the same results and replace the month rather than add to it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from telcocrm.analytics import schemas
from telcocrm.analytics.backends import Engine as BatchEngine
from telcocrm.analytics.backends import connect, write_parquet_parts
from telcocrm.analytics.marts.results import subscriber_results
from telcocrm.analytics.parts import HashPart, parts_for
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.db.job_locks import MONTHLY_RUN, holding_job_lock
from telcocrm.jobs.monthly_run import STEPS
from telcocrm.jobs.rules import load_rules
from telcocrm.models import ChurnRecord, CreditRatingHistory, LifecycleHistory, PointsEntry, SegmentHistory
from tests.conftest import empty_database

SUBSCRIBERS = 1500
MONTHS = 4
END_MONTH = "2026-10"
RESULT_FILES = {
    "subscriber_features": ("subscriber_id",),
    "customer_features": ("customer_code",),
    "credit": ("customer_code",),
    "segments": ("customer_code",),
    "lifecycle": ("subscriber_id",),
    "subscriber_results": ("subscriber_id",),
    "subscriber_points": ("subscriber_id",),
    "points_awards": ("customer_code", "rule", "source"),
    "points_liability": ("city", "segment", "value_tier"),
    "churn_warnings": ("subscriber_id",),
    "retention_caps": ("customer_code",),
    "retention_offers": ("customer_code",),
    "retention_matrix": ("lifecycle_stage", "value_tier", "brand"),
    "warning_list": ("customer_code",),
}


@dataclass
class Operator:
    env: dict[str, str]
    data_dir: Path
    synth_dir: Path
    months: list[str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "telcocrm.cli", *args], env=self.env, capture_output=True, text=True, timeout=600
        )

    def results_dir(self, month: str) -> Path:
        return self.data_dir / "analytics" / "results" / f"month={month}"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def operator(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    """A synthetic operator imported into an empty database, its months ingested."""
    empty_database(engine)
    root = tmp_path_factory.mktemp("operator")
    env = os.environ | {
        "TELCOCRM_DATABASE_URL": database_url,
        "TELCOCRM_ENVIRONMENT": "test",
        "TELCOCRM_DATA_DIR": str(root / "var"),
    }
    op = Operator(env=env, data_dir=root / "var", synth_dir=root / "synth", months=[])
    ok(op.cli("synth", "--subscribers", str(SUBSCRIBERS), "--months", str(MONTHS), "--seed", "7",
              "--end-month", END_MONTH, str(op.synth_dir)))  # fmt: skip
    ok(op.cli("customers", "import", str(op.synth_dir / "customers.parquet")))
    op.months = sorted(p.name for p in op.synth_dir.iterdir() if p.is_dir() and p.name[:2] == "20")
    for month in op.months:
        ok(op.cli("ingest", str(op.synth_dir / month), "--month", month))
    yield op
    empty_database(engine)


def read_sorted(path: Path, keys: tuple[str, ...]) -> pa.Table:
    return pq.read_table(path).sort_by([(k, "ascending") for k in keys])


def test_a_month_runs_on_duckdb_with_every_subscriber_rated_segmented_and_staged(
    operator: Operator, engine: Engine
) -> None:
    for month in operator.months:  # in order, so class I can count consecutive months of A
        out = ok(operator.cli("run-month", month))
    assert "credit_rating" in out and "lifecycle_stage" in out
    recorded = json.loads((operator.results_dir(END_MONTH) / "run.json").read_text(encoding="utf-8"))
    # every step, and on PostgreSQL also `points_wait` (the posting runs beside the write-back)
    assert set(STEPS) <= set(recorded["step_seconds"]) <= {*STEPS, "points_wait"}, "the run times every step"
    results = pq.read_table(operator.results_dir(END_MONTH) / "subscriber_results.parquet")
    assert [(f.name, f.type) for f in results.schema] == [(f.name, f.type) for f in schemas.SUBSCRIBER_RESULTS]
    features = pq.read_table(operator.results_dir(END_MONTH) / "subscriber_features.parquet")
    assert results.num_rows == features.num_rows > SUBSCRIBERS * 0.8
    for column in ("credit_rating", "credit_class", "segment", "value_tier", "star_tier", "lifecycle_stage"):
        assert results[column].null_count == 0, column
    for rule in ("credit_rule", "class_rule", "segment_rule", "value_rule", "star_rule", "lifecycle_rule"):
        assert results[rule].null_count == 0, f"every value names the rule that decided it: {rule}"
    assert set(results["credit_rating"].to_pylist()) <= {"A", "B", "C"}
    assert len(set(results["credit_rating"].to_pylist())) >= 2, "a realistic operator has more than one rating"
    assert set(results["segment"].to_pylist()) == {"government_enterprise", "family", "personal"}
    customers = pq.read_table(operator.results_dir(END_MONTH) / "credit.parquet").num_rows
    with engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(CreditRatingHistory).where(CreditRatingHistory.month == END_MONTH)
        ).scalar_one()
        staged = conn.execute(
            select(func.count()).select_from(LifecycleHistory).where(LifecycleHistory.month == END_MONTH)
        ).scalar_one()
        months = conn.execute(select(func.count(func.distinct(SegmentHistory.month)))).scalar_one()
    assert stored == customers
    assert staged == pq.read_table(operator.results_dir(END_MONTH) / "lifecycle.parquet").num_rows
    assert months == len(operator.months)


def test_the_results_joined_in_hash_parts_are_the_rows_of_the_whole_join(operator: Operator, tmp_path: Path) -> None:
    # Beyond batch_part_rows subscribers (10M) the run joins the results one hash part of customers at a time:
    # the parts together must give every subscriber once, with the same values as the whole join.
    month_dir = operator.results_dir(END_MONTH)
    whole = read_sorted(month_dir / "subscriber_results.parquet", ("subscriber_id",))
    names = ("subscriber_features", "credit", "segments", "lifecycle")
    parts = parts_for(whole.num_rows, whole.num_rows // 3)
    assert len(parts) >= 3
    with connect(BatchEngine.DUCKDB) as con:
        marts = [con.read_parquet(str(month_dir / f"{name}.parquet")) for name in names]
        version = whole["rules_version"][0].as_py()

        def build(part: HashPart) -> object:
            return subscriber_results(*marts, month=END_MONTH, rules_version=version, part=part)

        sizes = [con.execute(build(part).count()) for part in parts]
        written = write_parquet_parts(con, build, tmp_path / "parts.parquet", schemas.SUBSCRIBER_RESULTS, parts)
    assert all(size > 0 for size in sizes), "every part holds some customers"
    in_parts = read_sorted(tmp_path / "parts.parquet", ("subscriber_id",))
    assert written == sum(sizes) == whole.num_rows
    assert in_parts.equals(whole.cast(in_parts.schema))


@pytest.mark.spark
def test_spark_gives_row_for_row_the_same_results_and_a_rerun_replaces_the_month(
    operator: Operator, engine: Engine, tmp_path: Path
) -> None:
    duckdb_copy = tmp_path / "duckdb"
    shutil.copytree(operator.results_dir(END_MONTH), duckdb_copy)
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(CreditRatingHistory)).scalar_one()
    ok(operator.cli("run-month", END_MONTH, "--engine", "spark"))
    for name, keys in RESULT_FILES.items():
        on_duckdb = read_sorted(duckdb_copy / f"{name}.parquet", keys)
        on_spark = read_sorted(operator.results_dir(END_MONTH) / f"{name}.parquet", keys)
        assert on_spark.num_rows == on_duckdb.num_rows, name
        for column in on_duckdb.column_names:
            assert on_spark[column].equals(on_duckdb[column]), f"{name}.{column} differs between engines"
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(CreditRatingHistory)).scalar_one()
    assert after == before, "running a month again replaces it"


def published(awards: pa.Table) -> int:
    """The points of the published awards."""
    return int(pc.sum(awards.filter(awards["published"])["points"]).as_py() or 0)


def published_points(operator: Operator) -> int:
    """The published award points of every month run so far."""
    return sum(published(pq.read_table(operator.results_dir(m) / "points_awards.parquet")) for m in operator.months)


def ledger(engine: Engine) -> tuple[int, int]:
    """The points of every entry, and how many entries there are."""
    with engine.connect() as conn:
        points, entries = conn.execute(select(func.coalesce(func.sum(PointsEntry.points), 0), func.count())).one()
    return int(points), int(entries)


def test_each_month_warns_within_the_cost_caps_and_records_its_leavers(operator: Operator, engine: Engine) -> None:
    folder = operator.results_dir(END_MONTH)
    features = pq.read_table(folder / "subscriber_features.parquet")
    left = features.filter(features["terminated_in_month"])
    warnings = pq.read_table(folder / "churn_warnings.parquet")
    assert warnings.num_rows == features.num_rows - left.num_rows, "every line still in the network is checked"
    listed = pq.read_table(folder / "warning_list.parquet").to_pylist()
    assert listed, "a realistic month has warned customers"
    values = [row["risk_value_fen"] for row in listed]
    assert values == sorted(values, reverse=True), "the list comes riskiest × most valuable first"
    offered = [row for row in listed if row["measure_code"] is not None]
    assert offered and all(row["measure_cost_fen"] <= row["cost_cap_fen"] for row in offered)
    assert all(row["rule_reasons"] for row in listed if "rules" in row["warned_by"])
    with engine.connect() as conn:
        recorded = conn.execute(
            select(func.count()).select_from(ChurnRecord).where(ChurnRecord.month_left == END_MONTH)
        ).scalar_one()
    assert recorded == left.num_rows > 0, "every line that left in the month is in the churn database"


def test_the_published_points_of_every_month_reach_the_ledger_once(operator: Operator, engine: Engine) -> None:
    awards = pq.read_table(operator.results_dir(END_MONTH) / "points_awards.parquet")
    assert 0 < sum(awards["published"].to_pylist()) < awards.num_rows, "some customers' points are published"
    points, entries = ledger(engine)
    assert points == published_points(operator) > 0
    liability = pq.read_table(operator.results_dir(END_MONTH) / "points_liability.parquet")
    unit_cost = load_rules().loyalty.reward_unit_cost_fen
    assert sum(liability["liability_fen"].to_pylist()) == published(awards) * unit_cost

    ok(operator.cli("run-month", END_MONTH))  # a rerun of the month

    assert ledger(engine) == (points, entries), "a rerun of a month adds nothing twice"


def test_a_run_that_dies_leaves_the_previous_results_as_they_were(operator: Operator, engine: Engine) -> None:
    """The database is locked by someone else when the run comes to write: the run fails, nothing changes."""
    kept = pq.read_table(operator.results_dir(END_MONTH) / "credit.parquet")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(CreditRatingHistory)).scalar_one()
    env = operator.env | {"PGOPTIONS": "-c lock_timeout=2000"}  # SQLite gives up after its busy timeout
    with engine.connect() as locker:
        if locker.dialect.name == "sqlite":
            locker.exec_driver_sql("BEGIN EXCLUSIVE")
        else:
            locker.exec_driver_sql("BEGIN")
            locker.exec_driver_sql("LOCK TABLE credit_rating_history IN ACCESS EXCLUSIVE MODE")
        died = subprocess.run(
            [sys.executable, "-m", "telcocrm.cli", "run-month", END_MONTH],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        locker.rollback()
    assert died.returncode != 0, died.stdout
    assert pq.read_table(operator.results_dir(END_MONTH) / "credit.parquet").equals(kept)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CreditRatingHistory)).scalar_one() == stored
    leftovers = list((operator.data_dir / "analytics" / ".staging").glob("results-*"))
    assert not leftovers, "a failed run removes its staging folder"


def test_a_month_never_ingested_is_refused_by_name(operator: Operator) -> None:
    refused = operator.cli("run-month", "2031-01")
    assert refused.returncode != 0
    assert "2031-01" in refused.stdout + refused.stderr


HOLD_STORE = """
import sys, time
from pathlib import Path
from telcocrm.analytics.store import AnalyticsStore
with AnalyticsStore(Path(sys.argv[1])).writing("run-month 2026-10"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_one_job_at_a_time_writes_the_store_and_a_killed_one_frees_it(operator: Operator) -> None:
    """While a run holds the store, another run and an ingest are refused naming it; nothing of theirs is written."""
    kept = pq.read_table(operator.results_dir(END_MONTH) / "credit.parquet")
    store = operator.data_dir / "analytics"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(store)], env=operator.env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second_run = operator.cli("run-month", END_MONTH)
        second_ingest = operator.cli("ingest", str(operator.synth_dir / END_MONTH), "--month", END_MONTH)
    finally:
        holder.kill()  # SIGKILL: no clean-up of its own runs
        holder.wait()
    for refused in (second_run, second_ingest):
        assert refused.returncode == 1, refused.stdout
        assert f"run-month 2026-10 (pid {holder.pid}" in " ".join(refused.stderr.split())
        assert "Traceback" not in refused.stderr
    assert pq.read_table(operator.results_dir(END_MONTH) / "credit.parquet").equals(kept)
    assert not list((store / ".staging").glob("*")), "a refused job leaves no staging folder"
    with AnalyticsStore(store).writing("a test"):  # the kernel released the killed holder's lock
        pass


def test_a_run_from_another_machine_writing_the_same_database_is_refused(operator: Operator, engine: Engine) -> None:
    """PostgreSQL: a run whose store is free (another machine's) is refused while a run holds the database."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite is a file beside the store: the store's lock covers it")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(CreditRatingHistory)).scalar_one()
    with holding_job_lock(engine, MONTHLY_RUN, "run-month 2026-10"):
        refused = operator.cli("run-month", END_MONTH)
    assert refused.returncode == 1, refused.stdout
    assert "another monthly run is writing the database (pid " in " ".join(refused.stderr.split())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CreditRatingHistory)).scalar_one() == stored
