"""Analytics tests run on every engine: DuckDB always, Spark (local mode, one session per run) when marked.

`con` is the engine under test; `make_table(con, schema, rows)` builds an input table from plain dicts, missing
keys being null. Spark tests carry the `spark` marker (`-m "not spark"` skips them while iterating).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from telcocrm.analytics.backends import Engine, connect

ENGINES = [Engine.DUCKDB.value, pytest.param(Engine.SPARK.value, marks=pytest.mark.spark)]


@pytest.fixture(params=ENGINES)
def con(request: pytest.FixtureRequest) -> Iterator[Any]:
    engine = Engine(request.param)
    if engine is Engine.SPARK:
        pytest.importorskip("pyspark")
    with connect(engine) as backend:
        yield backend


def build_table(con: Any, schema: pa.Schema, rows: list[dict[str, Any]]) -> ir.Table:
    """A table of the schema holding the rows (absent keys are null), registered on the engine."""
    unknown = {key for row in rows for key in row} - set(schema.names)
    assert not unknown, f"keys not in the schema: {unknown}"
    data = pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema=schema)
    return ibis.memtable(data)


@pytest.fixture
def make_table() -> Callable[[Any, pa.Schema, list[dict[str, Any]]], ir.Table]:
    return build_table


def rows(expr: ir.Table, *order_by: str) -> list[dict[str, Any]]:
    """The table's rows as dicts, sorted (engines return rows in any order)."""
    result = expr.to_pyarrow().to_pylist()
    return sorted(result, key=lambda r: tuple(str(r[k]) for k in order_by)) if order_by else result


__all__ = ["build_table", "ibis", "rows"]
