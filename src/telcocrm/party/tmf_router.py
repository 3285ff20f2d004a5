"""TMF632 Party Management v4, read only: persons as Individual, organisations as Organization.

Parties are created and changed as customers through TMF629; POST, PATCH and DELETE here answer 405.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from telcocrm.api_deps import FieldsDep, PageDep, SessionDep, require
from telcocrm.customers.tmf_mapping import (
    CUSTOMER_BASE,
    PARTY_BASE,
    PARTY_COLLECTION,
    PartyData,
    load_many,
    load_one,
    shown_and_audited,
    wanted_fields,
    wants,
)
from telcocrm.errors import NotFound
from telcocrm.kit.tmf import error_body, page_response
from telcocrm.models.enums import CustomerKind
from telcocrm.party.tmf_mapping import list_by_kind, to_individual, to_organization
from telcocrm.staff.rules import Viewer

router = APIRouter(prefix=PARTY_BASE, tags=["TMF632 Party"])

Reader = Annotated[Viewer, Depends(require("customer:read"))]
Mapper = Callable[[Viewer, PartyData, set[str], set[str] | None], dict[str, Any]]
MAPPERS: dict[CustomerKind, Mapper] = {CustomerKind.PERSON: to_individual, CustomerKind.ORGANISATION: to_organization}


def _list(
    db: Session, viewer: Viewer, kind: CustomerKind, page: tuple[int, int], fields: str | None, response: Response
) -> list[dict[str, Any]]:
    """A page of parties of one kind; one audit record if any personal data was shown unmasked."""
    offset, limit = page
    customers, total = list_by_kind(db, kind, offset=offset, limit=limit)
    wanted = wanted_fields(fields)
    items = load_many(db, customers, accounts=False, relations=wants(wanted, "relatedParty") or _wants_links(wanted))
    codes, mapper = [data.customer.code for data in items], MAPPERS[kind]
    body = shown_and_audited(db, viewer, codes, lambda seen: [mapper(viewer, d, seen, wanted) for d in items])
    return page_response(body, total=total, offset=offset, response=response)


def _wants_links(wanted: set[str] | None) -> bool:
    """Whether parent/child organisation relationships (loaded with the relations) are wanted."""
    return wants(wanted, "organizationParentRelationship") or wants(wanted, "organizationChildRelationship")


def _one(db: Session, viewer: Viewer, kind: CustomerKind, code: str, fields: str | None) -> dict[str, Any]:
    """One party by customer code (a merged-away code answers with its survivor); 404 for the other kind."""
    wanted = wanted_fields(fields)
    data = load_one(db, code, accounts=False, relations=wants(wanted, "relatedParty") or _wants_links(wanted))
    if data.customer.kind is not kind:
        other = PARTY_COLLECTION[data.customer.kind]
        raise NotFound(
            f"{code} 不是{'个人' if kind is CustomerKind.PERSON else '单位'}客户 / {code} is not an "
            f"{PARTY_COLLECTION[kind]}: see {PARTY_BASE}/{other}/{data.customer.code}",
            field="id",
            record=code,
        )
    return shown_and_audited(db, viewer, [data.customer.code], lambda seen: MAPPERS[kind](viewer, data, seen, wanted))


@router.get("/individual")
def list_individuals(
    db: SessionDep, viewer: Reader, page: PageDep, response: Response, fields: FieldsDep = None
) -> list[dict[str, Any]]:
    """Person customers as TMF632 Individual."""
    return _list(db, viewer, CustomerKind.PERSON, page, fields, response)


@router.get("/individual/{id}")
def get_individual(db: SessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One person customer as TMF632 Individual."""
    return _one(db, viewer, CustomerKind.PERSON, id, fields)


@router.get("/organization")
def list_organizations(
    db: SessionDep, viewer: Reader, page: PageDep, response: Response, fields: FieldsDep = None
) -> list[dict[str, Any]]:
    """Organisation customers as TMF632 Organization."""
    return _list(db, viewer, CustomerKind.ORGANISATION, page, fields, response)


@router.get("/organization/{id}")
def get_organization(db: SessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One organisation customer as TMF632 Organization."""
    return _one(db, viewer, CustomerKind.ORGANISATION, id, fields)


def method_not_allowed() -> JSONResponse:
    """405 in the TMF error form: parties are created and changed as customers through TMF629."""
    message = (
        f"参与方只读，请通过 TMF629 {CUSTOMER_BASE} 创建或修改客户 / parties are read-only here: "
        f"create and change them as customers through {CUSTOMER_BASE}"
    )
    return JSONResponse(
        status_code=405,
        content=error_body(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", message),
        headers={"Allow": "GET"},
    )


for _collection in ("individual", "organization"):
    router.add_api_route(f"/{_collection}", method_not_allowed, methods=["POST"], include_in_schema=False)
    router.add_api_route(
        f"/{_collection}/{{id}}", method_not_allowed, methods=["PATCH", "PUT", "DELETE"], include_in_schema=False
    )
