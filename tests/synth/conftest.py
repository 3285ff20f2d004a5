"""A small synthetic operator written once per test run, in Parquet (twice, for determinism) and in CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from telcocrm.synth.generate import generate

SUBSCRIBERS = 4000
MONTHS = 6
END_MONTH = "2026-09"
CHUNK = 1500  # several chunks, so chunk boundaries are exercised


def _write(root: Path, file_format: str) -> Path:
    generate(
        root,
        subscribers=SUBSCRIBERS,
        months=MONTHS,
        seed=42,
        end_month=END_MONTH,
        file_format=file_format,
        chunk_size=CHUNK,
    )
    return root


@pytest.fixture(scope="session")
def parquet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of a Parquet run."""
    return _write(tmp_path_factory.mktemp("synth-parquet"), "parquet")


@pytest.fixture(scope="session")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of the same run in CSV."""
    return _write(tmp_path_factory.mktemp("synth-csv"), "csv")


@pytest.fixture(scope="session")
def second_parquet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same arguments again, in another folder."""
    return _write(tmp_path_factory.mktemp("synth-parquet-again"), "parquet")
