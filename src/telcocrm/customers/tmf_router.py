"""TMF629 Customer Management v4: list, read, create, merge-patch and cancel customers (see docs/tmf-mapping.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status
from sqlalchemy.orm import Session

from telcocrm.api_deps import FieldsDep, PageDep, ReadSessionDep, SessionDep, require
from telcocrm.customers import repository, responses, service
from telcocrm.customers.tmf_mapping import (
    CUSTOMER_BASE,
    CustomerCreateIn,
    CustomerPatchIn,
    PartyData,
    customer_href,
    load_many,
    load_one,
    shown_and_audited,
    tmf_fields,
    to_customer,
    to_customer_create,
    to_customer_update,
    wanted_fields,
    wants,
)
from telcocrm.db.read_plans import run_plan
from telcocrm.errors import Conflict, InvalidInput, NotFound, TelcoError
from telcocrm.kit.responses import json_response
from telcocrm.kit.tmf import page_response
from telcocrm.models.enums import CustomerStatus
from telcocrm.staff.rules import Viewer

router = APIRouter(prefix=CUSTOMER_BASE, tags=["TMF629 Customer"])

Reader = Annotated[Viewer, Depends(require("customer:read"))]
Writer = Annotated[Viewer, Depends(require("customer:write"))]
Canceller = Annotated[Viewer, Depends(require("customer:cancel"))]

PATCH_MEDIA_TYPES = ("application/merge-patch+json", "application/json")


class UnsupportedMediaType(TelcoError):
    """The PATCH body is not a JSON merge patch."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


def merge_patch_only(content_type: Annotated[str | None, Header()] = None) -> None:
    """PATCH takes `application/merge-patch+json` (plain `application/json` is read the same way)."""
    media_type = (content_type or PATCH_MEDIA_TYPES[0]).split(";")[0].strip().lower()
    if media_type not in PATCH_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"仅支持 JSON merge patch / use {PATCH_MEDIA_TYPES[0]} (JSON Patch is not supported)",
            field="Content-Type",
        )


def _respond(db: Session, viewer: Viewer, data: PartyData) -> dict[str, Any]:
    """The Customer resource as the viewer may see it; an unmasked view is audited and committed."""
    return shown_and_audited(db, viewer, [data.customer.code], lambda seen: to_customer(viewer, data, seen))


def _status_filter(value: str | None) -> str | None:
    """The `status` filter, one of our customer states."""
    if value is None:
        return None
    try:
        return CustomerStatus(value).value
    except ValueError as exc:
        allowed = ", ".join(s.value for s in CustomerStatus)
        raise InvalidInput(f"未知状态 / unknown status (one of {allowed})", field="status") from exc


@router.get("")
def list_customers(
    db: SessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    name: Annotated[str | None, Query(min_length=1, description="name prefix")] = None,
) -> list[dict[str, Any]]:
    """Customers page by page; filter by `status` and by `name` (a prefix). Merged-away codes only when asked."""
    offset, limit = page
    customers, total = repository.list_customers(
        db, offset=offset, limit=limit, status=_status_filter(status_filter), name=name
    )
    wanted = wanted_fields(fields)
    items = load_many(db, customers, accounts=wants(wanted, "account"), relations=wants(wanted, "relatedParty"))
    codes = [data.customer.code for data in items]
    body = shown_and_audited(db, viewer, codes, lambda seen: [to_customer(viewer, d, seen, wanted) for d in items])
    return page_response(body, total=total, offset=offset, response=response)


@router.get("/{id}", response_model=dict[str, Any])
def get_customer(db: ReadSessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> Response:
    """One customer by code; a merged-away code answers with the surviving customer."""
    body = run_plan(db.connection(), responses.tmf_customer(viewer, id, fields))
    db.commit()  # the audit record of an unmasked view, before the response is sent
    return json_response(body)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_customer(db: SessionDep, viewer: Writer, body: CustomerCreateIn, response: Response) -> dict[str, Any]:
    """Register a customer; the certificate is given as characteristics certificateType / certificateNumber."""
    with tmf_fields():
        _refuse_existing_party(db, body.engaged_party.id)
        customer = service.create_customer(db=db, viewer=viewer, data=to_customer_create(body))
    response.headers["Location"] = customer_href(customer.code)
    return _respond(db, viewer, load_one(db, customer.code))


def _refuse_existing_party(db: Session, party_id: str | None) -> None:
    """A new customer is a new party: its id is handed out here, never chosen by the client."""
    if party_id is None:
        return
    try:
        existing = repository.get_by_code(db, party_id)
    except NotFound:
        raise InvalidInput(
            "参与方标识由系统分配，请勿提供 / party ids are assigned on creation: omit engagedParty.id",
            field="engagedParty.id",
        ) from None
    raise Conflict(
        f"该参与方已是客户 {existing.code} / party is already customer {existing.code}", field="engagedParty.id"
    )


@router.patch("/{id}", dependencies=[Depends(merge_patch_only)])
def patch_customer(db: SessionDep, viewer: Writer, id: str, body: CustomerPatchIn) -> dict[str, Any]:
    """Change name, contact media and profile characteristics, or add a certificate (JSON merge patch)."""
    with tmf_fields():
        current = repository.get_by_code(db, id)
        update = to_customer_update(body, current)
        if update.model_fields_set:
            service.change_customer(db=db, viewer=viewer, code=current.code, data=update)
    return _respond(db, viewer, load_one(db, current.code))


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_customer(db: SessionDep, viewer: Canceller, id: str) -> Response:
    """Cancel the customer (status `cancelled`); the code and history stay. Refused while lines are live."""
    with tmf_fields():
        exact = repository.get_exact(db, id)
        if exact.status is CustomerStatus.MERGED:
            raise Conflict(
                f"客户 {id} 已并入 {exact.merged_into_code} / customer was merged into {exact.merged_into_code}",
                field="id",
                record=id,
            )
        service.cancel_customer(db=db, viewer=viewer, code=id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
