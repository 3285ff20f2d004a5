"""The month's warning list (results warning_list.parquet) filtered, paged and exported as CSV or Excel.

The list is read with DuckDB in the run's order (risk × value first); a page is one LIMIT/OFFSET query, an export
reads the filtered list in Arrow batches and writes as it goes, so a branch's whole list never sits in memory.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn.reports import present, query

WARNING_LIST = "warning_list"
ORDER = "ORDER BY risk_value_fen DESC NULLS LAST, customer_code, subscriber_id"
BATCH_ROWS = 10_000
CHUNK_BYTES = 64 * 1024
WARNED_BY = ("rules", "model")
Cell = str | int | float | None


@dataclass(frozen=True)
class WarningFilter:
    """The list's filters; an empty value keeps every row."""

    city: str = ""
    value_tier: str = ""
    lifecycle_stage: str = ""
    signal: str = ""
    warned_by: str = ""  # rules or model: warned by it, alone or with the other

    def where(self) -> tuple[str, dict[str, str]]:
        """The SQL condition and its parameters."""
        conditions, params = ["TRUE"], {}
        for name in ("city", "value_tier", "lifecycle_stage", "signal"):
            if getattr(self, name):
                conditions.append(f"{name} = ${name}")
                params[name] = getattr(self, name)
        if self.warned_by:
            conditions.append("list_contains(string_split(warned_by, ','), $warned_by)")
            params["warned_by"] = self.warned_by
        return " AND ".join(conditions), params

    def query_items(self) -> dict[str, str]:
        """The filters set, as query string items."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class WarningPage:
    rows: list[dict[str, Any]]
    total: int  # rows of the filtered list


def warning_page(store: AnalyticsStore, month: str, wanted: WarningFilter, *, offset: int, limit: int) -> WarningPage:
    """One page of the filtered list, riskiest × most valuable first; empty when the month has no list."""
    path = present(store, month, WARNING_LIST)
    if path is None:
        return WarningPage([], 0)
    where, params = wanted.where()
    with duckdb.connect() as con:
        source = f"FROM read_parquet($path) WHERE {where}"
        ((total,),) = con.execute(f"SELECT count(*) {source}", {"path": path, **params}).fetchall()
        page = con.sql(
            f"SELECT * {source} {ORDER} LIMIT $limit OFFSET $offset",
            params={"path": path, "limit": limit, "offset": offset, **params},
        ).to_arrow_table()
    return WarningPage(page.to_pylist(), int(total))


def warning_choices(store: AnalyticsStore, month: str) -> dict[str, list[str]]:
    """The branches, stages and signals the month's list holds, for the filter menus."""
    path = present(store, month, WARNING_LIST)
    if path is None:
        return {"city": [], "lifecycle_stage": [], "signal": []}
    return {
        name: [value for (value,) in query(f"SELECT DISTINCT {name} FROM read_parquet($path) WHERE {name} IS NOT NULL "
                                           f"ORDER BY 1", {"path": path})]
        for name in ("city", "lifecycle_stage", "signal")
    }  # fmt: skip


def warning_rows(store: AnalyticsStore, month: str, wanted: WarningFilter) -> Iterator[dict[str, Any]]:
    """Every row of the filtered list in the list's order, read in batches."""
    path = present(store, month, WARNING_LIST)
    if path is None:
        return
    where, params = wanted.where()
    with duckdb.connect() as con:
        listed = con.sql(f"SELECT * FROM read_parquet($path) WHERE {where} {ORDER}", params={"path": path, **params})
        for batch in listed.to_arrow_reader(BATCH_ROWS):
            yield from batch.to_pylist()


def stream_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Chinese), a few thousand rows per chunk."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(headers)
    for row in rows:
        writer.writerow("" if cell is None else cell for cell in row)
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0), out.truncate()
    yield out.getvalue().encode("utf-8")


def stream_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet: str, money_columns: Sequence[int] = ()
) -> Iterator[bytes]:
    """An Excel workbook written row by row in XlsxWriter's constant-memory mode to a temporary file, then sent."""
    folder = Path(tempfile.mkdtemp(prefix="telcocrm-xlsx-"))
    try:
        path = folder / "export.xlsx"
        _write_workbook(path, headers, rows, sheet, set(money_columns))
        with path.open("rb") as written:
            while chunk := written.read(CHUNK_BYTES):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_workbook(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Cell]], sheet: str,
                    money: set[int]) -> None:  # fmt: skip
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold, yuan = workbook.add_format({"bold": True}), workbook.add_format({"num_format": "#,##0.00"})
        worksheet.write_row(0, 0, headers, bold)
        for r, row in enumerate(rows, start=1):
            for c, cell in enumerate(row):
                if isinstance(cell, str):
                    worksheet.write_string(r, c, cell)
                elif cell is not None:
                    worksheet.write_number(r, c, cell, yuan if c in money else None)
        worksheet.freeze_panes(1, 0)
    finally:
        workbook.close()
