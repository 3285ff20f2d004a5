"""TMF666 Account Management v4, read only: billing accounts (accounts are opened at /api/customers/{code}/accounts)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from telcocrm.accounts import repository as accounts
from telcocrm.accounts.tmf_mapping import to_billing_account
from telcocrm.api_deps import FieldsDep, PageDep, SessionDep, require
from telcocrm.customers import repository as customers
from telcocrm.customers.tmf_mapping import ACCOUNT_BASE, wanted_fields
from telcocrm.errors import InvalidInput, NotFound
from telcocrm.kit.tmf import error_body, page_response
from telcocrm.models.enums import AccountStatus, AccountType
from telcocrm.staff.rules import Viewer

router = APIRouter(prefix=ACCOUNT_BASE, tags=["TMF666 Account"])

Reader = Annotated[Viewer, Depends(require("account:read"))]
E = TypeVar("E", AccountStatus, AccountType)


def _enum_filter(enum: type[E], value: str | None, name: str) -> E | None:
    """A filter value of a closed vocabulary, or 400 naming the filter."""
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(f"未知取值 / unknown value (one of {allowed})", field=name) from exc


@router.get("")
def list_billing_accounts(
    db: SessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    party_id: Annotated[str | None, Query(alias="relatedParty.id", description="owner customer code")] = None,
    state: Annotated[str | None, Query()] = None,
    account_type: Annotated[str | None, Query(alias="accountType")] = None,
) -> list[dict[str, Any]]:
    """Billing accounts page by page; filter by owner (`relatedParty.id`), `state` and `accountType`."""
    offset, limit = page
    customer_id = None
    if party_id is not None:
        try:
            customer_id = customers.get_by_code(db, party_id).id  # a merged-away code: the survivor's accounts
        except NotFound:
            return page_response([], total=0, offset=offset, response=response)
    records, total = accounts.list_accounts(
        db,
        offset=offset,
        limit=limit,
        customer_id=customer_id,
        state=_enum_filter(AccountStatus, state, "state"),
        account_type=_enum_filter(AccountType, account_type, "accountType"),
    )
    wanted = wanted_fields(fields)
    return page_response(
        [to_billing_account(r, wanted) for r in records], total=total, offset=offset, response=response
    )


@router.get("/{id}")
def get_billing_account(db: SessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One billing account by account code."""
    return to_billing_account(accounts.get_account(db, id), wanted_fields(fields))


def method_not_allowed() -> JSONResponse:
    """405 in the TMF error form: billing accounts are opened and closed through our own API."""
    message = "账户只读，请通过 /api/customers/{code}/accounts 开户 / read-only: open accounts through our API"
    return JSONResponse(
        status_code=405,
        content=error_body(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", message),
        headers={"Allow": "GET"},
    )


router.add_api_route("", method_not_allowed, methods=["POST"], include_in_schema=False)
router.add_api_route("/{id}", method_not_allowed, methods=["PATCH", "PUT", "DELETE"], include_in_schema=False)
