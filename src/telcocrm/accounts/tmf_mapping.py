"""TMF666 BillingAccount from our billing account: type, state, payment method, parent/child, owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telcocrm.accounts.repository import AccountLink, AccountRecord
from telcocrm.customers.tmf_mapping import (
    REFERRED_TYPE,
    account_href,
    build,
    characteristics,
    customer_href,
)
from telcocrm.kit.timefmt import local_iso
from telcocrm.models.enums import PaymentMethod

PAYMENT_METHOD_NAMES = {
    PaymentMethod.CASH: "现金 / cash",
    PaymentMethod.BANK_COLLECTION: "银行托收 / bank collection",
    PaymentMethod.PREPAID: "预存 / prepaid deposit",
    PaymentMethod.AGENT_BUYOUT: "代理商买断 / agent buyout",
    PaymentMethod.CONTRACT_CYCLE: "合同周期付费 / contract-cycle payment",
}


def account_ref(link: AccountLink) -> dict[str, Any]:
    """An AccountRef to another billing account."""
    return {"id": link.code, "href": account_href(link.code), "name": link.name, "@referredType": "BillingAccount"}


def relationships(record: AccountRecord) -> list[dict[str, Any]]:
    """The parent (family primary / group master) and the children (family secondary / group sub accounts)."""
    links = [("parent", record.parent)] if record.parent else []
    links += [("child", child) for child in record.children]
    return [
        {
            "relationshipType": kind,
            "account": account_ref(link),
            "validFor": {"startDateTime": local_iso(link.since)},
        }
        for kind, link in links
        if link is not None
    ]


def payment_method_ref(method: PaymentMethod) -> dict[str, Any]:
    """Our payment method as a PaymentMethodRef (no TMF670 resource behind it, hence no href)."""
    return {"id": method.value, "name": PAYMENT_METHOD_NAMES[method], "@referredType": "PaymentMethod"}


def owner(record: AccountRecord) -> dict[str, Any]:
    """The customer who owns the account, as a RelatedParty with role owner."""
    return {
        "id": record.owner_code,
        "href": customer_href(record.owner_code),
        "name": record.owner_name,
        "role": "owner",
        "@referredType": "Customer",
    }


def account_characteristics(record: AccountRecord) -> list[dict[str, Any]]:
    """Facts TMF666 has no attribute for (an extension: BillingAccount has no characteristic in v4.1)."""
    acc = record.account
    return characteristics(
        [
            ("paymentMethod", acc.payment_method.value),
            ("ownerPartyType", REFERRED_TYPE[record.owner_kind]),
            ("createdAt", local_iso(acc.created_at)),
            ("subscriberCount", record.subscriber_count),
        ]
    )


def to_billing_account(record: AccountRecord, wanted: set[str] | None = None) -> dict[str, Any]:
    """The TMF666 BillingAccount resource."""
    acc = record.account
    builders: dict[str, Callable[[], Any]] = {
        "name": lambda: acc.name,
        "accountType": lambda: acc.account_type.value,
        "state": lambda: acc.status.value,
        "ratingType": lambda: "prepaid" if acc.payment_method is PaymentMethod.PREPAID else "postpaid",
        "lastModified": lambda: local_iso(acc.changed_at),
        "defaultPaymentMethod": lambda: payment_method_ref(acc.payment_method),
        "accountRelationship": lambda: relationships(record),
        "relatedParty": lambda: [owner(record)],
        "characteristic": lambda: account_characteristics(record),
    }
    head = {"id": acc.account_code, "href": account_href(acc.account_code), "@type": "BillingAccount"}
    return build(head, builders, wanted)
