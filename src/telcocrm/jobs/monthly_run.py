"""The monthly run: billing extracts and the operational base → features, credit, segments, lifecycle → results.

Every step is an Ibis expression materialised to Parquet in the month's staging folder, so the plan of each
step stays small on Spark and DuckDB alike. The results reach the operational database in one transaction
inside that staging, so a run that dies at any point leaves the previous month's results and history as they
were, and running a month again replaces exactly that month.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine as SqlEngine

from telcocrm.analytics import schemas
from telcocrm.analytics.backends import Engine, connect, read_parquet, write_parquet, write_parquet_parts
from telcocrm.analytics.parts import HashPart, parts_for
from telcocrm.analytics.sources import load_month_inputs
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.db.job_locks import MONTHLY_RUN, holding_job_lock
from telcocrm.errors import InvalidInput
from telcocrm.jobs.rules import MonthlyRules, load_rules
from telcocrm.jobs.run_summary import RunSummary, summarise
from telcocrm.kit.months import add_months, month_end, parse_month

Step = Callable[[str], None]
RUN_RECORDER = "monthly-run"  # who the ledger says posted the month's points
STEPS = (
    "base",
    "subscriber_features",
    "customer_features",
    "credit",
    "segments",
    "lifecycle",
    "subscriber_results",
    "churn_warnings",
    "churn_scores",
    "retention_caps",
    "retention_offers",
    "retention_matrix",
    "warning_list",
    "points_members",
    "subscriber_points",
    "points_awards",
    "points_liability",
    "database",
    "points",
    "cards",
    "churn_records",
)


@dataclass
class RunReport:
    month: str
    engine: str
    rules_version: str
    subscribers: int = 0
    customers: int = 0
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)
    churn_model: str | None = None  # the version of the churn model that scored the month; None: no model published
    summary: RunSummary | None = None


def run_month(
    month: str,
    *,
    database: SqlEngine,
    engine: Engine = Engine.DUCKDB,
    store: AnalyticsStore | None = None,
    rules: MonthlyRules | None = None,
    on_step: Step | None = None,
) -> RunReport:
    """Run the month on the engine and write its results to the store and the operational database."""
    parse_month(month)
    store = store or AnalyticsStore.from_settings()
    rules = rules or load_rules()
    if not store.extract_path(month, "bills").exists():
        raise InvalidInput(f"{month} 的账单数据尚未导入 / no billing extract ingested for {month}", field="month")
    report = RunReport(month=month, engine=engine.value, rules_version=rules.rules_version)
    started = time.perf_counter()
    job = f"run-month {month}"
    with (
        store.writing(job),
        holding_job_lock(database, MONTHLY_RUN, job),
        connect(engine) as con,
        store.replacing("results", month) as out,
    ):
        _run_steps(con, store, out, month, database, rules, report, on_step or (lambda _: None))
        report.summary = summarise(store, month, out)
        report.seconds = time.perf_counter() - started
        _record(report, out / "run.json")
    return report


def _record(report: RunReport, path: Path) -> None:
    """The run's own figures beside its results (benchmarks and operators read the time of each step)."""
    figures = {k: v for k, v in asdict(report).items() if k != "summary"}
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


@dataclass
class _Month:
    """What every step of one month's run shares: the engine, the staging folder, the rules, the timing."""

    con: Any
    store: AnalyticsStore
    out: Path
    month: str
    database: SqlEngine
    rules: MonthlyRules
    report: RunReport
    timer: _Timer

    def materialise(self, name: str, expr: Any, schema: pa.Schema) -> Any:
        """Write the step's table to the staging folder (timed) and read it back for the steps after it."""
        with self.timer(name):
            rows = write_parquet(self.con, expr, self.out / f"{name}.parquet", schema)
        if name == "subscriber_features":
            self.report.subscribers = rows
        if name == "customer_features":
            self.report.customers = rows
        return self.read(name)

    def materialise_parts(self, name: str, build: Callable[[HashPart], Any], schema: pa.Schema) -> None:
        """Write a table whose joins outgrow memory at scale part by part (write_parquet_parts); not read back."""
        from telcocrm.config import get_settings

        with self.timer(name):
            parts = parts_for(self.report.subscribers, get_settings().batch_part_rows)
            write_parquet_parts(self.con, build, self.out / f"{name}.parquet", schema, parts)

    def read(self, name: str) -> Any:
        return self.con.read_parquet(str(self.out / f"{name}.parquet"))


