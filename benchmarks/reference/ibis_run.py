"""The Ibis pipeline for exactly the tables the references cover, called as the monthly run calls it."""

from __future__ import annotations

from pathlib import Path

# Imported here, not by the first `ibis.duckdb.connect` inside the timed run (0.26 s on this machine, timed
# alone after `import ibis`): a child times its run without imports, as the SQL reference's `import duckdb` and
# the pandas reference's `import pandas` are outside its time too.
import ibis.backends.duckdb  # noqa: F401
from benchmarks.reference.inputs import TABLES

from telcocrm.analytics.backends import Engine, connect, write_parquet
from telcocrm.analytics.intermediate.customer_features import customer_features
from telcocrm.analytics.intermediate.subscriber_features import subscriber_features
from telcocrm.analytics.marts.credit import credit_ratings
from telcocrm.analytics.marts.lifecycle import lifecycle_stages
from telcocrm.analytics.sources import load_month_inputs
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.jobs.rules import MonthlyRules, load_rules


def run_ibis(
    store: AnalyticsStore, month: str, out: Path, *, results: Path | None = None, rules: MonthlyRules | None = None
) -> dict[str, Path]:
    """Materialise subscriber_features, customer_features, credit and lifecycle to `out` as the run does (DuckDB)."""
    rules = rules or load_rules()
    base = (results or store.month_dir("results", month)) / "base.parquet"
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.parquet" for name in TABLES}
    with connect(Engine.DUCKDB) as con:
        inputs = load_month_inputs(con, store, month, base)

        def materialise(name: str, expr: object) -> object:
            write_parquet(con, expr, paths[name], TABLES[name])
            return con.read_parquet(str(paths[name]))

        features = materialise("subscriber_features", subscriber_features(inputs))
        customers = materialise("customer_features", customer_features(inputs, features, rules=rules.credit))
        materialise("credit", credit_ratings(inputs, customers, rules.credit))
        materialise("lifecycle", lifecycle_stages(features, rules.lifecycle))
    return paths
