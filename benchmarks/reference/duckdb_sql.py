"""The monthly run's rules hand-written in DuckDB SQL: the reference the Ibis pipeline is timed against.

One statement per layer (subscriber_features → customer_features → credit; lifecycle from the subscriber
features), each a CREATE TABLE of CTEs over the same Parquet inputs, then COPY to Parquet in the contract schemas.
Every threshold comes from the rules objects (telcocrm.jobs.rules), interpolated as SQL literals, so a changed
rules file changes this reference as it changes the Ibis run. Covers: subscriber_features, customer_features,
credit, lifecycle (not segments: the reference stops at those four tables).
"""

from __future__ import annotations

import string
from pathlib import Path

import duckdb
import pyarrow as pa
from benchmarks.reference.duckdb_sql_credit import credit_sql, customer_features_sql
from benchmarks.reference.inputs import TABLES, MonthFiles, read_outputs

from telcocrm.analytics import schemas
from telcocrm.analytics.backends import DUCKDB_TYPES
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.jobs.rules import MonthlyRules, load_rules
from telcocrm.lifecycle.config import LifecycleRules, Node


def lit(value: object) -> str:
    """A Python value as a SQL literal (dates, texts, whole numbers, booleans, lists of texts)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "(" + ", ".join(lit(v) for v in value) + ")" if value else "(NULL)"
    if hasattr(value, "isoformat"):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def run_sql_reference(
    store: AnalyticsStore,
    month: str,
    out: Path,
    *,
    results: Path | None = None,
    rules: MonthlyRules | None = None,
    threads: int | None = None,
) -> dict[str, Path]:
    """Run the hand-written SQL on the month's inputs; write each table to `out`/NAME.parquet and return the paths."""
    rules = rules or load_rules()
    files = MonthFiles.of(store, month, results)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"threads": threads} if threads else {})
    try:
        _register_inputs(con, files)
        con.execute(f"CREATE TABLE subscriber_features AS {subscriber_features_sql(files)}")
        con.execute(f"CREATE TABLE customer_features AS {customer_features_sql(files, rules.credit)}")
        con.execute(f"CREATE TABLE credit AS {credit_sql(files, rules.credit)}")
        con.execute(f"CREATE TABLE lifecycle AS {lifecycle_sql(rules.lifecycle)}")
        return {name: _copy(con, name, schema, out) for name, schema in TABLES.items()}
    finally:
        con.close()


def sql_reference_tables(
    store: AnalyticsStore, month: str, out: Path, *, results: Path | None = None, rules: MonthlyRules | None = None
) -> dict[str, pa.Table]:
    """The SQL reference's output tables as Arrow."""
    return read_outputs(run_sql_reference(store, month, out, results=results, rules=rules))


def _register_inputs(con: duckdb.DuckDBPyConnection, files: MonthFiles) -> None:
    for name, paths in files.extracts.items():
        if paths:
            listed = ", ".join(lit(str(p)) for p in paths)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}])")
        else:  # a month never ingested: an empty table of the extract's columns
            con.register(name, schemas.EXTRACTS[name].empty_table())
    con.execute(f"CREATE VIEW base AS SELECT * FROM read_parquet({lit(str(files.base))})")
    if files.previous_credit:
        con.execute(f"CREATE VIEW previous_credit AS SELECT * FROM read_parquet({lit(str(files.previous_credit))})")
    else:
        con.register("previous_credit", schemas.CREDIT.empty_table())
    # ⌊a / b⌋ rounded down also for negative a (DuckDB's // truncates toward zero)
    con.execute("CREATE MACRO fdiv(a, b) AS CAST(floor(a / b) AS BIGINT)")
    # whole-percent change rounded toward zero; null when the base is 0 or null
    con.execute(
        "CREATE MACRO pct_change(new, old) AS "
        "CASE WHEN old <> 0 THEN CAST(sign(new - old) * (abs(new - old) * 100 // abs(old)) AS BIGINT) END"
    )
    con.execute("CREATE MACRO pct_of(part, whole) AS CASE WHEN whole > 0 THEN part * 100 // whole END")


def _copy(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema, out: Path) -> Path:
    path = out / f"{name}.parquet"
    casts = ", ".join(f'CAST("{f.name}" AS {DUCKDB_TYPES[f.type]}) AS "{f.name}"' for f in schema)
    con.execute(f"COPY (SELECT {casts} FROM {name}) TO {lit(str(path))} (FORMAT parquet, COMPRESSION zstd)")
    return path


