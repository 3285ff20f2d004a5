"""A deterministic, realistic demo customer base in the import file format (docs/data-contract.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from telcocrm.demo.attributes import (
    attribute_random,
    group_attributes,
    line_brand,
    organisation_attributes,
    person_attributes,
)
from telcocrm.demo.geography import City
from telcocrm.demo.names import company_name, public_body_name, subsidiary_name, surname
from telcocrm.demo.numbers import FastRandom, NumberBook
from telcocrm.demo.people import (
    Account,
    DemoCustomer,
    Line,
    make_person,
    pick_city,
    random_date,
    street_address,
)
from telcocrm.imports.columns import COLUMNS
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

REFERENCE_DATE = date(2026, 10, 31)
EARLIEST_JOIN_ORG = date(2000, 1, 1)
Row = dict[str, str]

_PERSON_PAYMENTS = (
    PaymentMethod.PREPAID,
    PaymentMethod.CASH,
    PaymentMethod.BANK_COLLECTION,
    PaymentMethod.AGENT_BUYOUT,
)
_PERSON_PAYMENT_CUMULATIVE = (40, 60, 90, 100)
_HOME_PRODUCTS = (Product.BROADBAND, Product.FIXED, Product.E8_BUNDLE, Product.E6_BUNDLE, Product.IPTV, Product.MOBILE)
_HOME_CUMULATIVE = (35, 55, 70, 85, 90, 100)


class DemoBuilder:
    """Builds customers unit by unit (a person, a family, an organisation or an enterprise group)."""

    def __init__(self, seed: int, reference: date) -> None:
        self.rng = FastRandom(seed)
        self.attribute_rng = attribute_random(seed)
        self.seed = seed
        self.reference = reference
        self.book = NumberBook(self.rng)
        self.customers = 0
        self.accounts = 0

    # --- references -------------------------------------------------------------------------------------------
    def _customer_ref(self) -> str:
        self.customers += 1
        return f"C{self.customers:08d}"

    def _account(self, kind: AccountType, name: str, payment: PaymentMethod, parent: str = "") -> Account:
        self.accounts += 1
        return Account(f"B{self.accounts:08d}", kind, name, payment, parent)

    # --- lines ------------------------------------------------------------------------------------------------
    def _channel(self, city: City, kinds: tuple[str, ...]) -> tuple[str, str]:
        """A sales channel of the city and, for staffed channels, the person responsible (brief §6)."""
        kind = self.rng.choice(kinds)
        channel = f"{city.abbr}-{kind}-{self.rng.randint(1, 60):03d}"
        staffed = kind in {"ST", "PS", "AM", "CM"}
        return channel, f"{city.abbr}{self.rng.randint(1, 4000):05d}" if staffed else ""

    def _number(self, product: Product, city: City) -> str:
        book = self.book
        if product is Product.MOBILE:
            return book.mobile()
        if product in (Product.FIXED, Product.E8_BUNDLE):
            return book.fixed(city.area_code, city.local_digits)
        if product in (Product.BROADBAND, Product.E6_BUNDLE):
            return book.broadband(city.abbr)
        if product is Product.IPTV:
            return book.iptv(city.abbr)
        return book.dedicated_line(city.abbr)

    def add_line(
        self,
        customer: DemoCustomer,
        account: Account,
        product: Product,
        *,
        ownership: OwnershipType = OwnershipType.OWNED,
        channels: tuple[str, ...] = ("ST", "ST", "PS", "AG", "HL", "WB"),
    ) -> None:
        """Open a line for the customer; the first line opens on the day the customer joined."""
        rng, reference = self.rng, self.reference
        first = not customer.lines
        activated = customer.joined if first else random_date(rng, customer.joined, reference - timedelta(days=1))
        status, terminated, contract_end = SubscriberStatus.ACTIVE, None, None
        roll = rng.random()
        if roll < 0.05 and activated < reference - timedelta(days=60):
            status = SubscriberStatus.TERMINATED
            terminated = random_date(rng, activated + timedelta(days=30), reference)
        elif roll < 0.08:
            status = SubscriberStatus.SUSPENDED
        if status is not SubscriberStatus.TERMINATED and rng.random() < 0.25:
            contract_end = activated + timedelta(days=rng.choice((365, 730, 1095)))
        if account.payment is PaymentMethod.AGENT_BUYOUT:
            channels = ("AG",)
        channel, staff = self._channel(customer.city, channels)
        fixed_place = product is not Product.MOBILE
        customer.lines.append(
            Line(
                subscriber_id=self.book.subscriber_id(self.seed),
                account=account,
                product=product,
                number=self._number(product, customer.city),
                install_address=customer.address if fixed_place else "",
                ownership=ownership,
                status=status,
                activated=activated,
                terminated=terminated,
                contract_end=contract_end,
                channel=channel,
                staff=staff,
                brand=line_brand(self.attribute_rng, customer, account, product, ownership),
            )
        )

    def _home_lines(self, customer: DemoCustomer, account: Account, extra: float) -> None:
        """A mobile line, then sometimes one or two home products."""
        self.add_line(customer, account, Product.MOBILE)
        for _ in range(2):
            if self.rng.random() >= extra:
                break
            product = self.rng.choices(_HOME_PRODUCTS, cum_weights=_HOME_CUMULATIVE)[0]
            ownership = OwnershipType.RENTED if self.rng.random() < 0.03 else OwnershipType.OWNED
            self.add_line(customer, account, product, ownership=ownership)
            extra /= 3

    # --- units ------------------------------------------------------------------------------------------------
    def person(self, city: City | None = None) -> DemoCustomer:
        """A single person with an individual account and one to three lines."""
        customer = make_person(self.rng, self.book, self._customer_ref(), city or pick_city(self.rng), self.reference)
        person_attributes(self.attribute_rng, customer, self.reference)
        payment = self.rng.choices(_PERSON_PAYMENTS, cum_weights=_PERSON_PAYMENT_CUMULATIVE)[0]
        account = self._account(AccountType.INDIVIDUAL, customer.name, payment)
        self._home_lines(customer, account, extra=0.3)
        return customer

    def family(self, size: int) -> list[DemoCustomer]:
        """A household: the head pays a family_primary account; members have secondary accounts under it."""
        rng, city = self.rng, pick_city(self.rng)
        family_name = surname(rng)
        head = make_person(rng, self.book, self._customer_ref(), city, self.reference, family_name=family_name)
        person_attributes(self.attribute_rng, head, self.reference)
        place = (head.district, head.address)
        payment = rng.choices((PaymentMethod.BANK_COLLECTION, PaymentMethod.CASH, PaymentMethod.PREPAID), (6, 3, 1))[0]
        primary = self._account(AccountType.FAMILY_PRIMARY, f"{head.name}家庭", payment)
        self.add_line(head, primary, rng.choice((Product.E8_BUNDLE, Product.E6_BUNDLE)), channels=("CM", "ST"))
        self.add_line(head, primary, Product.MOBILE)
        if rng.random() < 0.3:
            self.add_line(head, primary, Product.IPTV, channels=("CM",))
        members = [head]
        for index in range(1, size):
            spouse = index == 1 and rng.random() < 0.8
            year = (head.born.year if head.born else 1975) + (rng.randint(-3, 3) if spouse else rng.randint(22, 32))
            member = make_person(
                rng,
                self.book,
                self._customer_ref(),
                city,
                self.reference,
                family_name=None if spouse else family_name,
                year=min(year, 2005),
                address=place,
            )
            person_attributes(self.attribute_rng, member, self.reference)
            account = self._account(AccountType.FAMILY_SECONDARY, member.name, payment, primary.ref)
            self.add_line(member, account, Product.MOBILE)
            if rng.random() < 0.1:
                self.add_line(member, account, Product.MOBILE)
            member.relations.append((head.ref, RelationType.FAMILY_MEMBER))
            members.append(member)
        return members

    def organisation(self, city: City, name: str, *, public_body: bool = False) -> DemoCustomer:
        """An organisation registered by unified social credit code, with its office address."""
        rng = self.rng
        district, region = rng.choice(city.districts)
        address = f"{street_address(rng, city, district)}{rng.randint(2, 30)}层"
        number = self.book.social_credit_code(region, public_body=public_body)
        cert_type = CertificateType.BUSINESS_LICENCE if rng.random() < 0.1 else CertificateType.UNIFIED_SOCIAL_CREDIT
        org = DemoCustomer(
            ref=self._customer_ref(),
            kind=CustomerKind.ORGANISATION,
            name=name,
            city=city,
            district=district,
            joined=random_date(rng, EARLIEST_JOIN_ORG, self.reference - timedelta(days=90)),
            cert_type=cert_type,
            cert_number=number,
            cert_address=address,
            address=address,
        )
        organisation_attributes(self.attribute_rng, org, public_body=public_body)
        return org

    def org_lines(self, org: DemoCustomer, account: Account) -> None:
        """Dedicated lines for some, office fixed lines, broadband, and many corporate mobile lines."""
        rng, office = self.rng, ("AM",)
        self.add_line(org, account, Product.FIXED, channels=office)
        for _ in range(rng.randint(0, 3)):
            public = rng.random() < 0.05
            self.add_line(org, account, Product.FIXED, channels=office, ownership=_public_or_owned(public))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            self.add_line(org, account, Product.DEDICATED_LINE, channels=office)
        if rng.random() < 0.5:
            self.add_line(org, account, Product.BROADBAND, channels=office)
        for _ in range(rng.randint(2, 12)):
            self.add_line(org, account, Product.MOBILE, ownership=OwnershipType.CORPORATE, channels=office)

    def contacts(self, org: DemoCustomer, budget: int) -> list[DemoCustomer]:
        """The organisation's decision maker and handler (brief §4: club events, company cards)."""
        people: list[DemoCustomer] = []
        for relation in (RelationType.DECISION_MAKER, RelationType.HANDLER)[:budget]:
            person = self.person(org.city)
            org.relations.append((person.ref, relation))
            people.append(person)
        return people

    def organisation_unit(self, budget: int) -> list[DemoCustomer]:
        """One organisation, or an enterprise group (parent and two or three subsidiaries), with contacts."""
        rng, city = self.rng, pick_city(self.rng)
        short = city.name.removesuffix("市")
        grouped = budget >= 4 and rng.random() < 0.3
        if not grouped:
            public = rng.random() < 0.15
            name = public_body_name(rng, short) if public else company_name(rng, short)[0]
            org = self.organisation(city, name, public_body=public)
            payment = rng.choices(
                (PaymentMethod.CONTRACT_CYCLE, PaymentMethod.BANK_COLLECTION, PaymentMethod.CASH), (5, 4, 1)
            )[0]
            self.org_lines(org, self._account(AccountType.INDIVIDUAL, name, payment))
            return [org, *self.contacts(org, min(budget - 1, 2))]
        return self._group(city, short, budget)

    def _group(self, city: City, short: str, budget: int) -> list[DemoCustomer]:
        rng = self.rng
        parent_name, brand = company_name(rng, short, group=True)
        parent = self.organisation(city, parent_name)
        master = self._account(AccountType.GROUP_MASTER, parent_name, PaymentMethod.CONTRACT_CYCLE)
        self.org_lines(parent, master)
        unit = [parent]
        for _ in range(min(rng.randint(2, 3), budget - 1)):
            sub_city = city if rng.random() < 0.5 else pick_city(rng)
            sub = self.organisation(sub_city, subsidiary_name(rng, brand, sub_city.name.removesuffix("市")))
            payment = rng.choice((PaymentMethod.CONTRACT_CYCLE, PaymentMethod.BANK_COLLECTION))
            self.org_lines(sub, self._account(AccountType.GROUP_SUB, sub.name, payment, master.ref))
            sub.relations.append((parent.ref, RelationType.PARENT_ORGANISATION))
            unit.append(sub)
        group_attributes(self.attribute_rng, parent, unit[1:])
        unit.extend(self.contacts(parent, min(budget - len(unit), 2)))
        return unit

    def unit(self, budget: int) -> list[DemoCustomer]:
        """The next unit of customers, never more than `budget` of them."""
        roll = self.rng.random()
        if budget >= 2 and roll < 0.09:
            return self.family(min(self.rng.randint(2, 4), budget))
        if roll > 0.95:
            return self.organisation_unit(budget)
        return [self.person()]


