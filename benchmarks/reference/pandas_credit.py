"""Customer features and credit ratings in pandas (the pandas reference's second and third layers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from benchmarks.reference.pandas_frames import MonthFrames, mask, staged_bills, whole_months

from telcocrm.analytics.marts.credit import RECORD_WORDS
from telcocrm.analytics.marts.credit_terms import CATEGORY_WORDS
from telcocrm.credit.config import ByRating, CreditRules, PaymentThresholds

SUMS = ["billed_fen", "arpu_3m_fen", "arpu_6m_fen", "arpu_prev_3m_fen", "bills_6m", "late_bills_6m", "arrears_fen",
        "deposit_fen_12m", "voice_minutes", "data_mb", "sms_count", "roaming_days"]  # fmt: skip
PROFILE = ["customer_kind", "organisation_category", "industry", "decision_scope", "strategic", "home_business",
           "occupation", "income_band", "birth_year", "returning_rating", "customer_joined_date"]  # fmt: skip


def _integrity(f: MonthFrames) -> pd.DataFrame:
    """Records of the last 12 months on the customer now holding the line: (customer_code, kind)."""
    r = f.integrity[((f.integrity.event_date >= f.since(12)) & (f.integrity.event_date <= f.last)).to_numpy()]
    holders = f.base[["subscriber_id", "customer_code"]].rename(columns={"customer_code": "holder"})
    r = r.merge(holders, how="left", on="subscriber_id")
    return pd.DataFrame({"customer_code": r.holder.fillna(r.customer_code), "kind": r.kind})


def customer_features(f: MonthFrames, sf: pd.DataFrame, rules: CreditRules) -> pd.DataFrame:
    """One row per customer of the subscriber features (schemas.CUSTOMER_FEATURES)."""
    staying = mask(sf.subscriber_status != "terminated") & sf.subscriber_status.notna().to_numpy()
    flags = sf.assign(
        subscribers=staying,
        bank_collection=mask(sf.payment_method == "bank_collection"),
        has_family_account=mask(sf.account_type.isin(["family_primary", "family_secondary"])),
        has_group_master=mask(sf.account_type == "group_master"),
        has_e8=mask(sf["product"] == "e8_bundle"),
        has_e6=mask(sf["product"] == "e6_bundle"),
    )
    by_customer = flags.groupby("customer_code")
    t = by_customer[[*SUMS, "subscribers"]].sum()
    t["subscribers"] = t.subscribers.astype("Int64")
    t = t.join(by_customer[["max_days_late_6m", "arrears_age_days"]].max())
    t = t.join(by_customer[["bank_collection", "has_family_account", "has_group_master", "has_e8", "has_e6"]].any())
    main = sf.sort_values(["customer_code", "arpu_3m_fen", "subscriber_id"], ascending=[True, False, True])
    main = main.drop_duplicates("customer_code")[["customer_code", "subscriber_id", "payment_method", "brand"]]
    main = main.merge(f.base[["subscriber_id", *PROFILE]], how="left", on="subscriber_id")
    t = t.join(main.set_index("customer_code").rename(columns={"brand": "main_brand"}))
    t["group_size"] = _group_sizes(f, sf[staying])
    severity = list(rules.integrity_severity)
    records = _integrity(f)
    records["rank"] = records.kind.map({k: i for i, k in enumerate(severity)}).fillna(len(severity))
    per = records.groupby("customer_code").agg(integrity_records_12m=("kind", "size"), worst=("rank", "min"))
    per["worst_integrity_kind"] = per.worst.map(dict(enumerate(severity)))
    t = t.join(per[["integrity_records_12m", "worst_integrity_kind"]])
    t[["group_size", "integrity_records_12m"]] = t[["group_size", "integrity_records_12m"]].fillna(0).astype("Int64")
    t["month"] = f.files.month
    t["customer_tenure_months"] = whole_months(t.customer_joined_date, f.last)
    return t.reset_index()


def _group_sizes(f: MonthFrames, staying: pd.DataFrame) -> pd.Series:
    """Lines on each customer's group master accounts or their sub-accounts, whoever holds them."""
    lines = staying[["subscriber_id", "customer_code", "account_type"]].merge(
        f.base[["subscriber_id", "account_code", "parent_account_code"]], on="subscriber_id"
    )
    masters = lines.loc[mask(lines.account_type == "group_master"), ["customer_code", "account_code"]]
    masters = masters.dropna(subset=["account_code"]).drop_duplicates()
    members = [
        masters.merge(lines.dropna(subset=[key])[["subscriber_id", key]], left_on="account_code", right_on=key)
        for key in ("account_code", "parent_account_code")
    ]
    under = pd.concat([m[["customer_code", "subscriber_id"]] for m in members]).drop_duplicates()
    return under.groupby("customer_code").size()


