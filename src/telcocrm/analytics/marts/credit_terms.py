"""What a credit rating leads to: the run of A months, classes I–III with suspension exemption, and credit
authorisation (overdraft limit, handset rental, discount limit). Brief §3; defaults in docs/rules.md (## Credit).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.measures import text
from telcocrm.credit.config import ByRating, CreditRules


def streak(inputs: MonthInputs, t: ir.Table) -> ir.Table:
    """consecutive_a_months: last month's value + 1 while rated A, else 0; `improved`: a better rating than last month.

    Without last month's results (or for a customer it did not rate) the run starts afresh: 1 if A, else 0.
    """
    if inputs.previous_credit is None:
        t = t.mutate(prev_a_months=ibis.null("int64"), prev_rating=ibis.null("string"))
    else:
        prev = inputs.previous_credit.select(
            prev_customer=inputs.previous_credit.customer_code,
            prev_a_months=inputs.previous_credit.consecutive_a_months,
            prev_rating=inputs.previous_credit.credit_rating,
        )
        t = t.left_join(prev, t.customer_code == prev.prev_customer).drop("prev_customer")
    is_a = t.credit_rating == "A"
    # ratings are letters ordered best first, so a better rating is a smaller letter
    improved = t.prev_rating.notnull() & (t.credit_rating < t.prev_rating)
    return t.mutate(
        consecutive_a_months=ibis.ifelse(is_a, t.prev_a_months.fill_null(0) + 1, 0).cast("int64"),
        improved=improved.fill_null(False),
    )


def credit_class(t: ir.Table, rules: CreditRules) -> ir.Table:
    """Class I (high credit or important; exempt from suspension), III (low credit or a bad record), else II."""
    months = t.consecutive_a_months
    high = months >= rules.class_i_consecutive_a_months
    important = t.organisation_category.isin(rules.important_categories).fill_null(False)
    late = t.late_bills_6m.fill_null(0)
    often_late = late >= rules.often_late_bills
    classes = [
        (
            high,
            "I",
            "credit.class.high_credit",
            text("连续", months, "个月信用等级A / rated A for ", months, " consecutive months"),
        ),
        (
            important,
            "I",
            "credit.class.important",
            text(
                "重要客户（",
                _category_words(t.organisation_category),
                "） / important customer (",
                t.organisation_category,
                ")",
            ),
        ),
        (t.has_c_record, "III", "credit.class.bad_record", t.rec_reason),
        (t.credit_rating == "C", "III", "credit.class.low_credit", text("信用等级C / credit rating C")),
        (
            often_late,
            "II",
            "credit.class.often_late",
            text("经常不按时交费：近6个月", late, "次逾期 / often pays late: ", late, " late bills in 6 months"),
        ),
    ]
    return t.mutate(
        credit_class=ibis.cases(*((when, c) for when, c, _, _ in classes), else_="II"),
        class_rule=ibis.cases(*((when, rid) for when, _, rid, _ in classes), else_="credit.class.ordinary"),
        class_reason=ibis.cases(
            *((when, why) for when, _, _, why in classes), else_=text("信用一般 / ordinary credit")
        ),
        suspension_exempt_months=ibis.ifelse(high | important, rules.class_i_exempt_months, 0).cast("int64"),
    )


# Organisation categories in Chinese for reasons; a configured category not listed here shows its code.
CATEGORY_WORDS = {
    "government": "政府",
    "party": "党委",
    "military": "军队",
    "public_institution": "事业单位",
    "enterprise_high_end": "高端企业",
}


def _category_words(category: ir.StringValue) -> ir.StringValue:
    return ibis.cases(*((category == code, words) for code, words in CATEGORY_WORDS.items()), else_=category)


def _by_rating(t: ir.Table, values: ByRating) -> ir.IntegerValue:
    return ibis.cases((t.credit_rating == "A", values.A), (t.credit_rating == "B", values.B), else_=values.C)


def _factor(column: ir.StringValue, factors: dict[str, int]) -> ir.IntegerValue:
    """The configured percent of the column's code; 100 for a code not listed or no code."""
    if not factors:
        return ibis.literal(100)
    return ibis.cases(*((column == code, pct) for code, pct in sorted(factors.items())), else_=100)


def authorisation(t: ir.Table, rules: CreditRules) -> ir.Table:
    """Overdraft limit, handset-rental eligibility and discount limit from rating, tenure, spend and profile.

    overdraft = min(cap, (base[rating] + ⌊arpu_6m × arpu_pct[rating] / 100⌋) × tenure% × income% × occupation%),
    each percent applied in turn and rounded down, so every step stays in whole fen.
    """
    tenure = t.customer_tenure_months.fill_null(0)
    tenure_pct = ibis.cases(*((tenure >= start, pct) for start, pct in reversed(rules.tenure_factor_pct)), else_=100)
    spend = ibis.greatest(t.arpu_6m_fen.fill_null(0), 0)
    amount = _by_rating(t, rules.overdraft_base_fen) + spend * _by_rating(t, rules.overdraft_arpu_pct) // 100
    for pct in (
        tenure_pct,
        _factor(t.income_band, rules.income_factor_pct),
        _factor(t.occupation, rules.occupation_factor_pct),
    ):
        amount = amount * pct // 100
    bonus = ibis.ifelse(t.improved, rules.upgrade_bonus_discount_pct, 0)
    return t.mutate(
        overdraft_limit_fen=ibis.least(amount, rules.overdraft_cap_fen).cast("int64"),
        rental_eligible=(t.credit_rating == "A")
        | ((t.credit_rating == "B") & (tenure >= rules.rental_b_min_tenure_months)),
        discount_limit_pct=ibis.least(_by_rating(t, rules.discount_limit_pct) + bonus, 100).cast("int64"),
    )