def _public_or_owned(public: bool) -> OwnershipType:
    return OwnershipType.PUBLIC if public else OwnershipType.OWNED


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def customer_rows(customer: DemoCustomer) -> Iterator[Row]:
    """One row per line; customer and account columns repeat, relations ride on the first rows."""
    fixed = {
        "customer_ref": customer.ref,
        "customer_code": "",
        "customer_kind": customer.kind.value,
        "customer_name": customer.name,
        "joined_date": customer.joined.isoformat(),
        "cert_type": customer.cert_type.value,
        "cert_number": customer.cert_number,
        "cert_address": customer.cert_address,
        "contact_phone": customer.contact_phone,
        "province": customer.city.province,
        "city": customer.city.name,
        "contact_address": customer.address,
        "organisation_category": customer.organisation_category,
        "industry": customer.industry,
        "decision_scope": customer.decision_scope,
        "strategic": "true" if customer.strategic else "",
        "home_business": "true" if customer.home_business else "",
        "occupation": customer.occupation,
        "income_band": customer.income_band,
    }
    for index, line in enumerate(customer.lines):
        related, relation = customer.relations[index] if index < len(customer.relations) else ("", "")
        yield fixed | _line_columns(line) | {"related_customer_ref": related, "relation_type": str(relation)}


def _line_columns(line: Line) -> Row:
    account = line.account
    return {
        "account_ref": account.ref,
        "account_type": account.account_type.value,
        "account_name": account.name,
        "parent_account_ref": account.parent_ref,
        "payment_method": account.payment.value,
        "subscriber_id": line.subscriber_id,
        "product": line.product.value,
        "service_number": line.number,
        "install_address": line.install_address,
        "ownership_type": line.ownership.value,
        "subscriber_status": line.status.value,
        "activated_date": line.activated.isoformat(),
        "terminated_date": _iso(line.terminated),
        "contract_end_date": _iso(line.contract_end),
        "channel_code": line.channel,
        "staff_code": line.staff,
        "brand": line.brand,
    }


