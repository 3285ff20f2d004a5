"""The demo generator: deterministic, realistic, and always in the import format."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from stdnum.cn import ric, uscc

from telcocrm.customers.brands import brand_codes
from telcocrm.customers.rules import validate_service_number
from telcocrm.demo import REFERENCE_DATE, generate_demo_rows, write_demo_file
from telcocrm.demo.geography import CITIES, birth_region_codes
from telcocrm.demo.numbers import MOBILE_PREFIXES
from telcocrm.imports import validate_customer_file
from telcocrm.imports.columns import COLUMNS
from telcocrm.imports.fastcheck import region_valid
from telcocrm.models.enums import Product

Rows = list[dict[str, str]]


@pytest.fixture(scope="module")
def rows() -> Rows:
    """A few hundred customers' rows, enough to hold every kind of unit."""
    return list(generate_demo_rows(400, seed=11))


def customers_of(rows: Rows) -> dict[str, dict[str, str]]:
    """The first row of each customer."""
    firsts: dict[str, dict[str, str]] = {}
    for row in rows:
        firsts.setdefault(row["customer_ref"], row)
    return firsts


def test_same_seed_gives_the_same_rows_and_another_seed_other_rows() -> None:
    first = list(generate_demo_rows(60, seed=5))
    assert first == list(generate_demo_rows(60, seed=5))
    assert first != list(generate_demo_rows(60, seed=6))


def test_exactly_the_asked_number_of_customers_in_the_import_columns(rows: Rows) -> None:
    assert len(customers_of(rows)) == 400
    assert all(tuple(row) == COLUMNS for row in rows)
    assert all(isinstance(value, str) for row in rows for value in row.values())


def test_resident_ids_are_valid_with_birth_dates_between_1945_and_2005(rows: Rows) -> None:
    numbers = [c["cert_number"] for c in customers_of(rows).values() if c["cert_type"] == "resident_id"]
    assert len(numbers) > 300
    for number in numbers:
        assert ric.is_valid(number), number
        assert date(1945, 1, 1) <= ric.get_birth_date(number) <= date(2005, 12, 31)
        assert ric.get_birth_place(number)["county"]
    assert len(set(numbers)) == len(numbers)


def test_organisations_carry_valid_unified_social_credit_codes(rows: Rows) -> None:
    orgs = [c for c in customers_of(rows).values() if c["customer_kind"] == "organisation"]
    assert orgs
    for org in orgs:
        assert org["cert_type"] in {"unified_social_credit", "business_licence"}
        assert uscc.is_valid(org["cert_number"]), org["cert_number"]
        assert org["cert_number"][:2] in {"91", "12"}
        assert re.search("公司|医院|中学|学院|图书馆|中心", org["customer_name"])


def test_names_are_chinese_names_of_two_to_four_characters(rows: Rows) -> None:
    persons = [c["customer_name"] for c in customers_of(rows).values() if c["customer_kind"] == "person"]
    assert all(re.fullmatch(r"[\u4e00-\u9fa5]{2,4}", name) for name in persons)
    assert Counter(name[0] for name in persons).most_common(1)[0][0] in "王李张刘陈杨黄赵吴周"


def test_service_numbers_pass_the_rules_and_are_unique(rows: Rows) -> None:
    for row in rows:
        assert validate_service_number(Product(row["product"]), row["service_number"]) == row["service_number"]
    mobiles = [row["service_number"] for row in rows if row["product"] == "mobile"]
    assert {number[:3] for number in mobiles} <= set(MOBILE_PREFIXES)
    assert len(set(mobiles)) == len(mobiles)
    assert len({row["subscriber_id"] for row in rows}) == len(rows)


def test_fixed_numbers_carry_the_area_code_of_the_customers_city(rows: Rows) -> None:
    area_codes = {city.name: city.area_code for city in CITIES}
    fixed = [row for row in rows if row["product"] in {"fixed", "e8_bundle"}]
    assert fixed
    for row in fixed:
        assert row["service_number"].startswith(area_codes[row["city"]] + "-")


