"""Typed factories for tests: valid certificates and customers with accounts and lines."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy.orm import Session
from stdnum.cn import ric

from telcocrm.customers import service
from telcocrm.customers.schemas import AccountCreate, CertificateIn, CustomerCreate, SubscriberCreate
from telcocrm.models import BillingAccount, Customer, Subscriber
from telcocrm.models.enums import AccountType, CertificateType, CustomerKind, PaymentMethod, Product
from telcocrm.staff.rules import Viewer

_counter = iter(range(1, 10**9))


def resident_id(serial: int | None = None, birth: date = date(1985, 6, 15), region: str = "110105") -> str:
    """A valid 18-character resident ID number (GB 11643 check digit)."""
    n = serial if serial is not None else next(_counter)
    body = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


def wrong_check_digit(number: str) -> str:
    """The same number with a check digit that is certainly wrong."""
    right = number[-1]
    return number[:-1] + ("0" if right != "0" else "1")


def mobile_number(rng: random.Random | None = None) -> str:
    """A plausible mainland mobile number."""
    rng = rng or random.Random(next(_counter))
    return "139" + f"{rng.randrange(10**8):08d}"


def make_person(db: Session, viewer: Viewer, name: str = "张伟", *, password: str | None = None) -> Customer:
    """A person customer with a valid resident ID."""
    data = CustomerCreate(
        kind=CustomerKind.PERSON,
        name=name,
        certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=resident_id()),
        password=password,
    )
    return service.create_customer(db=db, viewer=viewer, data=data)


def make_account(db: Session, viewer: Viewer, customer: Customer, **kw: object) -> BillingAccount:
    """An individual cash account unless told otherwise."""
    data = AccountCreate.model_validate({"name": customer.name, **kw})
    return service.open_account(db=db, viewer=viewer, code=customer.code, data=data)


def make_line(
    db: Session, viewer: Viewer, customer: Customer, account: BillingAccount, number: str | None = None
) -> Subscriber:
    """A mobile line on the account."""
    data = SubscriberCreate(
        account_code=account.account_code,
        product=Product.MOBILE,
        service_number=number or mobile_number(),
        activated_date=date(2024, 3, 1),
    )
    return service.open_subscriber(db=db, viewer=viewer, code=customer.code, data=data)


__all__ = ["AccountType", "PaymentMethod", "make_account", "make_line", "make_person", "resident_id"]