def subscriber_features_sql(f: MonthFiles) -> str:
    """One row per subscriber in the network during the month (schemas.SUBSCRIBER_FEATURES)."""
    m, first, last = lit(f.month), lit(f.first_day), lit(f.last_day)
    six, three, prev3 = lit(f.months(6)), lit(f.months(3)), lit(f.months(3, ending=f.last_month))
    return f"""
    WITH line AS (
        SELECT * FROM base
        WHERE (activated_date IS NULL OR activated_date <= {last})
          AND (terminated_date IS NULL OR terminated_date >= {first})
    ),
    bill AS (  -- bills as known at the month's end
        SELECT subscriber_id, month, billed_fen, due_date, paid_date,
               CASE WHEN paid_date IS NULL OR paid_date <= {last} THEN coalesce(paid_fen, 0) ELSE 0 END AS paid
        FROM bills WHERE month <= {m}
    ),
    bill_state AS (
        SELECT *, paid >= billed_fen AS settled, coalesce(due_date <= {last}, FALSE) AS due,
               month IN {six} AS in_6m
        FROM bill
    ),
    staged_bill AS (
        SELECT *,
            greatest(coalesce(CASE WHEN settled THEN coalesce(paid_date - due_date, 0)
                                   ELSE {last} - due_date END, 0), 0) AS days_late,
            CASE WHEN due AND NOT settled THEN billed_fen - paid ELSE 0 END AS outstanding
        FROM bill_state
    ),
    payment AS (  -- one bill per line and month (ingest refuses a second): one pass over the bills
        SELECT subscriber_id,
            sum(billed_fen) FILTER (month = {m}) AS billed_now,
            sum(billed_fen) FILTER (month = {lit(f.last_month)}) AS last_month_billed,
            fdiv(sum(billed_fen) FILTER (month = {m}), count(*) FILTER (month = {m})) AS arpu_1m,
            fdiv(sum(billed_fen) FILTER (month IN {three}), count(*) FILTER (month IN {three})) AS arpu_3m,
            fdiv(sum(billed_fen) FILTER (month IN {six}), count(*) FILTER (month IN {six})) AS arpu_6m,
            fdiv(sum(billed_fen) FILTER (month IN {prev3}), count(*) FILTER (month IN {prev3})) AS arpu_prev_3m,
            count(*) FILTER (in_6m) AS bills_6m,
            count(*) FILTER (in_6m AND days_late > 0) AS late_bills_6m,
            max(days_late) FILTER (in_6m) AS max_days_late_6m,
            count(*) FILTER (due AND NOT settled) AS unpaid_bills,
            sum(outstanding) AS arrears_fen,
            {last} - min(due_date) FILTER (due AND NOT settled) AS arrears_age_days
        FROM staged_bill
        WHERE in_6m OR (due AND NOT settled)  -- no other bill counts in any of these: left out before grouping
        GROUP BY subscriber_id
    ),
    use AS (  -- one usage row per line and month: this month's row as it is, the three months before grouped
        SELECT n.subscriber_id, n.voice_minutes, n.offnet_voice_minutes, n.data_mb, n.data_allowance_mb,
            n.sms_count, n.roaming_days, n.plan_fee_fen, n.distinct_called_numbers, n.forwarded_calls,
            n.forwarded_offnet_calls, b.called_before_avg
        FROM (SELECT * FROM usage WHERE month = {m}) n
        FULL JOIN (
            SELECT subscriber_id, fdiv(sum(distinct_called_numbers), count(*)) AS called_before_avg
            FROM usage WHERE month IN {prev3} GROUP BY subscriber_id
        ) b USING (subscriber_id)
    ),
    event AS (
        SELECT * FROM events WHERE event_date <= {last}
    ),
    event_counts AS (
        SELECT subscriber_id,
            count(*) FILTER (kind = 'suspend' AND event_date >= {lit(f.window_start(3))}) AS suspensions_3m,
            count(*) FILTER (kind = 'suspend' AND event_date >= {lit(f.window_start(6))}) AS suspensions_6m,
            count(*) FILTER (kind = 'plan_change' AND new_plan_fee_fen < old_plan_fee_fen
                             AND event_date >= {lit(f.window_start(3))}) AS plan_downgrades_3m,
            count(*) FILTER (kind = 'plan_change' AND new_plan_fee_fen < old_plan_fee_fen
                             AND event_date >= {lit(f.window_start(6))}) AS plan_downgrades_6m,
            count(*) FILTER (kind = 'plan_change' AND new_plan_fee_fen > old_plan_fee_fen
                             AND event_date >= {lit(f.window_start(6))}) AS plan_upgrades_6m,
            count(*) FILTER (kind = 'complaint' AND event_date >= {lit(f.window_start(3))}) AS complaints_3m,
            count(*) FILTER (kind = 'port_out_query' AND event_date >= {lit(f.window_start(3))})
                AS port_out_queries_3m,
            max(event_time) FILTER (kind = 'suspend') AS last_suspend,
            max(event_time) FILTER (kind = 'resume') AS last_resume,
            max(event_date) FILTER (kind = 'handset_change') AS last_handset_change
        FROM event GROUP BY subscriber_id
    ),
    suspension AS (  -- each suspend runs to the line's next suspend, resume or terminate (or past the month)
        SELECT s.subscriber_id, s.event_time, s.event_date AS start_date, min(e.event_date) AS end_date
        FROM event s LEFT JOIN event e
          ON e.subscriber_id = s.subscriber_id AND e.event_time > s.event_time
         AND e.kind IN ('suspend', 'resume', 'terminate')
        WHERE s.kind = 'suspend'
        GROUP BY s.subscriber_id, s.event_time, s.event_date
    ),
    suspended AS (
        SELECT subscriber_id,
            sum(greatest(least(coalesce(end_date, {last} + 1), {last} + 1)
                         - greatest(start_date, {lit(f.window_start(6))}), 0)) AS suspended_days_6m
        FROM suspension GROUP BY subscriber_id
    ),
    deposit AS (
        SELECT subscriber_id, sum(amount_fen) AS deposit_fen_12m FROM topups
        WHERE topup_date >= {lit(f.window_start(12))} AND topup_date <= {last}
        GROUP BY subscriber_id
    ),
    joined AS (
        SELECT l.subscriber_id, l.customer_code, l.product, l.brand, l.payment_method, l.account_type,
            l.activated_date, l.terminated_date, l.contract_end_date, l.subscriber_status AS base_status,
            coalesce(p.billed_now, 0) AS billed_fen, p.last_month_billed,
            coalesce(p.arpu_1m, 0) AS arpu_1m_fen, coalesce(p.arpu_3m, 0) AS arpu_3m_fen,
            coalesce(p.arpu_6m, 0) AS arpu_6m_fen, coalesce(p.arpu_prev_3m, 0) AS arpu_prev_3m_fen,
            coalesce(p.bills_6m, 0) AS bills_6m, coalesce(p.late_bills_6m, 0) AS late_bills_6m,
            coalesce(p.max_days_late_6m, 0) AS max_days_late_6m, coalesce(p.unpaid_bills, 0) AS unpaid_bills,
            coalesce(p.arrears_fen, 0) AS arrears_fen, coalesce(p.arrears_age_days, 0) AS arrears_age_days,
            coalesce(d.deposit_fen_12m, 0) AS deposit_fen_12m,
            coalesce(u.voice_minutes, 0) AS voice_minutes,
            coalesce(u.offnet_voice_minutes, 0) AS offnet_voice_minutes,
            coalesce(u.data_mb, 0) AS data_mb, coalesce(u.data_allowance_mb, 0) AS data_allowance_mb,
            coalesce(u.sms_count, 0) AS sms_count, coalesce(u.roaming_days, 0) AS roaming_days,
            coalesce(u.plan_fee_fen, 0) AS plan_fee_fen,
            coalesce(u.distinct_called_numbers, 0) AS distinct_called_numbers,
            coalesce(u.forwarded_calls, 0) AS forwarded_calls,
            coalesce(u.forwarded_offnet_calls, 0) AS forwarded_offnet_calls, u.called_before_avg,
            coalesce(e.suspensions_3m, 0) AS suspensions_3m, coalesce(e.suspensions_6m, 0) AS suspensions_6m,
            coalesce(s.suspended_days_6m, 0) AS suspended_days_6m,
            coalesce(e.plan_downgrades_3m, 0) AS plan_downgrades_3m,
            coalesce(e.plan_downgrades_6m, 0) AS plan_downgrades_6m,
            coalesce(e.plan_upgrades_6m, 0) AS plan_upgrades_6m, coalesce(e.complaints_3m, 0) AS complaints_3m,
            coalesce(e.port_out_queries_3m, 0) AS port_out_queries_3m,
            e.last_suspend, e.last_resume, e.last_handset_change
        FROM line l
        LEFT JOIN payment p USING (subscriber_id)
        LEFT JOIN use u USING (subscriber_id) LEFT JOIN event_counts e USING (subscriber_id)
        LEFT JOIN deposit d USING (subscriber_id) LEFT JOIN suspended s USING (subscriber_id)
    )
    SELECT {m} AS month, subscriber_id, customer_code, product, brand, payment_method, account_type,
        CASE WHEN terminated_date <= {last} THEN 'terminated'
             WHEN last_suspend > last_resume OR (last_suspend IS NOT NULL AND last_resume IS NULL) THEN 'suspended'
             WHEN last_resume IS NOT NULL OR base_status = 'terminated' THEN 'active'
             ELSE base_status END AS subscriber_status,
        coalesce(terminated_date BETWEEN {first} AND {last}, FALSE) AS terminated_in_month,
        ({f.last_day.year} - year(activated_date)) * 12 + ({f.last_day.month} - month(activated_date))
            AS tenure_months,
        billed_fen, arpu_1m_fen, arpu_3m_fen, arpu_6m_fen, arpu_prev_3m_fen, bills_6m, late_bills_6m,
        max_days_late_6m, unpaid_bills, arrears_fen, arrears_age_days, deposit_fen_12m, voice_minutes,
        offnet_voice_minutes, data_mb, data_allowance_mb, sms_count, roaming_days, plan_fee_fen,
        distinct_called_numbers, forwarded_calls, forwarded_offnet_calls,
        pct_change(billed_fen, last_month_billed) AS arpu_change_1m_pct,
        pct_change(billed_fen, arpu_prev_3m_fen) AS arpu_change_3m_pct,
        pct_change(distinct_called_numbers, called_before_avg) AS called_numbers_change_pct,
        pct_of(forwarded_offnet_calls, forwarded_calls) AS forwarded_offnet_share_pct,
        pct_of(data_mb, data_allowance_mb) AS data_usage_pct,
        suspensions_3m, suspensions_6m, suspended_days_6m, plan_downgrades_3m, plan_downgrades_6m,
        plan_upgrades_6m, complaints_3m, port_out_queries_3m,
        ({f.last_day.year} - year(last_handset_change)) * 12 + ({f.last_day.month} - month(last_handset_change))
            AS handset_age_months,
        CASE WHEN contract_end_date >= {first} THEN (year(contract_end_date) - {f.last_day.year}) * 12
             + (month(contract_end_date) - {f.last_day.month}) END AS contract_months_left
    FROM joined
    """


