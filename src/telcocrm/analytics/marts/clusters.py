"""The consumption-behaviour cluster of the five-way classification (002 客户五分法): k-means on usage.

The fit reads the month's customer features Parquet file with pyarrow and runs in numpy, so it is the same
whichever engine wrote the file: rows are ordered by customer code before the seeded sample, k-means++ start
and Lloyd iterations. The assignment is a pure Ibis expression, identical on DuckDB and Spark.

Integer units, so both engines pick the same cluster for every row: each feature x becomes
`l = floor(ln(1 + x) × 1000)` (the only floating-point step; engines may differ in the last bit of `ln`, which
moves `l` only when ln(1 + x) × 1000 lies within one ulp of a whole number), then the standardised
`z = floor((l − mean) × 1000 / scale)` with integer `mean` and `scale` fixed by the fit, and centroids are whole
numbers in the same units. Squared distances are then exact int64 sums; ties go to the lowest cluster index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcocrm.segments.config import SegmentRules

MILLI = 1000
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BehaviourClusters:
    """A fitted clustering: per-feature integer scaling and integer centroids (×1000), with their labels."""

    features: tuple[str, ...]
    means: tuple[int, ...]  # of l = floor(ln(1 + x) × 1000)
    scales: tuple[int, ...]  # standard deviation of l, at least 1
    centroids: tuple[tuple[int, ...], ...]  # in z units (standard deviations × 1000)
    labels: tuple[str, ...]
    sample_rows: int


def fit_behaviour_clusters(path: Path, rules: SegmentRules) -> BehaviourClusters:
    """Fit k-means on a seeded sample of the customer features file (numpy only; independent of the engine)."""
    spec = rules.clusters
    table = pq.read_table(path, columns=["customer_code", *spec.features])
    table = table.take(pc.sort_indices(table, sort_keys=[("customer_code", "ascending")]))
    rng = np.random.default_rng(spec.seed)
    if table.num_rows > spec.sample_size:
        table = table.take(np.sort(rng.choice(table.num_rows, spec.sample_size, replace=False)))
    raw = np.column_stack(
        [np.maximum(table[f].fill_null(0).to_numpy(zero_copy_only=False), 0) for f in spec.features]
    ).astype(np.float64)
    if raw.shape[0] == 0:
        return BehaviourClusters(spec.features, (0,) * len(spec.features), (1,) * len(spec.features), (), (), 0)
    logs = log_units(raw)
    means = np.round(logs.mean(axis=0)).astype(np.int64)
    scales = np.maximum(np.round(logs.std(axis=0)), 1).astype(np.int64)
    points = standardise(logs, means, scales).astype(np.float64)
    centroids = np.round(_kmeans(points, spec.count, spec.max_iterations, rng)).astype(np.int64)
    ordered, labels = _name(centroids, spec.features, spec.light_below_milli)
    return BehaviourClusters(
        features=spec.features,
        means=tuple(int(m) for m in means),
        scales=tuple(int(s) for s in scales),
        centroids=tuple(tuple(int(v) for v in c) for c in ordered),
        labels=labels,
        sample_rows=int(raw.shape[0]),
    )


def log_units(raw: Matrix) -> npt.NDArray[np.int64]:
    """l = floor(ln(1 + x) × 1000), written as the engines compute it (ln of x + 1)."""
    logs: npt.NDArray[np.int64] = np.floor(np.log(raw + 1.0) * MILLI).astype(np.int64)
    return logs


def standardise(
    logs: npt.NDArray[np.int64], means: npt.NDArray[np.int64], scales: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """z = floor((l − mean) × 1000 / scale), integers."""
    scaled: npt.NDArray[np.int64] = np.floor_divide((logs - means) * MILLI, scales)
    return scaled


def _kmeans(points: Matrix, count: int, iterations: int, rng: np.random.Generator) -> Matrix:
    centroids = _kmeans_plus_plus(points, count, rng)
    assigned = np.full(points.shape[0], -1)
    for _ in range(iterations):
        distances = ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        nearest = distances.argmin(axis=1)  # argmin keeps the lowest index on ties
        if np.array_equal(nearest, assigned):
            break
        assigned = nearest
        for index in range(centroids.shape[0]):
            members = points[assigned == index]
            if members.shape[0]:  # an emptied cluster keeps its centroid
                centroids[index] = members.mean(axis=0)
    return centroids


def _kmeans_plus_plus(points: Matrix, count: int, rng: np.random.Generator) -> Matrix:
    """Seeded k-means++ start; fewer centroids when the sample has fewer distinct points."""
    chosen = [points[int(rng.integers(points.shape[0]))]]
    nearest = ((points - chosen[0]) ** 2).sum(axis=1)
    while len(chosen) < count and nearest.sum() > 0:
        pick = int(rng.choice(points.shape[0], p=nearest / nearest.sum()))
        chosen.append(points[pick])
        nearest = np.minimum(nearest, ((points - points[pick]) ** 2).sum(axis=1))
    return np.array(chosen, dtype=np.float64)


def _name(
    centroids: npt.NDArray[np.int64], features: tuple[str, ...], light_below: int
) -> tuple[list[npt.NDArray[np.int64]], tuple[str, ...]]:
    """Order and name the clusters from their centroids alone: "light" or "<strongest feature>_heavy".

    Clusters sort by label, then by the larger total first, then by the centroid; a repeated label gets "_2", "_3"
    in that order, so the same centroids always give the same names and indexes.
    """

    def label(c: npt.NDArray[np.int64]) -> str:
        if int(c.max()) < light_below:
            return "light"
        return f"{features[int(c.argmax())].split('_')[0]}_heavy"

    ordered = sorted(centroids, key=lambda c: (label(c), -int(c.sum()), tuple(int(v) for v in c)))
    labels: list[str] = []
    for c in ordered:
        base = label(c)
        seen = sum(1 for existing in labels if existing == base or existing.startswith(f"{base}_"))
        labels.append(base if seen == 0 else f"{base}_{seen + 1}")
    return ordered, tuple(labels)


def assign_cluster(table: ir.Table, clusters: BehaviourClusters, name: str = "behaviour_cluster") -> ir.Table:
    """The table with the label of each row's nearest centroid (integer units; ties: the lowest index).

    The label is null when nothing was fitted (no customers in the month).
    """
    if not clusters.centroids:
        return table.mutate(**{name: ibis.null("string")})
    scaled = table.mutate(
        **{
            f"_z{i}": _z(table[feature], mean, scale)
            for i, (feature, mean, scale) in enumerate(
                zip(clusters.features, clusters.means, clusters.scales, strict=True)
            )
        }
    )
    measured = scaled.mutate(
        **{f"_d{k}": _squared_distance(scaled, centroid) for k, centroid in enumerate(clusters.centroids)}
    )
    distances = [measured[f"_d{k}"] for k in range(len(clusters.centroids))]
    nearest = ibis.least(*distances) if len(distances) > 1 else distances[0]
    label = ibis.cases(*[(d == nearest, text) for d, text in zip(distances, clusters.labels, strict=True)])
    temporary = [c for c in measured.columns if c.startswith(("_z", "_d")) and c not in table.columns]
    return measured.mutate(**{name: label}).drop(*temporary)


def _squared_distance(scaled: ir.Table, centroid: tuple[int, ...]) -> ir.IntegerValue:
    total: ir.IntegerValue = ibis.literal(0, "int64")
    for i, value in enumerate(centroid):
        delta = scaled[f"_z{i}"] - value
        total = total + delta * delta
    return total


def _z(column: ir.Value, mean: int, scale: int) -> ir.IntegerValue:
    usage = ibis.greatest(column.cast("int64").fill_null(0), 0).cast("float64")
    logs = ((usage + 1).ln() * MILLI).floor().cast("int64")
    z: ir.IntegerValue = ((logs - mean) * MILLI) // scale  # floor of an exact double quotient: |values| < 2^53
    return z
