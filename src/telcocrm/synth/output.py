"""The synthetic operator's files: one streaming writer per file, Parquet or CSV, byte-identical for the same input.

Extracts are written in the billing files' input format (docs/data-contract.md, "Synthetic operator"): money
as decimal128(12,2) (CSV `123.45`), dates date32 (CSV `YYYY-MM-DD`), times timestamp[us, Asia/Shanghai]
(CSV ISO 8601 with `+08:00`).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

TIME_ZONE = "Asia/Shanghai"
UTC_OFFSET = "+08:00"  # Asia/Shanghai has kept +08:00 all year since 1991
MONEY = pa.decimal128(12, 2)
LOCAL_TIME = pa.timestamp("us", tz=TIME_ZONE)
_SHIFT_US = 8 * 3600 * 1_000_000
FORMATS = ("parquet", "csv")

# The usage extract's counts, in file order.
USAGE_COUNTS: tuple[str, ...] = (
    "voice_minutes",
    "offnet_voice_minutes",
    "data_mb",
    "data_allowance_mb",
    "sms_count",
    "forwarded_calls",
    "forwarded_offnet_calls",
    "distinct_called_numbers",
    "roaming_days",
)

EXTRACT_FORMATS: dict[str, pa.Schema] = {
    "bills": pa.schema(
        [
            ("subscriber_id", pa.string()),
            ("month", pa.string()),
            ("billed_amount", MONEY),
            ("due_date", pa.date32()),
            ("paid_amount", MONEY),
            ("paid_date", pa.date32()),
            ("payment_method", pa.string()),
        ]
    ),
    "usage": pa.schema(
        [
            ("subscriber_id", pa.string()),
            ("month", pa.string()),
            *[(name, pa.int64()) for name in USAGE_COUNTS],
            ("plan_fee", MONEY),
        ]
    ),
    "events": pa.schema(
        [
            ("subscriber_id", pa.string()),
            ("event_time", LOCAL_TIME),
            ("kind", pa.string()),
            ("old_plan_fee", MONEY),
            ("new_plan_fee", MONEY),
            ("handset_age_months", pa.int64()),
            ("reason", pa.string()),
        ]
    ),
    "integrity": pa.schema(
        [
            ("customer_code", pa.string()),
            ("subscriber_id", pa.string()),
            ("event_date", pa.date32()),
            ("kind", pa.string()),
            ("amount", MONEY),
        ]
    ),
    "topups": pa.schema([("subscriber_id", pa.string()), ("topup_time", LOCAL_TIME), ("amount", MONEY)]),
    "referrals": pa.schema(
        [
            ("referrer_customer_code", pa.string()),
            ("referred_subscriber_id", pa.string()),
            ("referral_date", pa.date32()),
        ]
    ),
}


def money(fen: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Integer fen as exact decimal128(12,2) yuan (the unscaled decimal is the fen count); null where not valid."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = fen, np.where(fen < 0, -1, 0)  # little-endian 128-bit two's complement
    mask = None if valid is None else pa.array(valid, pa.bool_()).buffers()[1]
    nulls = 0 if valid is None else int((~valid).sum())
    return pa.Array.from_buffers(MONEY, len(fen), [mask, pa.py_buffer(words.tobytes())], null_count=nulls)


def dates(days: np.ndarray) -> pa.Array:
    """datetime64[D] as date32, NaT as null."""
    return pa.array(days.astype("datetime64[D]"), pa.date32(), mask=np.isnat(days))


def local_times(seconds: np.ndarray) -> pa.Array:
    """Local wall-clock datetime64[s] (Asia/Shanghai) as zoned timestamps."""
    micros = seconds.astype("datetime64[us]").astype(np.int64) - _SHIFT_US
    return pa.array(micros, pa.int64()).cast(LOCAL_TIME)


def csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text with the offset; dates, money and numbers as pyarrow writes them."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            seconds = column.cast(pa.timestamp("s", tz=TIME_ZONE))
            column = pc.binary_join_element_wise(pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S"), UTC_OFFSET, "")
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class Sink:
    """Opens one writer per file on first use and closes them all at the end."""

    def __init__(self, root: Path, file_format: str) -> None:
        if file_format not in FORMATS:
            raise ValueError(f"unknown format {file_format!r}: use parquet or csv")
        self.root, self.format = root, file_format
        self.writers: dict[Path, pq.ParquetWriter | pacsv.CSVWriter] = {}

    def write(self, relative: str, table: pa.Table, *, parquet_only: bool = False) -> None:
        """Append a table to the file `relative` (without suffix) under the output folder."""
        file_format = "parquet" if parquet_only else self.format
        path = self.root / f"{relative}.{file_format}"
        writer = self.writers.get(path)
        if writer is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if file_format == "parquet":
                writer = pq.ParquetWriter(path, table.schema, compression="zstd", compression_level=3)
            else:
                options = pacsv.WriteOptions(quoting_style="needed")
                writer = pacsv.CSVWriter(path, csv_ready(table.slice(0, 0)).schema, write_options=options)
            self.writers[path] = writer
        writer.write_table(table if file_format == "parquet" else csv_ready(table))

    def close(self) -> None:
        """Finish every file."""
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