def test_addresses_name_the_province_and_city(rows: Rows) -> None:
    for customer in customers_of(rows).values():
        place = (
            customer["city"] if customer["province"] == customer["city"] else customer["province"] + customer["city"]
        )
        assert customer["contact_address"].startswith(place)
        assert re.search(r"[区县市].+[路街道].*\d+号", customer["contact_address"])


def test_the_mix_has_families_groups_organisation_contacts_and_every_line_state(rows: Rows) -> None:
    kinds = Counter(c["customer_kind"] for c in customers_of(rows).values())
    assert kinds["person"] / len(customers_of(rows)) > 0.8
    accounts = {row["account_type"] for row in rows}
    assert accounts == {"individual", "family_primary", "family_secondary", "group_master", "group_sub"}
    relations = {row["relation_type"] for row in rows} - {""}
    assert relations == {"family_member", "parent_organisation", "decision_maker", "handler"}
    assert {row["subscriber_status"] for row in rows} == {"active", "suspended", "terminated"}
    assert {row["payment_method"] for row in rows} >= {"bank_collection", "cash", "prepaid", "contract_cycle"}
    assert {"mobile", "broadband", "fixed", "dedicated_line"} <= {row["product"] for row in rows}


def test_secondary_and_sub_accounts_point_at_a_primary_or_master_account(rows: Rows) -> None:
    types = {row["account_ref"]: row["account_type"] for row in rows}
    wanted = {"family_secondary": "family_primary", "group_sub": "group_master"}
    for row in rows:
        if row["account_type"] in wanted:
            assert types[row["parent_account_ref"]] == wanted[row["account_type"]]
        else:
            assert row["parent_account_ref"] == ""


def test_dates_are_ordered_and_never_after_the_reference_date(rows: Rows) -> None:
    for row in rows:
        joined, activated = date.fromisoformat(row["joined_date"]), date.fromisoformat(row["activated_date"])
        assert joined <= activated <= REFERENCE_DATE
        if row["terminated_date"]:
            assert row["subscriber_status"] == "terminated"
            assert activated < date.fromisoformat(row["terminated_date"]) <= REFERENCE_DATE


def test_birth_regions_exist_for_every_city_and_year() -> None:
    for city in CITIES:
        for year in range(1945, 2006):
            assert all(region_valid(code, year) for code in birth_region_codes(city, year))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_files_pass_the_importers_checks(tmp_path: Path, seed: int) -> None:
    path = tmp_path / f"demo-{seed}.csv"
    write_demo_file(path, 150, seed)
    assert validate_customer_file(path) == []


def test_csv_and_parquet_files_hold_the_same_rows(tmp_path: Path) -> None:
    count = write_demo_file(tmp_path / "d.csv", 40, 9)
    assert write_demo_file(tmp_path / "d.parquet", 40, 9) == count
    from_csv = pacsv.read_csv(tmp_path / "d.csv", convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(COLUMNS, "string"), strings_can_be_null=False)).to_pylist()  # fmt: skip
    from_parquet = pq.read_table(tmp_path / "d.parquet").to_pylist()
    assert from_csv == from_parquet == list(generate_demo_rows(40, seed=9))
    with pytest.raises(ValueError, match="unknown demo file type"):
        write_demo_file(tmp_path / "d.xlsx", 1, 1)


def test_segmentation_attributes_fit_the_kind_and_brands_come_from_the_catalogue(rows: Rows) -> None:
    customers = customers_of(rows).values()
    organisations = [c for c in customers if c["customer_kind"] == "organisation"]
    persons = [c for c in customers if c["customer_kind"] == "person"]
    assert organisations and all(c["organisation_category"] and c["industry"] for c in organisations)
    assert not any(c["organisation_category"] or c["industry"] or c["decision_scope"] for c in persons)
    assert not any(c["income_band"] for c in organisations)
    assert any(c["decision_scope"] for c in organisations) and any(not c["decision_scope"] for c in organisations)
    assert any(c["income_band"] for c in persons) and any(c["occupation"] for c in persons)
    assert {c["strategic"] for c in customers} == {c["home_business"] for c in customers} == {"", "true"}
    brands = Counter(row["brand"] for row in rows)
    assert set(brands) - {""} <= set(brand_codes()) and len(brands) >= 6
