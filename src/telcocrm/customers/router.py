"""Our own customer endpoints: search, the 360 view, merge, split, authenticate, open accounts and lines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from telcocrm.api_deps import PageDep, ReadSessionDep, SessionDep, require
from telcocrm.customers import assessments, merging, present, repository, responses, service
from telcocrm.customers.schemas import (
    AccountCreate,
    AuthenticateRequest,
    AuthenticateResult,
    MergeRequest,
    RelationCreate,
    SplitRequest,
    SubscriberCreate,
)
from telcocrm.db.read_plans import run_plan
from telcocrm.errors import TelcoError
from telcocrm.kit.responses import json_response
from telcocrm.kit.tmf import page_response
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer

router = APIRouter(prefix="/api/customers", tags=["customers"])

Reader = Annotated[Viewer, Depends(require("customer:read"))]
Writer = Annotated[Viewer, Depends(require("customer:write"))]
Merger = Annotated[Viewer, Depends(require("customer:merge"))]
Splitter = Annotated[Viewer, Depends(require("customer:split"))]
Authenticator = Annotated[Viewer, Depends(require("customer:authenticate"))]
Assessor = Annotated[Viewer, Depends(require("assessment:read"))]
Months = Annotated[int, Query(ge=1, le=assessments.MAX_MONTHS, description="how many of the newest months to return")]


@router.get("")
def search_customers(
    db: SessionDep, viewer: Reader, page: PageDep, response: Response, q: Annotated[str, Query(min_length=1)]
) -> list[dict[str, Any]]:
    """Find customers by code, certificate number, service number or name prefix."""
    offset, limit = page
    result = repository.search(db, q, offset=offset, limit=limit)
    response.headers["X-Matched-By"] = result.matched_by
    return page_response(
        [present.core(c) for c in result.customers], total=result.total, offset=offset, response=response
    )


@router.get("/{code}/view", response_model=dict[str, Any])
def customer_360(db: ReadSessionDep, viewer: Reader, code: str) -> Response:
    """The 360 view in one response; a merged-away code answers with its survivor."""
    body = run_plan(db.connection(), responses.view_360(viewer, code))
    db.commit()  # the audit record of an unmasked view, before the response is sent
    return json_response(body)


@router.get("/{code}/credit-history")
def credit_history(
    db: ReadSessionDep, viewer: Assessor, code: str, months: Months = assessments.DEFAULT_MONTHS
) -> list[dict[str, Any]]:
    """Credit rating and class month by month, newest first, each with its rule, reason and rules version."""
    return [present.credit_entry(e) for e in assessments.credit_history(db=db, code=code, months=months)]


@router.get("/{code}/segment-history")
def segment_history(
    db: ReadSessionDep, viewer: Assessor, code: str, months: Months = assessments.DEFAULT_MONTHS
) -> list[dict[str, Any]]:
    """Segment, star tier, value tier and big-customer kinds month by month, newest first."""
    return [present.segment_entry(e) for e in assessments.segment_history(db=db, code=code, months=months)]


@router.get("/{code}/lifecycle-history")
def lifecycle_history(
    db: ReadSessionDep, viewer: Assessor, code: str, months: Months = assessments.DEFAULT_MONTHS
) -> list[dict[str, Any]]:
    """Lifecycle stage of each of the customer's lines month by month, newest month first."""
    return [present.lifecycle_entry(e) for e in assessments.lifecycle_history(db=db, code=code, months=months)]


@router.post("/{code}/merge")
def merge(db: SessionDep, viewer: Merger, code: str, body: MergeRequest) -> dict[str, Any]:
    """Merge customer `merged_code` into this one."""
    survivor = merging.merge_customers(
        db=db, viewer=viewer, survivor_code=code, merged_code=body.merged_code, reason=body.reason
    )
    db.commit()
    return present.core(survivor)


@router.post("/{code}/split", status_code=status.HTTP_201_CREATED)
def split(db: SessionDep, viewer: Splitter, code: str, body: SplitRequest) -> dict[str, Any]:
    """Move the chosen subscribers, with their accounts, to a new customer."""
    outcome = merging.split_customer(db=db, viewer=viewer, code=code, request=body)
    db.commit()
    return {
        "customer": present.core(outcome.customer),
        "movedSubscribers": outcome.moved_subscribers,
        "movedAccounts": outcome.moved_accounts,
        "newAccounts": outcome.new_accounts,
    }


@router.post("/{code}/authenticate")
def authenticate(db: SessionDep, viewer: Authenticator, code: str, body: AuthenticateRequest) -> AuthenticateResult:
    """Authenticate a customer by certificate, else by customer password (five failures lock 30 minutes)."""
    try:
        method = service.authenticate_customer(db=db, code=code, certificate=body.certificate, password=body.password)
    except TelcoError:
        db.commit()  # keep the failure count
        raise
    db.commit()
    return AuthenticateResult(authenticated=True, method=method, customer_code=repository.get_by_code(db, code).code)


@router.post("/{code}/accounts", status_code=status.HTTP_201_CREATED)
def open_account(db: SessionDep, viewer: Writer, code: str, body: AccountCreate) -> dict[str, Any]:
    """Open a billing account for the customer."""
    account = service.open_account(db=db, viewer=viewer, code=code, data=body)
    db.commit()
    return present.account(account, body.parent_account_code)


@router.post("/{code}/subscribers", status_code=status.HTTP_201_CREATED)
def open_subscriber(db: SessionDep, viewer: Writer, code: str, body: SubscriberCreate) -> dict[str, Any]:
    """Open a product instance (subscriber) for the customer."""
    subscriber = service.open_subscriber(db=db, viewer=viewer, code=code, data=body)
    seen: set[str] = set()
    shown = present.subscriber(viewer, subscriber, body.account_code, seen)
    audit.record_unmasked_view(
        db=db, viewer=viewer, resource_type="subscriber", resource_id=subscriber.subscriber_code, seen=seen
    )
    db.commit()
    return shown


@router.post("/{code}/relations", status_code=status.HTTP_201_CREATED)
def add_relation(db: SessionDep, viewer: Writer, code: str, body: RelationCreate) -> dict[str, Any]:
    """Relate the customer to another customer."""
    relation = service.add_relation(db=db, viewer=viewer, code=code, data=body)
    db.commit()
    return {
        "type": relation.relation_type.value,
        "customerCode": code,
        "relatedCustomerCode": body.related_customer_code,
    }