def _run_steps(
    con: Any,
    store: AnalyticsStore,
    out: Path,
    month: str,
    database: SqlEngine,
    rules: MonthlyRules,
    report: RunReport,
    on_step: Step,
) -> None:
    from telcocrm.analytics.intermediate.customer_features import customer_features
    from telcocrm.analytics.intermediate.subscriber_features import subscriber_features
    from telcocrm.analytics.marts.clusters import fit_behaviour_clusters
    from telcocrm.analytics.marts.credit import credit_ratings
    from telcocrm.analytics.marts.lifecycle import lifecycle_stages
    from telcocrm.analytics.marts.results import subscriber_results
    from telcocrm.analytics.marts.segments import customer_segments
    from telcocrm.jobs.base_snapshot import snapshot_base
    from telcocrm.jobs.writeback import write_back

    m = _Month(con, store, out, month, database, rules, report, _Timer(report, on_step))
    with m.timer("base"):
        snapshot_base(database, out / "base.parquet", as_of=month_end(month))
    inputs = load_month_inputs(con, store, month, out / "base.parquet")
    features = m.materialise("subscriber_features", subscriber_features(inputs), schemas.SUBSCRIBER_FEATURES)
    customers = m.materialise(
        "customer_features", customer_features(inputs, features, rules=rules.credit), schemas.CUSTOMER_FEATURES
    )
    # The results the write-back stores are written in the order of the histories' keys: SQLite then inserts
    # into its indexes page after page instead of all over them (measured: several times faster on a million).
    credit = m.materialise(
        "credit", credit_ratings(inputs, customers, rules.credit).order_by("customer_code"), schemas.CREDIT
    )
    centroids = fit_behaviour_clusters(out / "customer_features.parquet", rules.segments)
    segments = m.materialise(
        "segments",
        customer_segments(customers, credit, rules.segments, centroids).order_by("customer_code"),
        schemas.SEGMENTS,
    )
    lifecycle = m.materialise(
        "lifecycle", lifecycle_stages(features, rules.lifecycle).order_by("subscriber_id"), schemas.LIFECYCLE
    )

    def results(part: HashPart) -> Any:
        version = rules.rules_version
        return subscriber_results(features, credit, segments, lifecycle, month=month, rules_version=version, part=part)

    m.materialise_parts("subscriber_results", results, schemas.SUBSCRIBER_RESULTS)
    report.churn_model = _churn(m, features, customers, segments, lifecycle)
    _points(m, inputs, features, customers, credit, segments)
    leavers = partial(record_leavers, database, store, month, out)
    _write_back_and_post(m, partial(write_back, database, month, rules.rules_version, out), leavers)
    with m.timer("cards"):
        review_cards(database)


