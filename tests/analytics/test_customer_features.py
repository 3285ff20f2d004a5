"""Customer features: the main line, sums over lines, groups and the worst integrity record, on every engine."""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis

from telcocrm.analytics import schemas
from telcocrm.analytics.intermediate.customer_features import customer_features
from telcocrm.analytics.intermediate.subscriber_features import subscriber_features
from telcocrm.credit.config import CreditRules
from tests.analytics.conftest import rows
from tests.analytics.inputs import month_inputs
from tests.analytics.test_subscriber_features import bill, line

MONTH = "2026-06"


def customers(con: Any, rules: CreditRules | None = None, **tables: Any) -> dict[str, dict[str, Any]]:
    inputs = month_inputs(con, MONTH, **tables)
    features = ibis.memtable(subscriber_features(inputs).to_pyarrow())  # materialised, as the monthly run does
    result = customer_features(inputs, features, rules=rules)
    assert result.schema() == ibis.schema(schemas.CUSTOMER_FEATURES)
    return {row["customer_code"]: row for row in rows(result, "customer_code")}


def test_main_line_is_the_highest_arpu_then_the_lowest_id(con: Any) -> None:
    base = [
        line("S2", payment_method="bank_collection", brand="e-home", customer_joined_date=date(2025, 12, 31)),
        line("S1", payment_method="cash", brand="up"),
        line(
            "S3",
            payment_method="prepaid",
            brand="ruyi",
            subscriber_status="terminated",
            terminated_date=date(2026, 6, 5),
        ),
        line("T1", customer_code="C2", payment_method="prepaid", brand="ruyi"),
        line("T2", customer_code="C2", payment_method="cash", brand="up"),
    ]
    bills = [
        bill("2026-06", 5_000, "S1"),
        bill("2026-06", 5_000, "S2"),
        bill("2026-06", 1_000, "S3"),
        bill("2026-05", 2_000, "S3", paid_date=date(2026, 7, 30), paid_fen=2_000),
    ]
    result = customers(con, base=base, bills=bills)
    c1 = result["C1"]
    assert (c1["payment_method"], c1["main_brand"]) == ("cash", "up")  # S1 and S2 tie on ARPU: S1
    assert c1["subscribers"] == 2  # S3 left during the month
    assert c1["bank_collection"] is True
    assert c1["billed_fen"] == 11_000
    assert c1["arpu_3m_fen"] == 11_500  # 5000 + 5000 + ⌊3000 / 2⌋
    assert c1["late_bills_6m"] == 1  # S3's May bill was not paid by 30 June (due 20 June)
    assert (c1["max_days_late_6m"], c1["arrears_fen"]) == (10, 2_000)
    assert c1["customer_tenure_months"] == 77  # joined 2020-01-01, read from the main line S1
    assert result["C2"]["payment_method"] == "prepaid"  # no bills: equal ARPU 0, lowest id T1


def test_group_size_counts_lines_on_the_master_and_its_sub_accounts(con: Any) -> None:
    base = [
        line("M1", customer_code="G", account_code="A1", account_type="group_master", customer_kind="organisation"),
        line("M2", customer_code="G", account_code="A2", account_type="group_sub", parent_account_code="A1"),
        line("U1", customer_code="U", account_code="A3", account_type="group_sub", parent_account_code="A1"),
        line("U2", customer_code="U", account_code="A4", account_type="family_primary"),
        line(
            "X",
            customer_code="U",
            account_code="A3",
            account_type="group_sub",
            parent_account_code="A1",
            terminated_date=date(2026, 6, 3),
        ),
    ]
    result = customers(con, base=base)
    assert (result["G"]["has_group_master"], result["G"]["group_size"]) == (True, 3)
    assert (result["U"]["has_group_master"], result["U"]["group_size"]) == (False, 0)
    assert result["U"]["has_family_account"] is True


def test_worst_integrity_record_follows_the_configured_severity(con: Any) -> None:
    base = [line("S1"), line("S2", customer_code="C2")]
    integrity = [
        {"customer_code": "C1", "subscriber_id": "S1", "event_date": date(2026, 2, 1), "kind": "bounced_payment"},
        {"customer_code": "C1", "event_date": date(2025, 8, 1), "kind": "written_off_arrears"},
        {"customer_code": "C1", "event_date": date(2025, 6, 30), "kind": "fraud"},  # older than 12 months
        # a record on the line S2 under the code it had before a merge belongs to its holder now
        {"customer_code": "OLD", "subscriber_id": "S2", "event_date": date(2026, 6, 30), "kind": "bounced_payment"},
    ]
    result = customers(con, base=base, integrity=integrity)
    assert (result["C1"]["worst_integrity_kind"], result["C1"]["integrity_records_12m"]) == ("written_off_arrears", 2)
    assert (result["C2"]["worst_integrity_kind"], result["C2"]["integrity_records_12m"]) == ("bounced_payment", 1)
    lenient = CreditRules(integrity_severity=("fraud", "bounced_payment", "false_registration", "written_off_arrears"))
    assert customers(con, lenient, base=base, integrity=integrity)["C1"]["worst_integrity_kind"] == "bounced_payment"