def lifecycle_sql(rules: LifecycleRules) -> str:
    """Stage, rule and reason of every line: the rules' decision tree as one CASE per column, first node wins."""

    def branches(value: str) -> str:
        whens = [f"WHEN {_conditions(node)} THEN {value.format(node=node, reason=_reason(node))}" for node in nodes]
        return "CASE " + " ".join(whens) + f" ELSE {value.format(node=last, reason=_reason(last))} END"

    *nodes, last = rules.nodes
    stage = branches("'{node.stage}'")
    rule = branches("'lifecycle.{node.id}'")
    reason = branches("{reason}")
    return f"""
    WITH line AS (
        SELECT *,
            CASE WHEN arpu_prev_3m_fen > 0 THEN fdiv((arpu_3m_fen - arpu_prev_3m_fen) * 100, arpu_prev_3m_fen)
                 END AS arpu_3m_vs_prev_pct,
            fdiv(arpu_3m_fen, 100) AS arpu_3m_cny
        FROM subscriber_features
    )
    SELECT subscriber_id, {stage} AS lifecycle_stage, {rule} AS lifecycle_rule, {reason} AS lifecycle_reason
    FROM line
    """


def _conditions(node: Node) -> str:
    # a null feature makes its comparison null, which a CASE branch treats as not met
    return " AND ".join(f"{c.feature} {'=' if c.op == '==' else c.op} {lit(c.value)}" for c in node.when) or "TRUE"


def _reason(node: Node) -> str:
    parts = []
    for literal, name, _, _ in string.Formatter().parse(node.reason):
        if literal:
            parts.append(lit(literal))
        if name is not None:
            parts.append(f"coalesce(CAST({name} AS VARCHAR), '-')")
    return " || ".join(parts) or "''"
