"""The behaviour cluster (002 客户五分法): a deterministic fit, and an assignment both engines compute alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.clusters import assign_cluster, fit_behaviour_clusters, log_units, standardise
from telcocrm.segments.config import ClusterRules, SegmentRules

from .conftest import build_table, rows

RULES = SegmentRules(clusters=ClusterRules(count=3))


def usage_rows(count: int = 90) -> list[dict[str, Any]]:
    """Three plain groups of customers: heavy data, heavy voice, and light users; varied within each group."""
    rng = np.random.default_rng(7)
    result = []
    for i in range(count):
        group = i % 3
        voice, data = [(40, 30_000), (3_000, 200), (5, 20)][group]
        result.append(
            {
                "month": "2026-10",
                "customer_code": f"C{i:04d}",
                "voice_minutes": int(voice * rng.uniform(0.5, 2)),
                "data_mb": int(data * rng.uniform(0.5, 2)),
                "sms_count": int(rng.integers(0, 30)),
                "roaming_days": int(rng.integers(0, 3)) if group < 2 else 0,
            }
        )
    return result


def write(path: Path, data: list[dict[str, Any]]) -> Path:
    table = pa.Table.from_pylist(
        [{n: r.get(n) for n in schemas.CUSTOMER_FEATURES.names} for r in data], schema=schemas.CUSTOMER_FEATURES
    )
    pq.write_table(table, path)
    return path


def test_fit_is_deterministic_and_ignores_the_file_row_order(tmp_path: Path) -> None:
    data = usage_rows()
    first = fit_behaviour_clusters(write(tmp_path / "a.parquet", data), RULES)
    again = fit_behaviour_clusters(write(tmp_path / "b.parquet", data), RULES)
    shuffled = fit_behaviour_clusters(write(tmp_path / "c.parquet", list(reversed(data))), RULES)
    assert first == again == shuffled
    assert sorted(first.labels) == ["data_heavy", "light", "voice_heavy"]
    assert first.sample_rows == 90


def test_sample_is_seeded(tmp_path: Path) -> None:
    path = write(tmp_path / "a.parquet", usage_rows(300))
    small = SegmentRules(clusters=ClusterRules(count=3, sample_size=120))
    first, again = fit_behaviour_clusters(path, small), fit_behaviour_clusters(path, small)
    assert first == again
    assert first.sample_rows == 120
    other_seed = SegmentRules(clusters=ClusterRules(count=3, sample_size=120, seed=1))
    assert fit_behaviour_clusters(path, other_seed).means != first.means  # another sample of the customers


def test_assignment_agrees_with_numpy_nearest_centroid(con: Any, tmp_path: Path) -> None:
    data = usage_rows()
    clusters = fit_behaviour_clusters(write(tmp_path / "a.parquet", data), RULES)
    table = build_table(con, schemas.CUSTOMER_FEATURES, data)
    got = {r["customer_code"]: r["behaviour_cluster"] for r in rows(assign_cluster(table, clusters))}

    raw = np.array([[r[f] for f in clusters.features] for r in data], dtype=np.float64)
    z = standardise(log_units(raw), np.array(clusters.means), np.array(clusters.scales))
    centroids = np.array(clusters.centroids)
    nearest = ((z[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)  # ties: lowest index
    expected = {r["customer_code"]: clusters.labels[k] for r, k in zip(data, nearest, strict=True)}
    assert got == expected
    assert got["C0000"] == "data_heavy" and got["C0001"] == "voice_heavy" and got["C0002"] == "light"


def test_equal_distances_go_to_the_first_cluster(con: Any, tmp_path: Path) -> None:
    clusters = fit_behaviour_clusters(write(tmp_path / "a.parquet", usage_rows()), RULES)
    # a centroid repeated under another label: every row is as near to both; the earlier one wins
    doubled = type(clusters)(
        features=clusters.features,
        means=clusters.means,
        scales=clusters.scales,
        centroids=(clusters.centroids[0], clusters.centroids[0]),
        labels=("first", "second"),
        sample_rows=clusters.sample_rows,
    )
    table = build_table(con, schemas.CUSTOMER_FEATURES, usage_rows(6))
    assert {r["behaviour_cluster"] for r in rows(assign_cluster(table, doubled))} == {"first"}


def test_an_empty_month_fits_nothing_and_assigns_null(con: Any, tmp_path: Path) -> None:
    clusters = fit_behaviour_clusters(write(tmp_path / "a.parquet", []), RULES)
    assert clusters.centroids == ()
    table = build_table(con, schemas.CUSTOMER_FEATURES, usage_rows(3))
    assert [r["behaviour_cluster"] for r in rows(assign_cluster(table, clusters))] == [None, None, None]
