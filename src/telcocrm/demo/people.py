"""The building blocks of the demo customer base: customers, accounts and lines before they become rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from telcocrm.demo.geography import CITIES, CITY_WEIGHTS, COMMON_STREETS, City, birth_region_codes
from telcocrm.demo.names import person_name
from telcocrm.demo.numbers import NumberBook
from telcocrm.models.enums import (
    AccountType,
    CertificateType,
    CustomerKind,
    OwnershipType,
    PaymentMethod,
    Product,
    RelationType,
    SubscriberStatus,
)

EARLIEST_JOIN = date(2000, 1, 1)
_CITY_CUMULATIVE = tuple(accumulate(CITY_WEIGHTS))
_BIRTH_BANDS = ((1945, 1959), (1960, 1979), (1980, 1994), (1995, 2005))
_BIRTH_BAND_CUMULATIVE = (1, 4, 8, 10)


@dataclass
class Account:
    """A billing account of the demo file."""

    ref: str
    account_type: AccountType
    name: str
    payment: PaymentMethod
    parent_ref: str = ""


@dataclass
class Line:
    """A subscriber of the demo file."""

    subscriber_id: str
    account: Account
    product: Product
    number: str
    install_address: str
    ownership: OwnershipType
    status: SubscriberStatus
    activated: date
    terminated: date | None
    contract_end: date | None
    channel: str
    staff: str
    brand: str = ""  # a code of the brand catalogue (customers/brands.toml)


@dataclass
class DemoCustomer:
    """A customer of the demo file with its lines and the relations it holds."""

    ref: str
    kind: CustomerKind
    name: str
    city: City
    district: str
    joined: date
    cert_type: CertificateType
    cert_number: str
    cert_address: str
    address: str
    lines: list[Line] = field(default_factory=list)
    relations: list[tuple[str, RelationType]] = field(default_factory=list)
    male: bool = True
    born: date | None = None
    # Segmentation attributes (brief §2): the first three for organisations, income_band for persons.
    organisation_category: str = ""
    industry: str = ""
    decision_scope: str = ""
    strategic: bool = False
    home_business: bool = False
    occupation: str = ""
    income_band: str = ""

    @property
    def contact_phone(self) -> str:
        """A person's first mobile number; an organisation's first office line."""
        order: tuple[Product, ...] = (Product.MOBILE, Product.FIXED, Product.E8_BUNDLE)
        if self.kind is CustomerKind.ORGANISATION:
            order = (Product.FIXED, Product.MOBILE)
        for product in order:
            for line in self.lines:
                if line.product is product:
                    return line.number
        return ""


def random_date(rng: random.Random, start: date, end: date) -> date:
    """A day between start and end, both included."""
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def pick_city(rng: random.Random) -> City:
    """A city, big ones more often."""
    return rng.choices(CITIES, cum_weights=_CITY_CUMULATIVE)[0]


def street_address(rng: random.Random, city: City, district: str) -> str:
    """A street address down to the house number, e.g. 广东省广州市天河区体育西路123号."""
    street = rng.choice(city.streets + COMMON_STREETS)
    place = city.name if city.is_municipality else city.province + city.name
    return f"{place}{district}{street}{rng.randint(1, 399)}号"


def home_address(rng: random.Random, city: City, district: str) -> str:
    """A flat: street address, building and room, e.g. …体育西路123号5栋1802室."""
    floor = rng.randint(1, 32)
    return f"{street_address(rng, city, district)}{rng.randint(1, 18)}栋{floor}{rng.randint(1, 6):02d}室"


def birth_year(rng: random.Random) -> int:
    """A birth year between 1945 and 2005, most customers being of working age."""
    first, last = rng.choices(_BIRTH_BANDS, cum_weights=_BIRTH_BAND_CUMULATIVE)[0]
    return rng.randint(first, last)


def make_person(
    rng: random.Random,
    book: NumberBook,
    ref: str,
    city: City,
    reference: date,
    *,
    family_name: str | None = None,
    year: int | None = None,
    address: tuple[str, str] | None = None,
) -> DemoCustomer:
    """A person with a valid certificate (nearly always a resident ID card) living in `city`."""
    year = year or birth_year(rng)
    birth_city = city if rng.random() < 0.75 else pick_city(rng)
    region = rng.choice(birth_region_codes(birth_city, year))
    number, male = book.resident_id(region, year)
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    district = rng.choice(city.districts)[0]
    birth_district = dict((code, name) for name, code in birth_city.districts).get(
        region, rng.choice(birth_city.districts)[0]
    )
    cert_type = CertificateType.RESIDENT_ID
    roll = rng.random()
    if roll < 0.01:
        cert_type, number = CertificateType.PASSPORT, book.passport()
    elif roll < 0.015:
        cert_type, number = CertificateType.HK_MACAU_TAIWAN_PERMIT, "H" + book.passport()[1:]
    adult = date(min(born.year + 18, reference.year - 1), born.month, min(born.day, 28))
    district, home = address or (district, home_address(rng, city, district))
    return DemoCustomer(
        ref=ref,
        kind=CustomerKind.PERSON,
        name=person_name(rng, male=male, family_name=family_name),
        city=city,
        district=district,
        joined=random_date(rng, max(EARLIEST_JOIN, adult), reference - timedelta(days=60)),
        cert_type=cert_type,
        cert_number=number,
        cert_address=home_address(rng, birth_city, birth_district),
        address=home,
        male=male,
        born=born,
    )