def _write_back_and_post(m: _Month, write_back: Callable[[], object], leavers: Callable[[], object]) -> None:
    """The histories' write-back and the month's points posting: side by side on PostgreSQL, and the month's
    leavers recorded after the write-back while the posting finishes.

    They write different tables in transactions of their own. On PostgreSQL, while the write-back's COPY waits
    for Python to encode its rows, the posting's connections keep the server busy, and the other way round: at
    1M the two took 22.1 s side by side against 24.2 s one after the other (bench_points_posting.py
    --beside-writeback, docs/benchmarks.md § Loyalty). Since the write-back loads its histories side by side
    it ends first (1M: 13.5 s against the posting's 16.5 s), so the leavers go in while the run would wait
    (1M, first runs: 53.3 and 53.5 s against 54.1 and 54.0 s with the leavers after the posting).
    SQLite has one writer: one after the other. `points` is the posting's own time; `points_wait`, what the run
    waited for it after the write-back and the leavers.
    """
    post = partial(post_month_points, m.database, m.month, m.rules, m.out / "points_awards.parquet")
    if m.database.dialect.name != "postgresql":
        with m.timer("database"):
            write_back()
        with m.timer("churn_records"):
            leavers()
        with m.timer("points"):
            post()
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="points-posting") as pool:
        posting = pool.submit(m.timer.quietly("points", post))  # the bar shows "points" once the run waits
        with m.timer("database"):
            write_back()
        with m.timer("churn_records"):
            leavers()
        waited = time.perf_counter()
        m.timer.on_step("points")
        posting.result()
        m.report.step_seconds["points_wait"] = time.perf_counter() - waited


def _points(m: _Month, inputs: Any, features: Any, customers: Any, credit: Any, segments: Any) -> None:
    """The month's points: per line, the awards per customer (published or not), the liability."""
    from telcocrm.analytics.marts.points import points_awards, points_liability, subscriber_points
    from telcocrm.analytics.marts.referrals import referrals_due
    from telcocrm.jobs.base_snapshot import snapshot_points_members

    loyalty = m.rules.loyalty
    with m.timer("points_members"):
        snapshot_points_members(m.database, m.out / "points_members.parquet")
    members = read_parquet(m.con, [m.out / "points_members.parquet"], schemas.POINTS_MEMBERS)
    before = m.store.result_path(add_months(m.month, -1), "customer_features")
    previous = read_parquet(m.con, [before], schemas.CUSTOMER_FEATURES) if before.exists() else None
    lines = m.materialise(
        "subscriber_points",
        subscriber_points(inputs, features, customers, segments, loyalty),
        schemas.SUBSCRIBER_POINTS,
    )
    awards = points_awards(
        lines,
        customers,
        credit,
        segments,
        members,
        loyalty,
        month=m.month,
        previous_customers=previous,
        referrals=referrals_due(inputs),
    )
    awards = m.materialise("points_awards", awards.order_by("customer_code", "rule", "source"), schemas.POINTS_AWARDS)
    liability = points_liability(awards, segments, m.read("base"), loyalty.reward_unit_cost_fen)
    m.materialise("points_liability", liability, schemas.POINTS_LIABILITY)


def _churn(m: _Month, features: Any, customers: Any, segments: Any, lifecycle: Any) -> str | None:
    """Warnings by rule, scores by the published model (when there is one), caps, offers, matrix, warning list."""
    from telcocrm.analytics.marts.churn_warnings import churn_warnings
    from telcocrm.analytics.marts.retention import retention_caps, retention_offers
    from telcocrm.analytics.marts.retention_matrix import retention_matrix
    from telcocrm.analytics.marts.warning_list import warning_list
    from telcocrm.churn.cost_cap import load_retention_rules

    retention, churn = load_retention_rules(), m.rules.churn
    warnings = m.materialise("churn_warnings", churn_warnings(features, churn), schemas.CHURN_WARNINGS)
    with m.timer("churn_scores"):
        version = score_churn(m.con, features, m.out)
    scores = m.read("churn_scores") if version else None
    caps = retention_caps(customers, segments, features, retention).order_by("customer_code")
    caps = m.materialise("retention_caps", caps, schemas.RETENTION_CAPS)
    offers = retention_offers(warnings, scores, lifecycle, caps, features, retention, churn)
    offers = m.materialise("retention_offers", offers.order_by("customer_code"), schemas.RETENTION_OFFERS)
    matrix = retention_matrix(lifecycle, segments, features, warnings, retention)
    m.materialise("retention_matrix", matrix, schemas.RETENTION_MATRIX)
    listed = warning_list(offers, m.read("base"), features, warnings, scores)
    m.materialise("warning_list", listed, schemas.WARNING_LIST)
    return version


