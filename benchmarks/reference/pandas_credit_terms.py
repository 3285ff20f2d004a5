"""What a rating leads to, in pandas: the run of A months, classes I–III, credit authorisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from benchmarks.reference.pandas_credit import by_rating, category_words, text
from benchmarks.reference.pandas_frames import MonthFrames, mask

from telcocrm.credit.config import CreditRules


def _factor(column: pd.Series, factors: dict[str, int]) -> np.ndarray:
    return column.map(factors).fillna(100).astype("int64").to_numpy() if factors else np.full(len(column), 100)


def authorise(f: MonthFrames, t: pd.DataFrame, r: CreditRules) -> pd.DataFrame:
    """Add consecutive A months, class and authorisation to the rated customers (schemas.CREDIT columns)."""
    prev = f.previous_credit.set_index("customer_code")[["consecutive_a_months", "credit_rating"]]
    t = t.join(prev.add_prefix("prev_"), on="customer_code")
    rating = t.credit_rating.to_numpy()
    is_a = rating == "A"
    t["consecutive_a_months"] = np.where(is_a, t.prev_consecutive_a_months.fillna(0).to_numpy() + 1, 0)
    improved = mask(t.prev_credit_rating.notna() & (t.credit_rating < t.prev_credit_rating))
    months = t.consecutive_a_months
    high = months.to_numpy() >= r.class_i_consecutive_a_months
    important = mask(t.organisation_category.isin(list(r.important_categories)))
    late = t.late_bills_6m.fillna(0)
    often_late = late.to_numpy() >= r.often_late_bills
    low, bad = rating == "C", t.has_c_record.to_numpy()
    whens = [high, important, bad, low, often_late]
    t["credit_class"] = np.select(whens, ["I", "I", "III", "III", "II"], default="II")
    t["class_rule"] = np.select(
        whens,
        ["credit.class.high_credit", "credit.class.important", "credit.class.bad_record", "credit.class.low_credit",
         "credit.class.often_late"],
        default="credit.class.ordinary",
    )  # fmt: skip
    cat = t.organisation_category
    reasons = [
        text("连续", months, "个月信用等级A / rated A for ", months, " consecutive months"),
        text("重要客户（", category_words(cat), "） / important customer (", cat, ")"),
        t.rec_reason,
        "信用等级C / credit rating C",
        text("经常不按时交费：近6个月", late, "次逾期 / often pays late: ", late, " late bills in 6 months"),
    ]
    choices = [c.astype(object) if isinstance(c, pd.Series) else c for c in reasons]
    t["class_reason"] = np.select(whens, choices, default="信用一般 / ordinary credit")
    t["suspension_exempt_months"] = np.where(high | important, r.class_i_exempt_months, 0)
    tenure = t.customer_tenure_months.fillna(0).to_numpy()
    tenure_pct = np.select([tenure >= s for s, _ in reversed(r.tenure_factor_pct)],
                           [p for _, p in reversed(r.tenure_factor_pct)], default=100)  # fmt: skip
    spend = t.arpu_6m_fen.fillna(0).clip(lower=0).to_numpy()
    amount = (
        by_rating(t.credit_rating, r.overdraft_base_fen)
        + spend * by_rating(t.credit_rating, r.overdraft_arpu_pct) // 100
    )
    for pct in (
        tenure_pct,
        _factor(t.income_band, r.income_factor_pct),
        _factor(t.occupation, r.occupation_factor_pct),
    ):
        amount = amount * pct // 100
    t["overdraft_limit_fen"] = np.minimum(amount, r.overdraft_cap_fen)
    t["rental_eligible"] = is_a | ((rating == "B") & (tenure >= r.rental_b_min_tenure_months))
    bonus = np.where(improved, r.upgrade_bonus_discount_pct, 0)
    t["discount_limit_pct"] = np.minimum(by_rating(t.credit_rating, r.discount_limit_pct) + bonus, 100)
    return t
