"""Pure rules of the customer domain: codes, certificates, service numbers. No database here."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from stdnum import damm
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.iso7064 import mod_11_10

from telcocrm.errors import InvalidInput
from telcocrm.models.enums import CertificateType, CustomerKind, Product

# Profile attributes that describe only one kind of customer (brief §2).
KIND_ONLY_ATTRIBUTES = {
    CustomerKind.ORGANISATION: ("organisation_category", "industry", "decision_scope"),
    CustomerKind.PERSON: ("income_band",),
}
KIND_ONLY_MESSAGE = {
    CustomerKind.ORGANISATION: "仅适用于单位客户 / only for organisations, not for a person",
    CustomerKind.PERSON: "仅适用于个人客户 / only for persons, not for an organisation",
}
CUSTOMER_CODE_DIGITS = 11  # serial part; the 12th character is the check digit

PERSON_CERTIFICATES = frozenset(
    {
        CertificateType.RESIDENT_ID,
        CertificateType.HOUSEHOLD_REGISTER,
        CertificateType.MILITARY_ID,
        CertificateType.ARMED_POLICE_ID,
        CertificateType.PASSPORT,
        CertificateType.RETIRED_OFFICER,
        CertificateType.HK_MACAU_TAIWAN_PERMIT,
    }
)
ORGANISATION_CERTIFICATES = frozenset(
    {
        CertificateType.BUSINESS_LICENCE,
        CertificateType.ORGANISATION_CODE,
        CertificateType.UNIFIED_SOCIAL_CREDIT,
    }
)

# Patterns of certificates that carry no check digit: letters and digits of the usual lengths.
_LOOSE_PATTERNS = {
    CertificateType.HOUSEHOLD_REGISTER: re.compile(r"^[0-9A-Z]{9,18}$"),
    CertificateType.MILITARY_ID: re.compile(r"^[\u4e00-\u9fa50-9A-Z]{6,20}$"),
    CertificateType.ARMED_POLICE_ID: re.compile(r"^[\u4e00-\u9fa50-9A-Z]{6,20}$"),
    CertificateType.PASSPORT: re.compile(r"^[A-Z0-9]{5,17}$"),
    CertificateType.RETIRED_OFFICER: re.compile(r"^[\u4e00-\u9fa50-9A-Z]{6,20}$"),
    CertificateType.HK_MACAU_TAIWAN_PERMIT: re.compile(r"^[A-Z]{1,2}[0-9]{8,10}$"),
}
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

MOBILE_NUMBER = re.compile(r"^1[3-9][0-9]{9}$")
FIXED_NUMBER = re.compile(r"^0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}$")
BROADBAND_ACCOUNT = re.compile(r"^[a-z]{0,4}[0-9]{8,14}$")
DEDICATED_LINE_ID = re.compile(r"^[A-Z]{2,4}[0-9]{6,12}$")


def customer_code(serial: int) -> str:
    """The customer code for a serial number: 11 digits and a Damm check digit, no attribute in it."""
    if serial <= 0 or serial >= 10**CUSTOMER_CODE_DIGITS:
        raise ValueError(f"customer serial {serial} out of range")
    body = f"{serial:0{CUSTOMER_CODE_DIGITS}d}"
    return body + damm.calc_check_digit(body)


def is_valid_customer_code(code: str) -> bool:
    """Whether a string is a well-formed customer code (a typo in any one digit is caught)."""
    return len(code) == CUSTOMER_CODE_DIGITS + 1 and code.isdigit() and damm.is_valid(code)


def normalise_certificate_number(cert_type: CertificateType, number: str) -> str:
    """Upper-case and strip separators, so the same certificate is always stored the same way."""
    cleaned = re.sub(r"[\s-]", "", number).upper()
    if not cleaned:
        raise InvalidInput("证件号码不能为空 / certificate number is empty", field="certificate.number")
    return cleaned


def validate_certificate(
    kind: CustomerKind, cert_type: CertificateType, number: str, *, today: date | None = None
) -> str:
    """The normalised certificate number, or InvalidInput naming what is wrong with it."""
    allowed = PERSON_CERTIFICATES if kind is CustomerKind.PERSON else ORGANISATION_CERTIFICATES
    if cert_type not in allowed:
        raise InvalidInput(
            f"证件类型 {cert_type.value} 不适用于{'个人' if kind is CustomerKind.PERSON else '单位'}客户"
            f" / certificate type {cert_type.value} is not valid for a {kind.value} customer",
            field="certificate.type",
        )
    cleaned = normalise_certificate_number(cert_type, number)
    if cert_type is CertificateType.RESIDENT_ID:
        return _validate_resident_id(cleaned, today or date.today())
    if cert_type is CertificateType.UNIFIED_SOCIAL_CREDIT:
        return _validate_with(uscc.validate, cleaned, "统一社会信用代码 / unified social credit code")
    if cert_type is CertificateType.ORGANISATION_CODE:
        return _validate_organisation_code(cleaned)
    if cert_type is CertificateType.BUSINESS_LICENCE:
        return _validate_business_licence(cleaned)
    if not _LOOSE_PATTERNS[cert_type].match(cleaned):
        raise InvalidInput(f"证件号码格式不正确 / malformed {cert_type.value} number", field="certificate.number")
    return cleaned


def _validate_with(check: object, number: str, label: str) -> str:
    try:
        return str(check(number))  # type: ignore[operator]
    except InvalidChecksum as exc:
        raise InvalidInput(f"{label}校验位错误 / check digit is wrong", field="certificate.number") from exc
    except InvalidLength as exc:
        raise InvalidInput(f"{label}长度错误 / wrong length", field="certificate.number") from exc
    except ValidationError as exc:
        raise InvalidInput(f"{label}格式错误 / malformed", field="certificate.number") from exc


def _validate_resident_id(number: str, today: date) -> str:
    label = "居民身份证号码 / resident ID number: "
    try:
        ric.validate(number)
    except InvalidChecksum as exc:
        raise InvalidInput(label + "校验位错误 / check digit is wrong", field="certificate.number") from exc
    except InvalidLength as exc:
        raise InvalidInput(label + "应为18位 / must be 18 characters", field="certificate.number") from exc
    except (InvalidComponent, KeyError) as exc:  # stdnum raises KeyError for a province-only region code
        raise InvalidInput(
            label + "出生日期或地区码无效 / birth date or region code is invalid", field="certificate.number"
        ) from exc
    except ValidationError as exc:
        raise InvalidInput(label + "格式错误 / malformed", field="certificate.number") from exc
    if ric.get_birth_date(number) > today:
        raise InvalidInput(label + "出生日期在未来 / birth date is in the future", field="certificate.number")
    return number


def _validate_organisation_code(number: str) -> str:
    """GB 11714: eight characters and a check character (0-9 or X), often written with a hyphen."""
    if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", number):
        raise InvalidInput("组织机构代码格式错误 / malformed organisation code", field="certificate.number")
    total = sum(_ORG_CODE_ALPHABET.index(c) * w for c, w in zip(number[:8], _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(check, str(check))
    if number[8] != expected:
        raise InvalidInput("组织机构代码校验位错误 / check digit is wrong", field="certificate.number")
    return number


def _validate_business_licence(number: str) -> str:
    """A business licence is either today's 18-character code or the old 15-digit registration number."""
    if len(number) == 18:
        return _validate_with(uscc.validate, number, "营业执照 / business licence ")
    if not re.fullmatch(r"[0-9]{15}", number) or not mod_11_10.is_valid(number):
        raise InvalidInput("营业执照注册号无效 / invalid business licence number", field="certificate.number")
    return number