def _payments(f: MonthFrames, rules: CreditRules) -> pd.DataFrame:
    b = staged_bills(f).merge(f.base[["subscriber_id", "customer_code"]], on="subscriber_id")
    recent = b[b.in_6m]
    out = pd.DataFrame({"bills_12m": b.groupby("customer_code").size()})
    out["days_late_6m"] = recent.groupby("customer_code").days_late.max()
    for name, limits in (("in_network", rules.in_network), ("contract_cycle", rules.contract_cycle)):
        out[f"{name}_late"] = recent[recent.days_late > limits.grace_days].groupby("customer_code").size()
        out[f"{name}_overdue"] = recent[recent.days_late > limits.b_days_late].groupby("customer_code").size()
    return out.astype("Int64")


def text(*parts: object) -> pd.Series:
    """Words and whole numbers joined into one reason per row."""
    pieces = [p.astype("string") if isinstance(p, pd.Series) else p for p in parts]
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined + piece  # type: ignore[operator]
    return joined  # type: ignore[return-value]


def _grade(t: pd.DataFrame, name: str, limits: PaymentThresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    late, over = t[f"{name}_late"].fillna(0), t[f"{name}_overdue"].fillna(0)
    worst = t.days_late_6m.fillna(0)
    days = text("近6个月有账单逾期", worst, "天 / a bill ", worst, " days late in the last 6 months")
    b = limits.b_days_late
    grades = [
        (worst >= limits.c_days_late, 3, "long_overdue", days),
        (over >= limits.c_late_bills, 3, "repeated_overdue",
         text("近6个月", over, f"次逾期超{b}天 / ", over, f" bills more than {b} days late in 6 months")),
        (over >= 1, 2, "overdue", days),
        (late >= limits.b_late_bills, 2, "late_payments",
         text("近6个月", late, "次逾期交费 / ", late, " late bills in 6 months")),
    ]  # fmt: skip
    whens = [mask(w) for w, _, _, _ in grades]
    rank = np.select(whens, [r for _, r, _, _ in grades], default=1)
    rule = np.select(whens, [f"credit.{name}.{i}" for _, _, i, _ in grades], default=f"credit.{name}.good_payment")
    reason = np.select(
        whens,
        [w.astype(object) for _, _, _, w in grades],
        default="近6个月按时交费 / paid on time in the last 6 months",
    )
    return rank, rule, reason


def _worst_record(t: pd.DataFrame, kinds: list[str]) -> tuple[np.ndarray, np.ndarray]:
    whens = [t[f"records_{k}"].to_numpy() > 0 for k in kinds]
    rules = [("credit." + t.category + "." + k).astype(object) for k in kinds]
    reasons = [
        text("近12个月有", t[f"records_{k}"], f"条{RECORD_WORDS[k][0]}记录 / ", t[f"records_{k}"],
              f" {RECORD_WORDS[k][1]} record(s) in the last 12 months").astype(object)
        for k in kinds
    ]  # fmt: skip
    return np.select(whens, rules, default=None), np.select(whens, reasons, default=None)


def by_rating(rating: pd.Series, values: ByRating) -> np.ndarray:
    return np.select([rating.to_numpy() == "A", rating.to_numpy() == "B"], [values.A, values.B], default=values.C)


def credit(f: MonthFrames, customers: pd.DataFrame, r: CreditRules) -> pd.DataFrame:
    """Credit rating, class and authorisation of every customer (schemas.CREDIT)."""
    from benchmarks.reference.pandas_credit_terms import authorise

    t = customers.join(_payments(f, r), on="customer_code")
    records = _integrity(f)
    counts = pd.crosstab(records.customer_code, records.kind).reindex(columns=list(r.integrity_severity), fill_value=0)
    t = t.join(counts.add_prefix("records_"), on="customer_code")
    t[counts.add_prefix("records_").columns] = t[counts.add_prefix("records_").columns].fillna(0).astype("int64")
    method = t.payment_method
    is_new = mask(t.customer_tenure_months < r.new_customer_months) | (t.bills_12m.fillna(0).to_numpy() == 0)
    t["category"] = np.select(
        [is_new & mask(t.returning_rating.isin(["A", "B", "C"])), mask(method == "prepaid"),
         mask(method == "agent_buyout"), is_new, mask(method == "contract_cycle")],
        ["returning", "prepaid", "agent_buyout", "new", "contract_cycle"],
        default="in_network",
    )  # fmt: skip
    contract = mask(method == "contract_cycle")
    pay = [np.where(contract, c, n) for c, n in zip(_grade(t, "contract_cycle", r.contract_cycle),
                                                     _grade(t, "in_network", r.in_network), strict=True)]  # fmt: skip
    pay_rank, pay_rule, pay_reason = pay
    c_rule, c_reason = _worst_record(t, [k for k in r.integrity_severity if k in r.c_range_records])
    b_rule, b_reason = _worst_record(t, [k for k in r.integrity_severity if k in r.b_range_records])
    category = t.category.to_numpy(dtype=object)
    lenient = np.isin(category, ["prepaid", "agent_buyout"])
    has_c, has_b = pd.notna(c_rule), pd.notna(b_rule) & ~lenient
    rec_rank = np.select([has_c, has_b], [3, 2], default=0)  # 0: no record
    rec_rule = np.select([has_c, ~lenient], [c_rule, b_rule], default=None)
    rec_reason = np.select([has_c, ~lenient], [c_reason, b_reason], default=None)
    bank = mask(t.bank_collection)
    returning = t.returning_rating.map({"A": 1, "C": 3}).fillna(2).to_numpy()
    kinds = [category == "returning", lenient, category == "new"]
    base_rank = np.select(kinds, [returning, 1, np.where(bank, 1, 2)], default=pay_rank)
    base_rule = np.select(
        kinds,
        ["credit.returning.rating_when_left", "credit." + category + ".base",
         np.where(bank, "credit.new.bank_collection", "credit.new.base")],
        default=pay_rule,
    )  # fmt: skip
    came_back = text("老客户重新入网，沿用离网时信用等级", t.returning_rating, " / returning customer: rating ",
                      t.returning_rating, " held when leaving").astype(object)  # fmt: skip
    base_reason = np.select(
        [*kinds[:1], category == "prepaid", category == "agent_buyout", kinds[2]],
        [came_back, "预付费客户 / prepaid customer", "代理商买断客户 / agent-buyout end customer",
         np.where(bank, "新入网客户，银行托收交费 / new customer paying by bank collection",
                  "新入网客户 / new customer")],
        default=pay_reason,
    )  # fmt: skip
    # newcomers and returning customers keep the payment grade only where it lowers their base
    lowering = np.where(np.isin(category, ["returning", "new"]) & (pay_rank > 1), pay_rank, 0)
    worst = np.maximum.reduce([base_rank.astype(int), lowering, rec_rank])
    by_record, by_payment = rec_rank == worst, lowering == worst
    t["credit_rating"] = np.array(["", "A", "B", "C"], dtype=object)[worst]
    t["credit_rule"] = np.select([by_record, by_payment], [rec_rule, pay_rule], default=base_rule)
    t["credit_reason"] = np.select([by_record, by_payment], [rec_reason, pay_reason], default=base_reason)
    t["has_c_record"], t["rec_reason"] = has_c, rec_reason
    return authorise(f, t, r)


def category_words(category: pd.Series) -> pd.Series:
    return category.map(CATEGORY_WORDS).fillna(category)
