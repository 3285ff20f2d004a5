"""The lifecycle × value × brand matrix (schemas.RETENTION_MATRIX; brief §8 目标市场客户细分).

Every line of the month's lifecycle stages, counted per (lifecycle stage, value tier of its customer, brand of the
line), with the retention phase the stage belongs to (retention.toml [phases]): where retention work and money go.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.churn.cost_cap import RetentionRules


def retention_matrix(
    lifecycle: ir.Table, segments: ir.Table, features: ir.Table, warnings: ir.Table, rules: RetentionRules
) -> ir.Table:
    """Lines, customers, ARPU and warned lines per lifecycle stage × value tier × brand, with the cell's phase."""
    lines = features.select("month", "subscriber_id", "customer_code", "brand", "arpu_3m_fen")
    t = lines.join(lifecycle.select("subscriber_id", "lifecycle_stage"), "subscriber_id")
    t = t.select(~ibis.selectors.endswith("_right"))
    t = t.left_join(segments.select("customer_code", "value_tier"), "customer_code")
    t = t.select(~ibis.selectors.endswith("_right"))
    t = t.left_join(warnings.select("subscriber_id", "warned"), "subscriber_id")
    t = t.select(~ibis.selectors.endswith("_right"))
    cells = t.group_by("month", "lifecycle_stage", "value_tier", "brand").agg(
        lines=t.count(),
        customers=t.customer_code.nunique(),
        arpu_fen=t.arpu_3m_fen.sum().fill_null(0),
        warned_lines=t.count(where=t.warned.fill_null(False)),
    )
    phase = ibis.cases(
        *[(cells.lifecycle_stage == stage, p.value) for stage, p in rules.phases.items()], else_=ibis.null("string")
    )
    return (
        cells.mutate(retention_phase=phase)
        .select(*schemas.RETENTION_MATRIX.names)
        .cast(ibis.schema(schemas.RETENTION_MATRIX))
    )
