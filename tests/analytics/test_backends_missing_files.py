"""A month without an optional extract: the empty stand-in table must be writable by the run's compiled writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from telcocrm.analytics.backends import read_parquet, write_parquet

SCHEMA = pa.schema([("subscriber_id", pa.string()), ("points", pa.int64())])


def test_a_missing_optional_file_reads_as_empty_and_writes(con: Any, tmp_path: Path) -> None:
    present = tmp_path / "present.parquet"
    pq.write_table(pa.Table.from_pylist([{"subscriber_id": "S1", "points": 5}], schema=SCHEMA), present)
    missing = read_parquet(con, [tmp_path / "absent.parquet"], SCHEMA)
    found = read_parquet(con, [present], SCHEMA)
    joined = found.left_join(missing, "subscriber_id").select(found.subscriber_id, points=found.points)

    written = write_parquet(con, joined, tmp_path / "out.parquet", SCHEMA)

    assert written == 1
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == [{"subscriber_id": "S1", "points": 5}]
