"""Customer data as a viewer may see it: personal data masked unless the role may see it in full.

Every function returns plain dicts and adds to `seen` each kind of personal data shown unmasked, so the
caller writes one audit record per response. They read ORM objects (after a change) and read-model
records (the 360 view) alike: both carry the same attribute names.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telcocrm.customers.records import (
    AccountRecord,
    CertificateRecord,
    CreditRecord,
    CustomerRecord,
    HistoryRecord,
    LifecycleRecord,
    ProfileRecord,
    SegmentRecord,
    SubscriberRecord,
)
from telcocrm.customers.repository import CustomerView
from telcocrm.kit.timefmt import local_iso
from telcocrm.models import BillingAccount, Certificate, Customer, CustomerHistory, CustomerProfile, Subscriber
from telcocrm.staff.rules import Viewer, shown

MOBILE_LIKE = {"mobile", "fixed", "e8_bundle"}  # products whose service number is a phone number
Profile = CustomerProfile | ProfileRecord


def core(customer: Customer | CustomerRecord) -> dict[str, Any]:
    """Identification and status; no personal data here."""
    return {
        "code": customer.code,
        "kind": customer.kind.value,
        "name": customer.name,
        "status": customer.status.value,
        "mergedIntoCode": customer.merged_into_code,
        "joinedAt": local_iso(customer.joined_at),
        "createdAt": local_iso(customer.created_at),
        "changedAt": local_iso(customer.changed_at),
        "cancelledAt": local_iso(customer.cancelled_at),
        "hasPassword": customer.password_hash is not None,
    }


def certificate(viewer: Viewer, cert: Certificate | CertificateRecord, seen: set[str]) -> dict[str, Any]:
    """A certificate with its number and address masked for roles that may not see them."""
    return {
        "type": cert.cert_type.value,
        "number": shown(viewer, "certificate", cert.cert_number, seen),
        "address": shown(viewer, "address", cert.cert_address, seen),
        "active": cert.active,
    }


def extended(viewer: Viewer, profile: Profile | None, seen: set[str]) -> dict[str, Any]:
    """Contact management and preferences (the extended view)."""
    if profile is None:
        return {}
    return {
        "contactPhone": shown(viewer, "phone", profile.contact_phone, seen),
        "contactEmail": profile.contact_email,
        "contactAddress": shown(viewer, "address", profile.contact_address, seen),
        "province": profile.province,
        "city": profile.city,
        "preferredChannel": profile.preferred_channel,
        "contactTime": profile.contact_time,
        "doNotDisturb": profile.do_not_disturb,
    }


def peripheral(profile: Profile | None) -> dict[str, Any]:
    """Deeper social attributes (the peripheral view)."""
    if profile is None:
        return {}
    return {
        "occupation": profile.occupation,
        "incomeBand": _code(profile.income_band),
        "education": profile.education,
        "hobbies": profile.hobbies or [],
        "source": profile.source,
        # segmentation attributes (brief §2)
        "organisationCategory": _code(profile.organisation_category),
        "industry": profile.industry,
        "decisionScope": _code(profile.decision_scope),
        "strategic": profile.strategic,
        "homeBusiness": profile.home_business,
    }


def _code(value: StrEnum | None) -> str | None:
    return value.value if value is not None else None


def account(acc: BillingAccount | AccountRecord, parent_code: str | None = None) -> dict[str, Any]:
    """A billing account."""
    return {
        "code": acc.account_code,
        "name": acc.name,
        "accountType": acc.account_type.value,
        "paymentMethod": acc.payment_method.value,
        "parentAccountCode": parent_code,
        "status": acc.status.value,
    }


def subscriber(viewer: Viewer, sub: Subscriber | SubscriberRecord, account_code: str, seen: set[str]) -> dict[str, Any]:
    """A subscriber; phone-like service numbers and install addresses are personal data."""
    number = sub.service_number
    if sub.product.value in MOBILE_LIKE:
        number = shown(viewer, "phone", number, seen) or number
    return {
        "id": sub.subscriber_code,
        "product": sub.product.value,
        "serviceNumber": number,
        "installAddress": shown(viewer, "address", sub.install_address, seen),
        "ownershipType": sub.ownership_type.value,
        "status": sub.status.value,
        "accountCode": account_code,
        "activatedDate": sub.activated_date.isoformat(),
        "terminatedDate": sub.terminated_date.isoformat() if sub.terminated_date else None,
        "contractEndDate": sub.contract_end_date.isoformat() if sub.contract_end_date else None,
        "channelCode": sub.channel_code,
        "staffCode": sub.staff_code,
        "brand": sub.brand,
    }


def history_entry(entry: CustomerHistory | HistoryRecord) -> dict[str, Any]:
    """One history entry."""
    return {
        "at": local_iso(entry.at),
        "customerCode": entry.customer_code,
        "action": entry.action.value,
        "actor": entry.actor,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
    }


def decided(value: Any, rule: str | None, reason: str | None) -> dict[str, Any]:
    """A value the monthly run decided, with the id of the rule that decided it and the reason in business words."""
    return {"value": value, "rule": rule, "reason": reason}


def _month_of(entry: CreditRecord | SegmentRecord | LifecycleRecord) -> dict[str, Any]:
    return {"month": entry.month, "rulesVersion": entry.rules_version, "recordedAt": local_iso(entry.recorded_at)}


def credit_entry(entry: CreditRecord) -> dict[str, Any]:
    """A month's credit rating (A/B/C) and class (I/II/III) with what follows from them."""
    return {
        "customerCode": entry.customer_code,
        **_month_of(entry),
        "rating": decided(entry.credit_rating, entry.credit_rule, entry.credit_reason),
        "class": decided(entry.credit_class, entry.class_rule, entry.class_reason),
        "consecutiveAMonths": entry.consecutive_a_months,
        "suspensionExemptMonths": entry.suspension_exempt_months,
        "overdraftLimitFen": entry.overdraft_limit_fen,
        "rentalEligible": entry.rental_eligible,
        "discountLimitPct": entry.discount_limit_pct,
    }


