"""Segmentation attributes of the profile and the brand of a line, through the customer services."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from telcocrm.customers import repository, service
from telcocrm.customers.present import view_360
from telcocrm.customers.schemas import CertificateIn, CustomerCreate, CustomerUpdate, ProfileIn, SubscriberCreate
from telcocrm.errors import InvalidInput
from telcocrm.models import Customer, CustomerProfile, Subscriber
from telcocrm.models.enums import (
    CertificateType,
    CustomerKind,
    DecisionScope,
    IncomeBand,
    OrganisationCategory,
    Product,
)
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person, mobile_number


def make_organisation(db: Session, viewer: Viewer, profile: ProfileIn | None = None) -> Customer:
    """An organisation registered by a valid unified social credit code."""
    body = "91440101MA5C12345"  # the 17 characters before the check character
    data = CustomerCreate(
        kind=CustomerKind.ORGANISATION,
        name="广州华信科技有限公司",
        certificate=CertificateIn(
            type=CertificateType.UNIFIED_SOCIAL_CREDIT, number=body + uscc.calc_check_digit(body)
        ),
        profile=profile,
    )
    return service.create_customer(db=db, viewer=viewer, data=data)


def test_organisation_attributes_are_kept_and_shown_in_the_360_view(db: Session, admin: Viewer) -> None:
    org = make_organisation(
        db,
        admin,
        ProfileIn(
            organisation_category=OrganisationCategory.ENTERPRISE_HIGH_END,
            industry="制造业",
            decision_scope=DecisionScope.NATIONAL,
            strategic=True,
        ),
    )
    db.commit()
    profile = db.get(CustomerProfile, org.id)
    assert profile is not None and profile.organisation_category is OrganisationCategory.ENTERPRISE_HIGH_END
    assert (profile.industry, profile.decision_scope, profile.strategic, profile.home_business) == (
        "制造业",
        DecisionScope.NATIONAL,
        True,
        False,
    )
    shown = view_360(admin, repository.load_view(db, org.code), set())["peripheral"]
    assert shown["organisationCategory"] == "enterprise_high_end" and shown["decisionScope"] == "national"
    assert (shown["industry"], shown["strategic"], shown["homeBusiness"], shown["incomeBand"]) == (
        "制造业",
        True,
        False,
        None,
    )


def test_a_change_sets_income_band_and_home_business_and_names_them_in_history(db: Session, admin: Viewer) -> None:
    person = make_person(db, admin)
    update = CustomerUpdate(profile=ProfileIn(income_band=IncomeBand.FROM_8K_TO_20K, home_business=True))
    service.change_customer(db=db, viewer=admin, code=person.code, data=update)
    db.commit()
    profile = db.get(CustomerProfile, person.id)
    assert profile is not None and profile.income_band is IncomeBand.FROM_8K_TO_20K and profile.home_business
    entry = repository.history_of(db, person)[0]
    assert entry.after is not None and entry.after["changes"]["profile"] == ["home_business", "income_band"]
    assert view_360(admin, repository.load_view(db, person.code), set())["peripheral"]["incomeBand"] == "8k_to_20k"


@pytest.mark.parametrize("field", ["organisation_category", "industry", "decision_scope"])
def test_organisation_attributes_are_refused_for_a_person(db: Session, admin: Viewer, field: str) -> None:
    person = make_person(db, admin)
    values = {"organisation_category": "government", "industry": "金融", "decision_scope": "local"}
    with pytest.raises(InvalidInput) as error:
        service.change_customer(
            db=db, viewer=admin, code=person.code, data=CustomerUpdate(profile=ProfileIn(**{field: values[field]}))
        )
    assert error.value.field == f"profile.{field}" and "only for organisations" in error.value.message


def test_income_band_is_refused_for_an_organisation(db: Session, admin: Viewer) -> None:
    with pytest.raises(InvalidInput) as error:
        make_organisation(db, admin, ProfileIn(income_band=IncomeBand.ABOVE_20K))
    assert error.value.field == "profile.income_band"


def test_a_line_keeps_its_brand_from_the_catalogue(db: Session, admin: Viewer) -> None:
    person = make_person(db, admin)
    account = make_account(db, admin, person)
    data = SubscriberCreate(
        account_code=account.account_code,
        product=Product.MOBILE,
        service_number=mobile_number(),
        activated_date=date(2024, 3, 1),
        brand="up_xinshili",
    )
    line = service.open_subscriber(db=db, viewer=admin, code=person.code, data=data)
    plain = make_line(db, admin, person, account)
    db.commit()
    assert db.get(Subscriber, line.id) is not None and line.brand == "up_xinshili" and plain.brand is None
    shown = view_360(admin, repository.load_view(db, person.code), set())["subscribers"]
    assert {s["id"]: s["brand"] for s in shown} == {line.subscriber_code: "up_xinshili", plain.subscriber_code: None}


def test_a_brand_outside_the_catalogue_is_refused(db: Session, admin: Viewer) -> None:
    person = make_person(db, admin)
    account = make_account(db, admin, person)
    data = SubscriberCreate(
        account_code=account.account_code,
        product=Product.MOBILE,
        service_number=mobile_number(),
        activated_date=date(2024, 3, 1),
        brand="tianyi",
    )
    with pytest.raises(InvalidInput) as error:
        service.open_subscriber(db=db, viewer=admin, code=person.code, data=data)
    assert error.value.field == "brand" and "xinshikong" in error.value.message
