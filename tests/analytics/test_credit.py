"""Credit ratings, classes and authorisation: the rules of brief §3, on every engine."""

from __future__ import annotations

import tomllib
from datetime import date
from typing import Any

import ibis
import pytest

from telcocrm.analytics import schemas
from telcocrm.analytics.intermediate.customer_features import customer_features
from telcocrm.analytics.intermediate.subscriber_features import subscriber_features
from telcocrm.analytics.marts.credit import credit_ratings
from telcocrm.credit.config import CreditRules
from telcocrm.jobs.rules import DEFAULT_RULES_FILE
from tests.analytics.conftest import rows
from tests.analytics.inputs import month_inputs
from tests.analytics.test_subscriber_features import bill, line

MONTH = "2026-06"
SETTLED = [bill(m, 5_000) for m in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05")]  # all paid on time


def record(kind: str, day: date = date(2026, 3, 1), customer_code: str = "C1") -> dict[str, Any]:
    return {"customer_code": customer_code, "event_date": day, "kind": kind, "amount_fen": 0}


def rate(con: Any, rules: CreditRules | None = None, **tables: Any) -> dict[str, dict[str, Any]]:
    """Credit rows by customer code, through the real feature steps."""
    rules = rules or CreditRules()
    inputs = month_inputs(con, MONTH, **tables)
    features = ibis.memtable(subscriber_features(inputs).to_pyarrow())  # materialised, as the monthly run does
    customers = ibis.memtable(customer_features(inputs, features, rules=rules).to_pyarrow())
    result = credit_ratings(inputs, customers, rules)
    assert result.schema() == ibis.schema(schemas.CREDIT)
    return {row["customer_code"]: row for row in rows(result, "customer_code")}


def one(con: Any, rules: CreditRules | None = None, **tables: Any) -> dict[str, Any]:
    return rate(con, rules, **tables)["C1"]


NEWCOMER: dict[str, Any] = {"customer_joined_date": date(2026, 3, 10), "activated_date": date(2026, 3, 10)}


def test_a_bank_collection_newcomer_is_a(con: Any) -> None:
    row = one(con, base=[line(payment_method="bank_collection", **NEWCOMER)])
    assert (row["credit_rating"], row["credit_rule"]) == ("A", "credit.new.bank_collection")
    assert row["credit_reason"] == "新入网客户，银行托收交费 / new customer paying by bank collection"


def test_a_plain_newcomer_is_b(con: Any) -> None:
    row = one(con, base=[line(**NEWCOMER)], bills=[bill("2026-04", 3_000), bill("2026-05", 3_000)])
    assert (row["credit_rating"], row["credit_rule"]) == ("B", "credit.new.base")
    assert (row["credit_class"], row["class_rule"]) == ("II", "credit.class.ordinary")


def test_a_long_standing_customer_without_any_bill_is_rated_as_a_newcomer(con: Any) -> None:
    assert one(con, base=[line()])["credit_rule"] == "credit.new.base"


def test_a_returning_customer_keeps_the_rating_held_when_leaving(con: Any) -> None:
    row = one(con, base=[line(returning_rating="C", payment_method="bank_collection", **NEWCOMER)])
    assert (row["credit_rating"], row["credit_rule"]) == ("C", "credit.returning.rating_when_left")


def test_one_c_range_record_in_12_months_makes_a_prepaid_customer_c(con: Any) -> None:
    base = [line(payment_method="prepaid")]
    assert one(con, base=base)["credit_rating"] == "A"
    row = one(con, base=base, integrity=[record("written_off_arrears", date(2025, 7, 1))])
    assert (row["credit_rating"], row["credit_rule"]) == ("C", "credit.prepaid.written_off_arrears")
    assert row["credit_reason"] == "近12个月有1条欠费核销记录 / 1 written-off arrears record(s) in the last 12 months"
    assert (row["credit_class"], row["class_rule"]) == ("III", "credit.class.bad_record")
    old = one(con, base=base, integrity=[record("fraud", date(2025, 6, 30))])  # 12 months and a day ago
    assert old["credit_rating"] == "A"


def test_an_agent_buyout_customer_with_a_bounced_payment_stays_a(con: Any) -> None:
    row = one(con, base=[line(payment_method="agent_buyout")], bills=SETTLED, integrity=[record("bounced_payment")])
    assert (row["credit_rating"], row["credit_rule"]) == ("A", "credit.agent_buyout.base")
    fraud = one(con, base=[line(payment_method="agent_buyout")], integrity=[record("fraud")])
    assert (fraud["credit_rating"], fraud["credit_rule"]) == ("C", "credit.agent_buyout.fraud")


def test_good_payments_rate_a_and_a_bounced_payment_lowers_to_b(con: Any) -> None:
    row = one(con, base=[line()], bills=SETTLED)
    assert (row["credit_rating"], row["credit_rule"]) == ("A", "credit.in_network.good_payment")
    bounced = one(con, base=[line()], bills=SETTLED, integrity=[record("bounced_payment")])
    assert (bounced["credit_rating"], bounced["credit_rule"]) == ("B", "credit.in_network.bounced_payment")


def test_lowest_wins_good_payments_and_fraud_make_c(con: Any) -> None:
    records = [record("bounced_payment"), record("fraud"), record("written_off_arrears")]
    row = one(con, base=[line()], bills=SETTLED, integrity=records)
    assert (row["credit_rating"], row["credit_rule"]) == ("C", "credit.in_network.fraud")  # most severe C record


def test_a_bill_60_days_unpaid_makes_c(con: Any) -> None:
    unpaid = bill("2026-03", 5_000, due_date=date(2026, 5, 1), paid_fen=0, paid_date=None)  # 60 days on 30 June
    row = one(con, base=[line()], bills=[*SETTLED[:2], unpaid])
    assert (row["credit_rating"], row["credit_rule"]) == ("C", "credit.in_network.long_overdue")
    assert row["credit_reason"] == "近6个月有账单逾期60天 / a bill 60 days late in the last 6 months"
    assert (row["credit_class"], row["class_rule"]) == ("III", "credit.class.low_credit")
    assert (row["overdraft_limit_fen"], row["rental_eligible"], row["discount_limit_pct"]) == (0, False, 0)


def test_late_bills_grade_b_or_c_by_count_and_days(con: Any) -> None:
    def late_by(days: int, month: str) -> dict[str, Any]:
        due = bill(month, 5_000)["due_date"]
        return bill(month, 5_000, paid_date=date.fromordinal(due.toordinal() + days))

    twice_a_little = one(con, base=[line()], bills=[late_by(10, "2026-02"), late_by(10, "2026-03"), *SETTLED[3:]])
    assert (twice_a_little["credit_rating"], twice_a_little["credit_rule"]) == ("B", "credit.in_network.late_payments")
    assert twice_a_little["credit_class"] == "II"
    assert twice_a_little["class_rule"] == "credit.class.often_late"
    twice_long = one(con, base=[line()], bills=[late_by(35, "2026-01"), late_by(40, "2026-03"), *SETTLED[3:]])
    assert (twice_long["credit_rating"], twice_long["credit_rule"]) == ("C", "credit.in_network.repeated_overdue")
    assert twice_long["credit_reason"] == "近6个月2次逾期超30天 / 2 bills more than 30 days late in 6 months"
    in_grace = one(con, base=[line()], bills=[late_by(5, "2026-02"), late_by(5, "2026-03"), *SETTLED[3:]])
    assert in_grace["credit_rating"] == "A"


def test_contract_cycle_payers_are_graded_by_how_long_overdue(con: Any) -> None:
    unpaid = bill("2026-03", 5_000, due_date=date(2026, 5, 1), paid_fen=0, paid_date=None)  # 60 days
    base = [line(payment_method="contract_cycle")]
    row = one(con, base=base, bills=[*SETTLED[:2], unpaid])
    assert (row["credit_rating"], row["credit_rule"]) == ("B", "credit.contract_cycle.overdue")


def test_eighteen_months_of_a_make_class_i(con: Any) -> None:
    previous = [{"customer_code": "C1", "credit_rating": "A", "consecutive_a_months": 17}]
    row = one(con, base=[line()], bills=SETTLED, previous_credit=previous)
    assert (row["consecutive_a_months"], row["credit_class"], row["class_rule"]) == (
        18,
        "I",
        "credit.class.high_credit",
    )
    assert row["suspension_exempt_months"] == 12
    shorter = one(con, base=[line()], bills=SETTLED, previous_credit=[{**previous[0], "consecutive_a_months": 16}])
    assert (shorter["consecutive_a_months"], shorter["credit_class"]) == (17, "II")


def test_the_run_of_a_months_restarts(con: Any) -> None:
    previous = [{"customer_code": "C1", "credit_rating": "A", "consecutive_a_months": 30}]
    assert one(con, base=[line()], previous_credit=previous)["consecutive_a_months"] == 0  # rated B now
    assert one(con, base=[line()], bills=SETTLED)["consecutive_a_months"] == 1  # no previous month


def test_a_government_customer_is_class_i_with_12_months_exemption(con: Any) -> None:
    base = [line(customer_kind="organisation", organisation_category="government", **NEWCOMER)]
    row = one(con, base=base)
    assert (row["credit_class"], row["class_rule"], row["suspension_exempt_months"]) == (
        "I",
        "credit.class.important",
        12,
    )
    assert row["class_reason"] == "重要客户（政府） / important customer (government)"


def test_a_c_customer_is_class_iii_without_exemption(con: Any) -> None:
    row = one(con, base=[line()], bills=SETTLED, integrity=[record("false_registration")])
    assert (row["credit_rating"], row["credit_class"], row["suspension_exempt_months"]) == ("C", "III", 0)


def test_overdraft_limit_grows_with_rating_tenure_spend_and_income(con: Any) -> None:
    base = [line(income_band="above_20k")]  # joined 2020-01: 77 months, tenure factor 200 %
    row = one(con, base=base, bills=SETTLED)
    # (10000 + 5000 × 50 %) × 200 % × 150 % = 37500
    assert (row["overdraft_limit_fen"], row["rental_eligible"], row["discount_limit_pct"]) == (37_500, True, 30)
    capped = one(con, CreditRules(overdraft_cap_fen=20_000), base=base, bills=SETTLED)
    assert capped["overdraft_limit_fen"] == 20_000


def test_moving_up_a_rating_adds_the_reward_to_the_discount_limit(con: Any) -> None:
    previous = [{"customer_code": "C1", "credit_rating": "B", "consecutive_a_months": 0}]
    assert one(con, base=[line()], bills=SETTLED, previous_credit=previous)["discount_limit_pct"] == 35


def test_a_b_customer_may_rent_a_handset_only_after_long_tenure(con: Any) -> None:
    bounced = [record("bounced_payment")]
    assert one(con, base=[line()], bills=SETTLED, integrity=bounced)["rental_eligible"] is True  # 77 months
    recent = line(customer_joined_date=date(2025, 1, 1))
    assert one(con, base=[recent], bills=SETTLED, integrity=bounced)["rental_eligible"] is False  # 17 months


@pytest.mark.parametrize(
    "change",
    [
        {"c_range_records": ("fraud", "bounced_payment"), "b_range_records": ("bounced_payment",)},
        {"integrity_severity": ("fraud",)},
        {"tenure_factor_pct": ((12, 100),)},
        {"class_i_exempt_months": 13},
    ],
)
def test_inconsistent_rules_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CreditRules(**change)


def test_the_rules_file_lists_every_credit_default() -> None:
    data = tomllib.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))["credit"]
    assert set(data) == set(CreditRules.model_fields)
    assert CreditRules(**data) == CreditRules()
