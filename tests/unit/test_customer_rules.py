"""Customer rules without a database: codes, certificates, service numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telcocrm.customers.rules import (
    customer_code,
    is_valid_customer_code,
    validate_certificate,
    validate_service_number,
)
from telcocrm.errors import InvalidInput
from telcocrm.models.enums import CertificateType, CustomerKind, Product
from tests.factories import resident_id, wrong_check_digit


@given(st.integers(min_value=1, max_value=10**11 - 1))
def test_every_customer_code_carries_a_valid_check_digit(serial: int) -> None:
    code = customer_code(serial)
    assert len(code) == 12 and is_valid_customer_code(code)


@given(st.integers(min_value=1, max_value=10**11 - 1), st.integers(min_value=0, max_value=11), st.integers(1, 9))
def test_a_mistyped_digit_is_caught(serial: int, position: int, delta: int) -> None:
    code = customer_code(serial)
    typo = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    assert not is_valid_customer_code(typo)


def test_codes_carry_no_attribute_only_a_serial() -> None:
    assert customer_code(1)[:11] == "00000000001"
    assert customer_code(2)[:11] == "00000000002"


def test_resident_id_is_normalised_and_accepted() -> None:
    number = resident_id(7)
    assert validate_certificate(CustomerKind.PERSON, CertificateType.RESIDENT_ID, number.lower()) == number


def test_resident_id_with_wrong_check_digit_is_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_certificate(CustomerKind.PERSON, CertificateType.RESIDENT_ID, wrong_check_digit(resident_id(8)))
    assert error.value.field == "certificate.number"
    assert "校验位" in error.value.message


def test_resident_id_with_impossible_birth_date_is_refused() -> None:
    from stdnum.cn import ric

    body = "11010519990231123"  # 31 February
    with pytest.raises(InvalidInput, match="出生日期"):
        validate_certificate(CustomerKind.PERSON, CertificateType.RESIDENT_ID, body + ric.calc_check_digit(body + "0"))


def test_resident_id_born_in_the_future_is_refused() -> None:
    number = resident_id(9, birth=date(2030, 1, 1))
    with pytest.raises(InvalidInput, match="future"):
        validate_certificate(CustomerKind.PERSON, CertificateType.RESIDENT_ID, number, today=date(2026, 11, 22))


def test_unified_social_credit_code_checked() -> None:
    good = "91110000600037341L"
    assert validate_certificate(CustomerKind.ORGANISATION, CertificateType.UNIFIED_SOCIAL_CREDIT, good) == good
    with pytest.raises(InvalidInput, match="校验位"):
        validate_certificate(CustomerKind.ORGANISATION, CertificateType.UNIFIED_SOCIAL_CREDIT, good[:-1] + "M")


def test_organisation_code_check_character() -> None:
    assert validate_certificate(CustomerKind.ORGANISATION, CertificateType.ORGANISATION_CODE, "D2143569-X")
    with pytest.raises(InvalidInput):
        validate_certificate(CustomerKind.ORGANISATION, CertificateType.ORGANISATION_CODE, "D21435691")


def test_person_cannot_register_with_an_organisation_certificate() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_certificate(CustomerKind.PERSON, CertificateType.UNIFIED_SOCIAL_CREDIT, "91110000600037341L")
    assert error.value.field == "certificate.type"


@pytest.mark.parametrize(
    ("product", "number", "ok"),
    [
        (Product.MOBILE, "13812345678", True),
        (Product.MOBILE, "12812345678", False),
        (Product.MOBILE, "1381234567", False),
        (Product.FIXED, "010-62345678", True),
        (Product.FIXED, "62345678", False),
        (Product.BROADBAND, "ad02012345678", True),
        (Product.DEDICATED_LINE, "GZDL00012345", True),
    ],
)
def test_service_numbers(product: Product, number: str, ok: bool) -> None:
    if ok:
        assert validate_service_number(product, number)
    else:
        with pytest.raises(InvalidInput):
            validate_service_number(product, number)


def test_resident_id_with_a_province_only_region_is_refused_not_crashed() -> None:
    from stdnum.cn import ric

    body = "44999919850615001"
    with pytest.raises(InvalidInput, match="地区码"):
        validate_certificate(CustomerKind.PERSON, CertificateType.RESIDENT_ID, body + ric.calc_check_digit(body + "0"))
