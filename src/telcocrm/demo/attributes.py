"""Segmentation attributes of demo customers (brief §2) and the brand of each line, plausible for who they are.

They are drawn from a random stream of their own, so adding them left every other demo value as it was.
"""

from __future__ import annotations

import random
from datetime import date

from telcocrm.demo.people import Account, DemoCustomer
from telcocrm.models.enums import (
    CustomerKind,
    DecisionScope,
    IncomeBand,
    OrganisationCategory,
    OwnershipType,
    PaymentMethod,
    Product,
)

OCCUPATIONS = (
    "职员",
    "工程师",
    "教师",
    "医生",
    "护士",
    "销售",
    "司机",
    "工人",
    "公务员",
    "个体经营者",
    "程序员",
    "会计",
)
INDUSTRIES = ("制造业", "金融", "信息技术", "交通物流", "批发零售", "建筑", "能源", "教育", "医疗卫生", "酒店餐饮")
PUBLIC_INDUSTRY = {
    OrganisationCategory.GOVERNMENT: "政务",
    OrganisationCategory.PARTY: "政务",
    OrganisationCategory.MILITARY: "国防",
    OrganisationCategory.PUBLIC_INSTITUTION: "公共服务",
}
_PUBLIC = (
    OrganisationCategory.GOVERNMENT,
    OrganisationCategory.PARTY,
    OrganisationCategory.MILITARY,
    OrganisationCategory.PUBLIC_INSTITUTION,
)
_PUBLIC_WEIGHTS = (4, 1, 1, 4)
_COMPANY = (
    OrganisationCategory.ENTERPRISE_HIGH_END,
    OrganisationCategory.ENTERPRISE,
    OrganisationCategory.SMALL_BUSINESS,
)
_COMPANY_WEIGHTS = (1, 5, 4)
_WORKING_INCOME = (IncomeBand.BELOW_3K, IncomeBand.FROM_3K_TO_8K, IncomeBand.FROM_8K_TO_20K, IncomeBand.ABOVE_20K)
_WORKING_INCOME_WEIGHTS = (2, 5, 3, 1)
_MOBILE_BRANDS = ("shijiefeng", "xinshikong")
_HOME_PRODUCTS = frozenset({Product.FIXED, Product.BROADBAND, Product.E8_BUNDLE, Product.E6_BUNDLE, Product.IPTV})


def attribute_random(seed: int) -> random.Random:
    """The random stream of the attributes of a demo seeded `seed`."""
    return random.Random(f"attributes-{seed}")


def person_attributes(rng: random.Random, person: DemoCustomer, reference: date) -> None:
    """Occupation and income band for some persons (peripheral data is patchy); a few run a shop from home."""
    age = reference.year - person.born.year if person.born else 40
    if age < 23:
        occupation, income = "学生", IncomeBand.BELOW_3K
    elif age >= 62:
        occupation = "退休"
        income = rng.choice((IncomeBand.BELOW_3K, IncomeBand.FROM_3K_TO_8K))
    else:
        occupation = rng.choice(OCCUPATIONS)
        income = rng.choices(_WORKING_INCOME, _WORKING_INCOME_WEIGHTS)[0]
    if rng.random() < 0.6:
        person.occupation = occupation
    if rng.random() < 0.5:
        person.income_band = income.value
    person.home_business = occupation == "个体经营者" and rng.random() < 0.5


def organisation_attributes(rng: random.Random, org: DemoCustomer, *, public_body: bool) -> None:
    """Category and industry; an industry customer (a decision scope) now and then, a strategic one rarely."""
    if public_body:
        category = rng.choices(_PUBLIC, _PUBLIC_WEIGHTS)[0]
        org.industry = PUBLIC_INDUSTRY[category]
        scope = rng.choice((DecisionScope.LOCAL, DecisionScope.LOCAL, DecisionScope.PROVINCIAL))
        org.decision_scope = scope.value if rng.random() < 0.4 else ""
    else:
        category = rng.choices(_COMPANY, _COMPANY_WEIGHTS)[0]
        org.industry = rng.choice(INDUSTRIES)
        org.home_business = category is OrganisationCategory.SMALL_BUSINESS and rng.random() < 0.2
    org.organisation_category = category.value
    org.strategic = category is OrganisationCategory.ENTERPRISE_HIGH_END and rng.random() < 0.3


def group_attributes(rng: random.Random, parent: DemoCustomer, subsidiaries: list[DemoCustomer]) -> None:
    """An enterprise group is an industry customer: the parent decides nationally, subsidiaries by tier."""
    parent.organisation_category = OrganisationCategory.ENTERPRISE_HIGH_END.value
    parent.decision_scope = rng.choice((DecisionScope.NATIONAL, DecisionScope.PROVINCIAL, DecisionScope.GLOBAL)).value
    parent.strategic = rng.random() < 0.4
    parent.home_business = False
    for sub in subsidiaries:
        sub.industry = parent.industry
        sub.organisation_category = OrganisationCategory.ENTERPRISE.value
        sub.decision_scope = rng.choice((DecisionScope.PROVINCIAL, DecisionScope.LOCAL)).value
        sub.home_business = False


def line_brand(
    rng: random.Random, customer: DemoCustomer, account: Account, product: Product, ownership: OwnershipType
) -> str:
    """The brand a line is sold under (brands.toml), empty for a few lines sold before brands existed."""
    if rng.random() < 0.05:
        return ""
    organisation = customer.kind is CustomerKind.ORGANISATION
    if product is Product.MOBILE:
        if organisation or ownership is OwnershipType.CORPORATE:
            return "jituan"
        if account.payment is PaymentMethod.PREPAID:
            return "ruyitong"
        if customer.born is not None and customer.born.year >= 1990 and rng.random() < 0.6:
            return "up_xinshili"
        return rng.choice(_MOBILE_BRANDS)
    if organisation:
        return "shangwu_linghang"
    return "wode_ejia" if product in _HOME_PRODUCTS else ""
