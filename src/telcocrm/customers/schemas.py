"""Request and response shapes of our own customer endpoints (the TMF shapes live in tmf_mapping.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from telcocrm.models.enums import (
    AccountType,
    CertificateType,
    CustomerKind,
    DecisionScope,
    IncomeBand,
    OrganisationCategory,
    OwnershipType,
    PaymentMethod,
    Product,
    RelationType,
)


class CertificateIn(BaseModel):
    """A certificate presented for registration."""

    type: CertificateType
    number: str = Field(min_length=1, max_length=40)
    address: str | None = Field(default=None, max_length=300)


class ProfileIn(BaseModel):
    """Extended and peripheral attributes; every field optional."""

    model_config = ConfigDict(extra="forbid")

    contact_phone: str | None = None
    contact_email: str | None = None
    contact_address: str | None = None
    province: str | None = None
    city: str | None = None
    preferred_channel: str | None = None
    contact_time: str | None = None
    do_not_disturb: bool | None = None
    occupation: str | None = Field(default=None, max_length=60)
    income_band: IncomeBand | None = None  # persons only
    education: str | None = None
    hobbies: list[str] | None = None
    source: str | None = None
    organisation_category: OrganisationCategory | None = None  # organisations only, as industry and decision_scope
    industry: str | None = Field(default=None, max_length=40)
    decision_scope: DecisionScope | None = None  # an industry customer's scope; empty for a cluster customer
    strategic: bool | None = None
    home_business: bool | None = None


class CustomerCreate(BaseModel):
    """A new customer with at least one certificate."""

    kind: CustomerKind
    name: str = Field(min_length=1, max_length=200)
    certificate: CertificateIn
    password: str | None = Field(default=None, min_length=6, max_length=64)
    joined_at: datetime | None = None
    profile: ProfileIn | None = None


class CustomerUpdate(BaseModel):
    """A change to a customer; only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=6, max_length=64)
    add_certificate: CertificateIn | None = None
    profile: ProfileIn | None = None


class AccountCreate(BaseModel):
    """A billing account opened for a customer."""

    name: str
    account_type: AccountType = AccountType.INDIVIDUAL
    payment_method: PaymentMethod = PaymentMethod.CASH
    parent_account_code: str | None = None


class SubscriberCreate(BaseModel):
    """A product instance opened for a customer on one of its accounts."""

    account_code: str
    product: Product
    service_number: str
    subscriber_code: str | None = None
    install_address: str | None = None
    ownership_type: OwnershipType = OwnershipType.OWNED
    activated_date: date
    contract_end_date: date | None = None
    channel_code: str | None = None
    staff_code: str | None = None
    brand: str | None = Field(default=None, max_length=32)  # a code of the brand catalogue (brands.toml)


class RelationCreate(BaseModel):
    """A relation from this customer to another."""

    related_customer_code: str
    relation_type: RelationType


class MergeRequest(BaseModel):
    """Merge `merged_code` (B) into the customer of the path (A)."""

    merged_code: str = Field(min_length=1)
    reason: str | None = None


class SplitRequest(BaseModel):
    """Move the chosen subscribers, with their accounts, to a new customer."""

    subscriber_codes: list[str] = Field(min_length=1)
    new_customer: CustomerCreate


class AuthenticateRequest(BaseModel):
    """Authenticate a customer at the counter: certificate, else customer password."""

    certificate: CertificateIn | None = None
    password: str | None = None


class AuthenticateResult(BaseModel):
    """The outcome of an authentication."""

    authenticated: bool
    method: str
    customer_code: str
