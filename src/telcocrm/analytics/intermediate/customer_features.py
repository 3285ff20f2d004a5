"""Customer features of the month (schemas.CUSTOMER_FEATURES): the subscriber features summed up per customer.

- The customers: every customer with a subscriber row in the month's subscriber features.
- Main line: the customer's subscriber with the highest arpu_3m_fen, then the lowest subscriber_id. The customer's
  own attributes (kind, category, occupation …) are read from the main line's base row, its payment method and
  brand from the main line.
- subscribers: lines not terminated at the month's end. Money and counts are sums over all the customer's lines
  of the month; max_days_late_6m and arrears_age_days the largest.
- group_size: lines not terminated at the month's end on the customer's group master accounts or on their
  sub-accounts (whoever holds them).
- worst_integrity_kind: the most severe kind, in the configured severity order (credit rules
  `integrity_severity`), of the customer's integrity records of the last 12 months.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.integrity import staged_integrity
from telcocrm.analytics.staging.measures import whole_months
from telcocrm.credit.config import CreditRules

_SUMS = (
    "billed_fen",
    "arpu_3m_fen",
    "arpu_6m_fen",
    "arpu_prev_3m_fen",
    "bills_6m",
    "late_bills_6m",
    "arrears_fen",
    "deposit_fen_12m",
    "voice_minutes",
    "data_mb",
    "sms_count",
    "roaming_days",
)
_MAXIMA = ("max_days_late_6m", "arrears_age_days")
_PROFILE = (
    "customer_kind",
    "organisation_category",
    "industry",
    "decision_scope",
    "strategic",
    "home_business",
    "occupation",
    "income_band",
    "birth_year",
    "returning_rating",
    "customer_joined_date",
)


def customer_features(inputs: MonthInputs, features: ir.Table, *, rules: CreditRules | None = None) -> ir.Table:
    """One row per customer of the month's subscriber features, every column of schemas.CUSTOMER_FEATURES."""
    severity = (rules or CreditRules()).integrity_severity
    table = _totals(features)
    for part in (_main_line(inputs, features), _group_sizes(inputs, features), _integrity(inputs, severity)):
        table = table.left_join(part, "customer_code").select(~ibis.selectors.endswith("_right"))
    table = table.mutate(
        month=ibis.literal(inputs.month),
        customer_tenure_months=whole_months(table.customer_joined_date, inputs.last_day),
        group_size=table.group_size.fill_null(0),
        integrity_records_12m=table.integrity_records_12m.fill_null(0),
    )
    return table.select(*schemas.CUSTOMER_FEATURES.names).cast(ibis.schema(schemas.CUSTOMER_FEATURES))


def _totals(f: ir.Table) -> ir.Table:
    staying = f.subscriber_status != "terminated"
    return f.group_by("customer_code").agg(
        subscribers=f.count(where=staying),
        bank_collection=(f.payment_method == "bank_collection").any(),
        has_family_account=f.account_type.isin(("family_primary", "family_secondary")).any(),
        has_group_master=(f.account_type == "group_master").any(),
        has_e8=(f.product == "e8_bundle").any(),
        has_e6=(f.product == "e6_bundle").any(),
        **{name: f[name].sum() for name in _SUMS},
        **{name: f[name].max() for name in _MAXIMA},
    )


def _main_line(inputs: MonthInputs, f: ir.Table) -> ir.Table:
    """The main line's subscriber_id, payment method and brand, with the customer's profile from the base."""
    top = f.group_by("customer_code").agg(top_arpu=f.arpu_3m_fen.max())
    leaders = f.join(top, (f.customer_code == top.customer_code) & (f.arpu_3m_fen == top.top_arpu))
    main = leaders.group_by("customer_code").agg(main_subscriber=leaders.subscriber_id.min())
    lines = f.select(line_id=f.subscriber_id, payment_method=f.payment_method, main_brand=f.brand)
    main = main.join(lines, main.main_subscriber == lines.line_id)
    profile = inputs.base.select("subscriber_id", *_PROFILE)
    main = main.left_join(profile, main.main_subscriber == profile.subscriber_id)
    return main.select("customer_code", "payment_method", "main_brand", *_PROFILE)


def _group_sizes(inputs: MonthInputs, f: ir.Table) -> ir.Table:
    accounts = inputs.base.select("subscriber_id", "account_code", "parent_account_code")
    lines = f.filter(f.subscriber_status != "terminated").select("subscriber_id", "customer_code", "account_type")
    lines = lines.join(accounts, "subscriber_id").select(~ibis.selectors.endswith("_right"))
    masters = (
        lines.filter(lines.account_type == "group_master")
        .select(master_holder=lines.customer_code, master_code=lines.account_code)
        .distinct()
    )
    # A line counts under a master through its own account or its account's parent: two equality joins, since
    # one join on "either" has no hash key and compares every line with every master.
    on_master = lines.select(member=lines.subscriber_id, master_code=lines.account_code)
    on_sub_account = lines.select(member=lines.subscriber_id, master_code=lines.parent_account_code)
    members = on_master.union(on_sub_account, distinct=False)
    under = masters.join(members, "master_code")
    return under.group_by(customer_code=under.master_holder).agg(group_size=under.member.nunique())


def _integrity(inputs: MonthInputs, severity: tuple[str, ...]) -> ir.Table:
    records = staged_integrity(inputs)
    rank = ibis.cases(*((records.kind == kind, index) for index, kind in enumerate(severity)), else_=len(severity))
    records = records.mutate(severity_rank=rank)
    per_customer = records.group_by("customer_code").agg(
        integrity_records_12m=records.count(), worst_rank=records.severity_rank.min()
    )
    worst = ibis.cases(*((per_customer.worst_rank == index, kind) for index, kind in enumerate(severity)))
    return per_customer.mutate(worst_integrity_kind=worst).drop("worst_rank")
