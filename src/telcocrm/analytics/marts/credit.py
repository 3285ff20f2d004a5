"""Credit ratings A/B/C, classes I–III and credit authorisation per customer (brief §3; schemas.CREDIT).

Every rating is the lowest of the candidates that apply to the customer (就低不就高): the base of the customer's
kind, the payment grade of the last 6 months, and the worst integrity record of the last 12 months. On equal
ratings a record decides before a payment grade, and a payment grade before the base, so that the rule id names
the record behind a low rating. The rules and their defaults: docs/rules.md (## Credit).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.credit_terms import authorisation, credit_class, streak
from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.bills import staged_bills
from telcocrm.analytics.staging.integrity import staged_integrity
from telcocrm.analytics.staging.measures import text
from telcocrm.credit.config import RATINGS, CreditRules, PaymentThresholds

# Integrity record kinds in business words: Chinese, English.
RECORD_WORDS = {
    "written_off_arrears": ("欠费核销", "written-off arrears"),
    "fraud": ("欺诈", "fraud"),
    "bounced_payment": ("托收退票", "bounced payment"),
    "false_registration": ("虚假登记", "false registration"),
}
_A, _B, _C = 1, 2, 3  # ratings as ranks: a higher rank is a lower rating
_RANK_OF = dict(zip(RATINGS, (_A, _B, _C), strict=True))


def credit_ratings(inputs: MonthInputs, customers: ir.Table, rules: CreditRules) -> ir.Table:
    """One row per customer of the customer features, every column of schemas.CREDIT."""
    table = customers.left_join(_payments(inputs, rules), "customer_code").select(~ibis.selectors.endswith("_right"))
    table = table.left_join(_records(inputs, rules), "customer_code").select(~ibis.selectors.endswith("_right"))
    table = _rate(table, rules)
    table = streak(inputs, table)
    table = credit_class(table, rules)
    table = authorisation(table, rules)
    return table.select(*schemas.CREDIT.names).cast(ibis.schema(schemas.CREDIT))


def _payments(inputs: MonthInputs, rules: CreditRules) -> ir.Table:
    """Per customer: bills of the window, and for each set of thresholds the late and overdue counts of 6 months."""
    holders = inputs.base.select(holder_line=inputs.base.subscriber_id, customer_code=inputs.base.customer_code)
    bills = staged_bills(inputs)
    bills = bills.join(holders, bills.subscriber_id == holders.holder_line)
    recent, late = bills.in_6m, bills.days_late
    counts: dict[str, ir.Value] = {"bills_12m": bills.count(), "days_late_6m": late.max(where=recent)}
    for name, limits in (("in_network", rules.in_network), ("contract_cycle", rules.contract_cycle)):
        counts[f"{name}_late"] = bills.count(where=recent & (late > limits.grace_days))
        counts[f"{name}_overdue"] = bills.count(where=recent & (late > limits.b_days_late))
    return bills.group_by("customer_code").agg(**counts)


def _records(inputs: MonthInputs, rules: CreditRules) -> ir.Table:
    """Per customer: how many integrity records of each kind in the last 12 months."""
    records = staged_integrity(inputs)
    return records.group_by("customer_code").agg(
        **{f"records_{kind}": records.count(where=records.kind == kind) for kind in rules.integrity_severity}
    )


def _category(t: ir.Table, rules: CreditRules) -> ir.StringValue:
    """The customer's kind for rating: returning, prepaid, agent_buyout, new, contract_cycle or in_network."""
    tenure_new = t.customer_tenure_months < rules.new_customer_months
    is_new = tenure_new.fill_null(False) | (t.bills_12m.fill_null(0) == 0)
    return ibis.cases(
        (is_new & t.returning_rating.isin(RATINGS), "returning"),
        (t.payment_method == "prepaid", "prepaid"),
        (t.payment_method == "agent_buyout", "agent_buyout"),
        (is_new, "new"),
        (t.payment_method == "contract_cycle", "contract_cycle"),
        else_="in_network",
    )


def _payment_grade(t: ir.Table, name: str, limits: PaymentThresholds) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(rank, rule, reason) of the last 6 months' payments under one set of thresholds."""
    late, overdue = t[f"{name}_late"].fill_null(0), t[f"{name}_overdue"].fill_null(0)
    worst = t.days_late_6m.fill_null(0)
    over = str(limits.b_days_late)
    grades = [
        (
            worst >= limits.c_days_late,
            _C,
            "long_overdue",
            text("近6个月有账单逾期", worst, "天 / a bill ", worst, " days late in the last 6 months"),
        ),
        (
            overdue >= limits.c_late_bills,
            _C,
            "repeated_overdue",
            text(
                "近6个月",
                overdue,
                "次逾期超",
                over,
                "天 / ",
                overdue,
                " bills more than ",
                over,
                " days late in 6 months",
            ),
        ),
        (
            overdue >= 1,
            _B,
            "overdue",
            text("近6个月有账单逾期", worst, "天 / a bill ", worst, " days late in the last 6 months"),
        ),
        (
            late >= limits.b_late_bills,
            _B,
            "late_payments",
            text("近6个月", late, "次逾期交费 / ", late, " late bills in 6 months"),
        ),
    ]
    rank = ibis.cases(*((when, r) for when, r, _, _ in grades), else_=_A)
    rule = ibis.cases(
        *((when, f"credit.{name}.{rid}") for when, _, rid, _ in grades), else_=f"credit.{name}.good_payment"
    )
    reason = ibis.cases(
        *((when, why) for when, _, _, why in grades), else_=text("近6个月按时交费 / paid on time in the last 6 months")
    )
    return rank, rule, reason