def generate_demo_rows(customers: int, seed: int, *, reference_date: date = REFERENCE_DATE) -> Iterator[Row]:
    """Rows of the import format for `customers` customers, the same for the same seed and reference date."""
    builder = DemoBuilder(seed, reference_date)
    while builder.customers < customers:
        for customer in builder.unit(customers - builder.customers):
            yield from customer_rows(customer)


def write_demo_file(
    path: Path, customers: int, seed: int, *, reference_date: date = REFERENCE_DATE, chunk_rows: int = 100_000
) -> int:
    """Write the demo rows as CSV or Parquet (by the file suffix); returns the number of rows written."""
    schema = pa.schema([(name, pa.string()) for name in COLUMNS])
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise ValueError(f"unknown demo file type {suffix!r}: use .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer: pacsv.CSVWriter | pq.ParquetWriter
    writer = pacsv.CSVWriter(path, schema) if suffix == ".csv" else pq.ParquetWriter(path, schema, compression="zstd")
    written = 0
    with writer:
        for batch in _batches(generate_demo_rows(customers, seed, reference_date=reference_date), chunk_rows):
            writer.write_table(pa.table(batch, schema=schema))
            written += len(batch["customer_ref"])
    return written


def _batches(rows: Iterator[Row], size: int) -> Iterator[dict[str, list[str]]]:
    """Column lists of up to `size` rows at a time, so a million customers never sit in memory at once."""
    columns: dict[str, list[str]] = {name: [] for name in COLUMNS}
    for count, row in enumerate(rows, start=1):
        for name in COLUMNS:
            columns[name].append(row[name])
        if count % size == 0:
            yield columns
            columns = {name: [] for name in COLUMNS}
    if columns["customer_ref"]:
        yield columns
