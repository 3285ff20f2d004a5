"""The monthly run's rules written in pandas (vectorised: groupby, merge, np.select): the slow reference.

Same inputs, rules objects and outputs as the SQL reference (benchmarks.reference.duckdb_sql); covers
subscriber_features, customer_features, credit and lifecycle. Integers are pandas' nullable Int64 so that a
missing value stays missing (as NULL does in SQL) and money stays exact.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from benchmarks.reference.inputs import TABLES, MonthFiles, read_outputs

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.jobs.rules import MonthlyRules, load_rules
from telcocrm.lifecycle.config import LifecycleRules, Node

_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
USAGE_SUMS = ["voice_minutes", "offnet_voice_minutes", "data_mb", "sms_count", "forwarded_calls",
              "forwarded_offnet_calls", "roaming_days"]  # fmt: skip
USAGE_MAXIMA = ["data_allowance_mb", "plan_fee_fen", "distinct_called_numbers"]


def frame(paths: list[Path], schema: pa.Schema) -> pd.DataFrame:
    """The Parquet files as one DataFrame: nullable integers and booleans, dates and times as datetime64."""
    table = pa.concat_tables([pq.read_table(p, schema=schema) for p in paths]) if paths else schema.empty_table()
    return table.to_pandas(types_mapper=_NULLABLE.get, date_as_object=False)


@dataclass
class MonthFrames:
    """The month's inputs as DataFrames, with its dates as Timestamps."""

    files: MonthFiles
    base: pd.DataFrame
    bills: pd.DataFrame
    usage: pd.DataFrame
    events: pd.DataFrame
    integrity: pd.DataFrame
    topups: pd.DataFrame
    referrals: pd.DataFrame  # loaded with every extract; no reference rule reads it
    previous_credit: pd.DataFrame
    cache: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def load(cls, files: MonthFiles) -> MonthFrames:
        extracts = {name: frame(files.extracts[name], schema) for name, schema in schemas.EXTRACTS.items()}
        previous = [files.previous_credit] if files.previous_credit else []
        return cls(
            files,
            frame([files.base], schemas.BASE),
            previous_credit=frame(previous, schemas.CREDIT),
            **extracts,
        )

    @property
    def first(self) -> pd.Timestamp:
        return pd.Timestamp(self.files.first_day)

    @property
    def last(self) -> pd.Timestamp:
        return pd.Timestamp(self.files.last_day)

    def since(self, months: int) -> pd.Timestamp:
        return pd.Timestamp(self.files.window_start(months))


def mask(condition: pd.Series) -> np.ndarray:
    """A condition as a plain boolean array, a missing value counting as not met (as in a SQL CASE)."""
    return condition.astype("boolean").to_numpy(dtype=bool, na_value=False)


def days(start: pd.Series | pd.Timestamp, end: pd.Series | pd.Timestamp) -> pd.Series:
    return (end - start).dt.days.astype("Int64")


def whole_months(start: pd.Series, end: pd.Timestamp) -> pd.Series:
    """Calendar months from `start` to a month's last day `end` (that day completes its month)."""
    return ((end.year - start.dt.year) * 12 + (end.month - start.dt.month)).astype("Int64")