def segment_entry(entry: SegmentRecord) -> dict[str, Any]:
    """A month's segment, five-way classification, big-customer kinds, star tier and value tier."""
    return {
        "customerCode": entry.customer_code,
        **_month_of(entry),
        "segment": decided(entry.segment, entry.segment_rule, entry.segment_reason) | {"subSegment": entry.sub_segment},
        "valueGrade": entry.value_grade,
        "classification": {
            "arpuGrade": entry.arpu_grade,
            "depositTier": entry.deposit_tier,
            "tenureBand": entry.tenure_band,
            "behaviourCluster": entry.behaviour_cluster,
            "demographicBand": entry.demographic_band,
        },
        "bigCustomer": {
            "kinds": [k for k in (entry.big_customer_kinds or "").split(",") if k],
            "specialClass": entry.special_class,
            "reason": entry.big_customer_reason,
        },
        "starTier": decided(entry.star_tier, entry.star_rule, entry.star_reason),
        "valueTier": decided(entry.value_tier, entry.value_rule, entry.value_reason),
    }


def lifecycle_entry(entry: LifecycleRecord) -> dict[str, Any]:
    """A month's lifecycle stage of one subscriber."""
    return {
        "subscriberId": entry.subscriber_code,
        "customerCode": entry.customer_code,
        **_month_of(entry),
        "stage": decided(entry.lifecycle_stage, entry.lifecycle_rule, entry.lifecycle_reason),
    }


def assessment(view: CustomerView) -> dict[str, Any]:
    """The current (newest month's) credit and segment of the customer; empty before the first monthly run."""
    return {
        "credit": credit_entry(view.credit) if view.credit else None,
        "segment": segment_entry(view.segment) if view.segment else None,
    }


def view_360(viewer: Viewer, view: CustomerView, seen: set[str]) -> dict[str, Any]:
    """The unified customer view: core, extended, peripheral, subscribers, accounts, relations, history.

    With `assessment:read`, also the monthly run's current rating, segment and each line's lifecycle stage.
    """
    codes_by_id = {a.id: a.account_code for a in view.accounts}
    assessed = viewer.may("assessment:read")
    subscribers = [subscriber(viewer, s, codes_by_id.get(s.account_id, ""), seen) for s in view.subscribers]
    if assessed:
        for shown_line, line in zip(subscribers, view.subscribers, strict=True):
            stage = view.lifecycle.get(line.subscriber_code)
            shown_line["lifecycle"] = lifecycle_entry(stage) if stage else None
    return {
        "core": core(view.customer)
        | {"certificates": [certificate(viewer, c, seen) for c in view.certificates if c.active]},
        "extended": extended(viewer, view.profile, seen),
        "peripheral": peripheral(view.profile),
        "accounts": [account(a, codes_by_id.get(a.parent_account_id or -1)) for a in view.accounts],
        "subscribers": subscribers,
        "relations": [
            {"type": rel.relation_type.value, "direction": direction, "customerCode": code, "customerName": name}
            for rel, code, name, direction in view.relations
        ],
        "history": [history_entry(h) for h in view.history],
    } | ({"assessment": assessment(view)} if assessed else {})