def validate_service_number(product: Product, number: str) -> str:
    """The service number in canonical form for its product, or InvalidInput."""
    cleaned = re.sub(r"\s", "", number)
    pattern, label = SERVICE_NUMBER_RULES[product]
    if not pattern.match(cleaned):
        raise InvalidInput(f"{label}格式错误 / malformed {product.value} service number", field="serviceNumber")
    return cleaned


SERVICE_NUMBER_RULES: dict[Product, tuple[re.Pattern[str], str]] = {
    Product.MOBILE: (MOBILE_NUMBER, "手机号码"),
    Product.FIXED: (FIXED_NUMBER, "固定电话号码"),
    Product.BROADBAND: (BROADBAND_ACCOUNT, "宽带账号"),
    Product.E8_BUNDLE: (FIXED_NUMBER, "e8套餐主号码"),
    Product.E6_BUNDLE: (BROADBAND_ACCOUNT, "e6套餐宽带账号"),
    Product.IPTV: (BROADBAND_ACCOUNT, "IPTV账号"),
    Product.DEDICATED_LINE: (DEDICATED_LINE_ID, "专线电路编号"),
}


def check_kind_attributes(kind: CustomerKind, given: dict[str, Any]) -> None:
    """Refuse an attribute of organisations given for a person, or of persons for an organisation."""
    for other, names in KIND_ONLY_ATTRIBUTES.items():
        for name in names:
            if other is not kind and given.get(name) is not None:
                raise InvalidInput(f"{name}: {KIND_ONLY_MESSAGE[other]}", field=f"profile.{name}")