def pct_change(new: pd.Series, old: pd.Series) -> pd.Series:
    """Whole-percent change rounded toward zero; missing when the base is 0 or missing."""
    old = old.mask(old == 0)
    diff = new - old
    return np.sign(diff) * (diff.abs() * 100 // old.abs())


def pct_of(part: pd.Series, whole: pd.Series) -> pd.Series:
    return part * 100 // whole.where(mask(whole > 0))


def run_pandas_reference(
    store: AnalyticsStore, month: str, out: Path, *, results: Path | None = None, rules: MonthlyRules | None = None
) -> dict[str, Path]:
    """Run the pandas reference on the month's inputs; write each table to `out`/NAME.parquet and return the paths."""
    from benchmarks.reference.pandas_credit import credit, customer_features

    rules = rules or load_rules()
    f = MonthFrames.load(MonthFiles.of(store, month, results))
    out.mkdir(parents=True, exist_ok=True)
    features = subscriber_features(f)
    customers = customer_features(f, features, rules.credit)
    tables = {
        "subscriber_features": features,
        "customer_features": customers,
        "credit": credit(f, customers, rules.credit),
        "lifecycle": lifecycle(features, rules.lifecycle),
    }
    paths = {}
    for name, df in tables.items():
        paths[name] = out / f"{name}.parquet"
        table = pa.Table.from_pandas(df[TABLES[name].names], schema=TABLES[name], preserve_index=False)
        pq.write_table(table, paths[name], compression="zstd")
    return paths


def pandas_reference_tables(
    store: AnalyticsStore, month: str, out: Path, *, results: Path | None = None, rules: MonthlyRules | None = None
) -> dict[str, pa.Table]:
    """The pandas reference's output tables as Arrow."""
    return read_outputs(run_pandas_reference(store, month, out, results=results, rules=rules))


def staged_bills(f: MonthFrames) -> pd.DataFrame:
    """Bills up to the run month as known at its end: paid, settled, due, days late, outstanding, in 6 months."""
    if "bills" in f.cache:
        return f.cache["bills"]
    b = f.bills[mask(f.bills.month <= f.files.month)].copy()
    b["paid"] = b.paid_fen.fillna(0).where(b.paid_date.isna() | (b.paid_date <= f.last), 0)
    settled = mask(b.paid >= b.billed_fen)
    b["due"] = (b.due_date <= f.last).to_numpy()
    late = days(b.due_date, b.paid_date).fillna(0).where(settled, days(b.due_date, f.last))
    b["days_late"] = late.fillna(0).clip(lower=0)
    b["open"] = b.due & mask(b.paid < b.billed_fen)  # due and not settled (unknown: not open)
    b["outstanding"] = (b.billed_fen - b.paid).where(b.open, 0)
    b["in_6m"] = b.month.isin(f.files.months(6))
    f.cache["bills"] = b
    return b


def _bill_features(f: MonthFiles, b: pd.DataFrame) -> pd.DataFrame:
    # One bill per line and month (ingest refuses a second): a month's bill is its billed amount. Bills neither
    # of the last six months nor open count in none of these, so they are left out first (as the Ibis run does).
    b = b[b.in_6m | b.open]

    def over(months: list[str]) -> pd.Series:
        inside = b[b.month.isin(months)].groupby("subscriber_id").billed_fen
        return inside.sum(min_count=1) // inside.size()

    out = pd.DataFrame(
        {
            "billed_fen": b[b.month == f.month].groupby("subscriber_id").billed_fen.sum(min_count=1),
            "last_month_billed": over([f.last_month]),
            "arpu_1m_fen": over(f.months(1)),
            "arpu_3m_fen": over(f.months(3)),
            "arpu_6m_fen": over(f.months(6)),
            "arpu_prev_3m_fen": over(f.months(3, ending=f.last_month)),
        },
        index=pd.Index(b.subscriber_id.unique(), name="subscriber_id"),
    )
    recent = b[b.in_6m]
    out["bills_6m"] = recent.groupby("subscriber_id").size()
    out["late_bills_6m"] = recent[recent.days_late > 0].groupby("subscriber_id").size()
    out["max_days_late_6m"] = recent.groupby("subscriber_id").days_late.max()
    unpaid = b[b.open].groupby("subscriber_id")
    out["unpaid_bills"] = unpaid.size()
    out["arrears_fen"] = b.groupby("subscriber_id").outstanding.sum()
    out["arrears_age_days"] = days(unpaid.due_date.min(), pd.Timestamp(f.last_day))
    return out


def _usage_features(f: MonthFiles, usage: pd.DataFrame) -> pd.DataFrame:
    usage = usage[mask(usage.month <= f.month)]  # one row per line and month
    out = usage[usage.month == f.month].set_index("subscriber_id")[USAGE_SUMS + USAGE_MAXIMA]
    before = usage[usage.month.isin(f.months(3, ending=f.last_month))].groupby("subscriber_id")
    called = before.distinct_called_numbers.sum(min_count=1) // before.size()
    return out.join(called.rename("called_before_avg"), how="outer")


def _event_features(f: MonthFrames) -> pd.DataFrame:
    ev = f.events[(f.events.event_date <= f.last).to_numpy()]
    kind = ev.kind
    in_3m, in_6m = (ev.event_date >= f.since(3)).to_numpy(), (ev.event_date >= f.since(6)).to_numpy()
    plan = mask(kind == "plan_change")
    down, up = (
        plan & mask(ev.new_plan_fee_fen < ev.old_plan_fee_fen),
        plan & mask(ev.new_plan_fee_fen > ev.old_plan_fee_fen),
    )
    suspend = mask(kind == "suspend")
    flags = pd.DataFrame(
        {
            "subscriber_id": ev.subscriber_id,
            "suspensions_3m": suspend & in_3m,
            "suspensions_6m": suspend & in_6m,
            "plan_downgrades_3m": down & in_3m,
            "plan_downgrades_6m": down & in_6m,
            "plan_upgrades_6m": up & in_6m,
            "complaints_3m": mask(kind == "complaint") & in_3m,
            "port_out_queries_3m": mask(kind == "port_out_query") & in_3m,
        }
    )
    out = flags.groupby("subscriber_id").sum().astype("Int64")
    out["last_suspend"] = ev[suspend].groupby("subscriber_id").event_time.max()
    out["last_resume"] = ev[mask(kind == "resume")].groupby("subscriber_id").event_time.max()
    out["last_handset_change"] = ev[mask(kind == "handset_change")].groupby("subscriber_id").event_date.max()
    out["suspended_days_6m"] = _suspended_days(f, ev)
    return out


def _suspended_days(f: MonthFrames, ev: pd.DataFrame) -> pd.Series:
    """Days suspended in 6 months: each suspend runs to the line's next suspend, resume or terminate."""
    starts = ev.loc[mask(ev.kind == "suspend"), ["subscriber_id", "event_time", "event_date"]].drop_duplicates()
    ends = ev.loc[mask(ev.kind.isin(["suspend", "resume", "terminate"])), ["subscriber_id", "event_time", "event_date"]]
    pairs = starts.merge(ends, on="subscriber_id", suffixes=("", "_end"))
    pairs = pairs[mask(pairs.event_time_end > pairs.event_time)]
    first_end = pairs.groupby(["subscriber_id", "event_time", "event_date"], dropna=False).event_date_end.min()
    spans = starts.merge(first_end.reset_index(), how="left", on=["subscriber_id", "event_time", "event_date"])
    day_after = f.last + timedelta(days=1)
    start = spans.event_date.where(spans.event_date >= f.since(6), f.since(6))
    end = spans.event_date_end.fillna(day_after).clip(upper=day_after)
    spans["days"] = days(start, end).clip(lower=0)
    return spans.groupby("subscriber_id").days.sum()


def subscriber_features(f: MonthFrames) -> pd.DataFrame:
    """One row per subscriber in the network during the month (schemas.SUBSCRIBER_FEATURES)."""
    base = f.base
    in_network = (base.activated_date.isna() | (base.activated_date <= f.last)) & (
        base.terminated_date.isna() | (base.terminated_date >= f.first)
    )
    topups = f.topups[((f.topups.topup_date >= f.since(12)) & (f.topups.topup_date <= f.last)).to_numpy()]
    parts = [
        _bill_features(f.files, staged_bills(f)),
        _usage_features(f.files, f.usage),
        _event_features(f),
        topups.groupby("subscriber_id").amount_fen.sum().rename("deposit_fen_12m"),
    ]
    t = base[in_network.to_numpy()].rename(columns={"subscriber_status": "base_status"})
    t = t.join(pd.concat(parts, axis=1), on="subscriber_id")
    counted = [n for n in TABLES["subscriber_features"].names if n.endswith(("_3m", "_6m", "_12m", "_fen"))]
    zero = list(dict.fromkeys([*counted, "unpaid_bills", "arrears_age_days", *USAGE_SUMS, *USAGE_MAXIMA]))
    t[zero] = t[zero].fillna(0).astype("Int64")
    last = f.last
    suspended = t.last_suspend.notna() & (t.last_resume.isna() | (t.last_suspend > t.last_resume))
    t["subscriber_status"] = np.select(
        [
            mask(t.terminated_date <= last),
            mask(suspended),
            mask(t.last_resume.notna() | (t.base_status == "terminated")),
        ],
        ["terminated", "suspended", "active"],
        default=t.base_status.astype(object),
    )
    t["month"] = f.files.month
    t["terminated_in_month"] = mask((t.terminated_date >= f.first) & (t.terminated_date <= last))
    t["tenure_months"] = whole_months(t.activated_date, last)
    t["arpu_change_1m_pct"] = pct_change(t.billed_fen, t.last_month_billed)
    t["arpu_change_3m_pct"] = pct_change(t.billed_fen, t.arpu_prev_3m_fen)
    t["called_numbers_change_pct"] = pct_change(t.distinct_called_numbers, t.called_before_avg)
    t["forwarded_offnet_share_pct"] = pct_of(t.forwarded_offnet_calls, t.forwarded_calls)
    t["data_usage_pct"] = pct_of(t.data_mb, t.data_allowance_mb)
    t["handset_age_months"] = whole_months(t.last_handset_change, last)
    left = (t.contract_end_date.dt.year - last.year) * 12 + (t.contract_end_date.dt.month - last.month)
    t["contract_months_left"] = left.astype("Int64").where(mask(t.contract_end_date >= f.first))
    return t.reset_index(drop=True)


def lifecycle(features: pd.DataFrame, rules: LifecycleRules) -> pd.DataFrame:
    """Stage, rule and reason of every line: the first node of the rules' tree whose conditions all hold."""
    t = features.copy()
    prev = t.arpu_prev_3m_fen.where(mask(t.arpu_prev_3m_fen > 0))
    t["arpu_3m_vs_prev_pct"] = (t.arpu_3m_fen - prev) * 100 // prev
    t["arpu_3m_cny"] = t.arpu_3m_fen // 100
    nodes = rules.nodes[:-1]  # the last node has no condition: it takes the rest
    node = np.select([_fires(t, n) for n in nodes], list(range(len(nodes))), default=len(nodes))
    out = pd.DataFrame({"subscriber_id": t.subscriber_id})
    out["lifecycle_stage"] = np.array([n.stage for n in rules.nodes], dtype=object)[node]
    out["lifecycle_rule"] = np.array([f"lifecycle.{n.id}" for n in rules.nodes], dtype=object)[node]
    out["lifecycle_reason"] = ""
    for index, n in enumerate(rules.nodes):
        chosen = node == index
        if chosen.any():
            out.loc[chosen, "lifecycle_reason"] = _reason(t[chosen], n)
    return out


_OPS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}


def _fires(t: pd.DataFrame, node: Node) -> np.ndarray:
    fires = np.ones(len(t), dtype=bool)
    for c in node.when:
        fires &= mask(getattr(t[c.feature], _OPS[c.op])(c.value))
    return fires


def _reason(t: pd.DataFrame, node: Node) -> pd.Series:
    text = pd.Series("", index=t.index, dtype=object)
    for literal, name, _, _ in string.Formatter().parse(node.reason):
        text = text + literal
        if name is not None:
            value = t[name]
            words = value.map({True: "true", False: "false"}) if value.dtype == "boolean" else value.astype("string")
            text = text + words.fillna("-").astype(object)
    return text