def score_churn(con: Any, features: Any, out: Path) -> str | None:
    """The month's lines scored by the published churn model into churn_scores.parquet; its version, or None."""
    from telcocrm.analytics.backends import map_batches
    from telcocrm.churn.monthly_config import load_model_settings
    from telcocrm.churn.scoring import ChurnScorer, lines_to_score, published_model_path, with_risk_deciles
    from telcocrm.config import get_settings

    path = published_model_path(get_settings().data_dir)
    if not path.exists():
        return None
    settings = load_model_settings()
    scorer = ChurnScorer(path.read_text(encoding="utf-8"), settings)
    scorer.check(schemas.SUBSCRIBER_FEATURES)
    scored = out / "churn_scored.parquet"
    map_batches(
        con, lines_to_score(features, scorer.model), scorer, scored, schemas.CHURN_SCORES, settings.scoring.batch_rows
    )
    write_parquet(
        con, with_risk_deciles(con.read_parquet(str(scored))), out / "churn_scores.parquet", schemas.CHURN_SCORES
    )
    scored.unlink()
    return scorer.version


def record_leavers(database: SqlEngine, store: AnalyticsStore, month: str, out: Path) -> None:
    """The month's leavers into the churn database (a rerun adds nothing twice, surveyed reasons stay)."""
    from telcocrm.churn.leavers import record_month_leavers

    following = store.result_path(add_months(month, 1), "base")
    record_month_leavers(
        database,
        month,
        out / "subscriber_features.parquet",
        out / "base.parquet",
        next_base_path=following if following.exists() else None,
        segments_path=out / "segments.parquet",
    )


def review_cards(database: SqlEngine) -> None:
    """Member cards follow the value just published: a card moves up or down to the level its customer reaches."""
    from telcocrm.db.engine import session_scope
    from telcocrm.loyalty.cards import review_card_levels
    from telcocrm.staff.rules import system_viewer

    with session_scope(database) as db:
        review_card_levels(db=db, viewer=system_viewer(RUN_RECORDER))


def post_month_points(database: SqlEngine, month: str, rules: MonthlyRules, awards: Path) -> None:
    """The month's published awards into the points ledger, part by part (a rerun posts nothing twice)."""
    from telcocrm.config import get_settings
    from telcocrm.loyalty.ledger_parts import post_awards_in_parts
    from telcocrm.loyalty.month_summary import fold as fold_month_summary

    years = rules.loyalty.expiry_calendar_years
    post_awards_in_parts(
        database,
        pq.read_table(awards, filters=[("published", "=", True)]),  # only what is posted: GBs at 10M
        month=month,
        expiry_years=years,
        recorded_by=RUN_RECORDER,
        connections=get_settings().posting_connections,
    )
    with database.begin() as conn:  # each part appended its month summary row: one per month and kind again
        fold_month_summary(conn)
    if database.dialect.name == "postgresql":
        # Fresh statistics for the entries just posted: without them the planner answers the counter's lots
        # query by intersecting indexes (3.3 ms instead of 0.07 ms, docs/benchmarks.md) until autovacuum runs.
        with database.begin() as conn:
            conn.exec_driver_sql("ANALYZE points_entry")


class _Timer:
    """Times each step into the report and tells the caller (the CLI's progress bar) when one starts.

    Each step gets its own context, so a step may run on another thread beside the main one's.
    """

    def __init__(self, report: RunReport, on_step: Step) -> None:
        self.report = report
        self.on_step = on_step

    @contextmanager
    def __call__(self, name: str, *, announce: bool = True) -> Iterator[None]:
        if announce:
            self.on_step(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.report.step_seconds[name] = time.perf_counter() - started

    def quietly(self, name: str, work: Callable[[], object]) -> Callable[[], None]:
        """The work, timed as step `name` without telling the caller it started (for a thread of its own)."""

        def timed() -> None:
            with self(name, announce=False):
                work()

        return timed