def _worst_record(t: ir.Table, kinds: tuple[str, ...], category: ir.StringValue) -> tuple[ir.Value, ir.Value]:
    """(rule, reason) of the most severe record among `kinds` the customer has; nulls when none."""
    whens = [t[f"records_{kind}"].fill_null(0) > 0 for kind in kinds]
    rule = ibis.cases(
        *((when, text("credit.", category, "." + kind)) for when, kind in zip(whens, kinds, strict=True)),
        else_=ibis.null("string"),
    )
    reasons = []
    for when, kind in zip(whens, kinds, strict=True):
        zh, en = RECORD_WORDS[kind]
        n = t[f"records_{kind}"]
        reasons.append(
            (when, text("近12个月有", n, "条", zh, "记录 / ", n, " ", en, " record(s) in the last 12 months"))
        )
    return rule, ibis.cases(*reasons, else_=ibis.null("string"))


def _rate(t: ir.Table, rules: CreditRules) -> ir.Table:
    """Add credit_rating, credit_rule, credit_reason and the helper columns the classes read."""
    t = t.mutate(category=_category(t, rules))
    contract = t.payment_method == "contract_cycle"
    normal_rank, normal_rule, normal_reason = _payment_grade(t, "in_network", rules.in_network)
    cycle_rank, cycle_rule, cycle_reason = _payment_grade(t, "contract_cycle", rules.contract_cycle)
    t = t.mutate(
        pay_rank=ibis.ifelse(contract, cycle_rank, normal_rank),
        pay_rule=ibis.ifelse(contract, cycle_rule, normal_rule),
        pay_reason=ibis.ifelse(contract, cycle_reason, normal_reason),
    )
    by_severity = rules.integrity_severity
    c_kinds = tuple(k for k in by_severity if k in rules.c_range_records)
    b_kinds = tuple(k for k in by_severity if k in rules.b_range_records)
    c_rule, c_reason = _worst_record(t, c_kinds, t.category)
    b_rule, b_reason = _worst_record(t, b_kinds, t.category)
    lenient = t.category.isin(("prepaid", "agent_buyout"))  # brief: A, but C after a C-range record only
    t = t.mutate(
        has_c_record=c_rule.notnull(),
        rec_rank=ibis.cases((c_rule.notnull(), _C), (b_rule.notnull() & ~lenient, _B), else_=ibis.null("int64")),
        rec_rule=ibis.cases((c_rule.notnull(), c_rule), (~lenient, b_rule), else_=ibis.null("string")),
        rec_reason=ibis.cases((c_rule.notnull(), c_reason), (~lenient, b_reason), else_=ibis.null("string")),
    )
    t = _base(t, rules)
    # Lowest wins; on a tie the record, then the payment grade, then the base decides.
    worst = ibis.greatest(t.base_rank, t.pay_rank.fill_null(0), t.rec_rank.fill_null(0))
    by_record, by_payment = t.rec_rank == worst, t.pay_rank == worst
    return t.mutate(
        rank=worst,
        credit_rating=ibis.cases((worst == _A, "A"), (worst == _B, "B"), else_="C"),
        credit_rule=ibis.cases((by_record, t.rec_rule), (by_payment, t.pay_rule), else_=t.base_rule),
        credit_reason=ibis.cases((by_record, t.rec_reason), (by_payment, t.pay_reason), else_=t.base_reason),
    )


def _base(t: ir.Table, rules: CreditRules) -> ir.Table:
    """The base rating of the customer's kind; the payment grade stays a candidate only where it can lower it."""
    cat = t.category
    returning = ibis.cases(*((t.returning_rating == r, rank) for r, rank in _RANK_OF.items()), else_=_B)
    bank = t.bank_collection.fill_null(False)
    graded = cat.isin(("contract_cycle", "in_network"))
    return t.mutate(
        base_rank=ibis.cases(
            (cat == "returning", returning),
            (cat.isin(("prepaid", "agent_buyout")), _A),
            (cat == "new", ibis.ifelse(bank, _A, _B)),
            else_=t.pay_rank,
        ),
        base_rule=ibis.cases(
            (cat == "returning", "credit.returning.rating_when_left"),
            (cat == "prepaid", "credit.prepaid.base"),
            (cat == "agent_buyout", "credit.agent_buyout.base"),
            (cat == "new", ibis.ifelse(bank, "credit.new.bank_collection", "credit.new.base")),
            else_=t.pay_rule,
        ),
        base_reason=ibis.cases(
            (
                cat == "returning",
                text(
                    "老客户重新入网，沿用离网时信用等级",
                    t.returning_rating,
                    " / returning customer: rating ",
                    t.returning_rating,
                    " held when leaving",
                ),
            ),
            (cat == "prepaid", "预付费客户 / prepaid customer"),
            (cat == "agent_buyout", "代理商买断客户 / agent-buyout end customer"),
            (
                cat == "new",
                ibis.ifelse(
                    bank,
                    "新入网客户，银行托收交费 / new customer paying by bank collection",
                    "新入网客户 / new customer",
                ),
            ),
            else_=t.pay_reason,
        ),
        # prepaid and agent-buyout customers are not graded by payments; newcomers only lowered by late ones
        pay_rank=ibis.cases(
            (graded, ibis.null("int64")),
            (cat.isin(("prepaid", "agent_buyout")), ibis.null("int64")),
            (t.pay_rank > _A, t.pay_rank),
            else_=ibis.null("int64"),
        ),
    )
