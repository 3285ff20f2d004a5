"""TMF658 Loyalty Management v4 over the points ledger: members, accounts, balances and events (docs/tmf-mapping.md).

The programme itself (specification, product, rules, conditions, actions, event types) is tmf_programme_router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from telcocrm.api_deps import FieldsDep, PageDep, ReadSessionDep, SessionDep, current_viewer, oauth2_scheme, require
from telcocrm.customers.tmf_mapping import wanted_fields
from telcocrm.customers.tmf_router import merge_patch_only
from telcocrm.errors import Forbidden, InvalidInput, NotFound
from telcocrm.kit.tmf import error_body, page_response
from telcocrm.loyalty import ledger
from telcocrm.loyalty import tmf_queries as queries
from telcocrm.loyalty import tmf_service as service
from telcocrm.loyalty.tmf_mapping import LOYALTY_BASE, href, to_account, to_balance, to_event, to_member
from telcocrm.loyalty.tmf_programme_router import router as programme_router
from telcocrm.loyalty.tmf_requests import (
    EventCreateIn,
    MemberCreateIn,
    MemberPatchIn,
    burn_key,
    event_kind,
    member_status,
    parse_flags,
)
from telcocrm.models.enums import PointsAccountStatus
from telcocrm.staff.rules import Viewer

router = APIRouter(prefix=LOYALTY_BASE, tags=["TMF658 Loyalty"])
router.include_router(programme_router)


def require_any(*permissions: str) -> Callable[[Request, str | None], Awaitable[Viewer]]:
    """Let the request through if the viewer's role holds any one of the permissions."""

    async def check(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Viewer:
        viewer = current_viewer(request, token)
        if not any(viewer.may(p) for p in permissions):
            raise Forbidden(f"角色 {viewer.role.value} 无权限 {' / '.join(permissions)} / role may not do this")
        return viewer

    return check


Reader = Annotated[Viewer, Depends(require("loyalty:read"))]
Redeemer = Annotated[Viewer, Depends(require("loyalty:redeem"))]
MemberWriter = Annotated[Viewer, Depends(require_any("loyalty:redeem", "loyalty:admin"))]


# --- members -------------------------------------------------------------------------------------------------------


@router.get("/loyaltyProgramMember")
def list_members(
    db: ReadSessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
) -> list[dict[str, Any]]:
    """Members (customers with a points account) in the order they joined; filter by `status`."""
    offset, limit = page
    members, total = queries.member_page(
        db.connection(), offset=offset, limit=limit, status=member_status(status_filter)
    )
    wanted = wanted_fields(fields)
    return page_response([to_member(m, wanted) for m in members], total=total, offset=offset, response=response)


@router.get("/loyaltyProgramMember/{id}")
def get_member(db: ReadSessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One member by customer code."""
    return to_member(queries.member(db.connection(), id), wanted_fields(fields))


@router.post("/loyaltyProgramMember", status_code=status.HTTP_201_CREATED)
def enrol_member(db: SessionDep, viewer: MemberWriter, body: MemberCreateIn, response: Response) -> dict[str, Any]:
    """Enrol a customer (`relatedParty[0].id` = customer code): open the points account, flags as characteristics."""
    code = body.related_party[0].id
    service.enrol(db, viewer=viewer, code=code, flags=parse_flags(body.characteristic), name=body.name)
    member = queries.member(db.connection(), code)
    db.commit()
    response.headers["Location"] = href("loyaltyProgramMember", code)
    return to_member(member, None)


@router.patch("/loyaltyProgramMember/{id}", dependencies=[Depends(merge_patch_only)])
def patch_member(db: SessionDep, viewer: MemberWriter, id: str, body: MemberPatchIn) -> dict[str, Any]:
    """Set `optedIn` / `pointsSensitive` (characteristics) or the `status` (active / closed: loyalty:admin)."""
    if body.name is not None or body.related_party is not None:
        field = "name" if body.name is not None else "relatedParty"
        raise InvalidInput(f"{field} 只读 / read-only: it is the customer's (TMF629)", field=field)
    new_status = PointsAccountStatus(body.status) if body.status else None
    service.change_member(db, viewer=viewer, code=id, status=new_status, flags=parse_flags(body.characteristic))
    member = queries.member(db.connection(), id)
    db.commit()
    return to_member(member, None)


# --- accounts and balances ----------------------------------------------------------------------------------------


@router.get("/loyaltyAccount")
def list_accounts(
    db: ReadSessionDep, viewer: Reader, page: PageDep, response: Response, fields: FieldsDep = None
) -> list[dict[str, Any]]:
    """Points accounts with their balance, in the order opened."""
    offset, limit = page
    conn = db.connection()
    members, total = queries.member_page(conn, offset=offset, limit=limit)
    wanted = wanted_fields(fields)
    lots = queries.lots_by_account(conn, [m.account.id for m in members]) if _wants(wanted, "loyaltyBalance") else {}
    body = [to_account(m, lots.get(m.account.id, []), wanted) for m in members]
    return page_response(body, total=total, offset=offset, response=response)


@router.get("/loyaltyAccount/{id}")
def get_account(db: ReadSessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One points account by customer code, with its balance."""
    conn = db.connection()
    member = queries.member(conn, id)
    return to_account(
        member, queries.lots_by_account(conn, [member.account.id]).get(member.account.id, []), wanted_fields(fields)
    )


@router.get("/loyaltyBalance")
def list_balances(
    db: ReadSessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    member_id: Annotated[str | None, Query(alias="loyaltyProgramMember.id", description="customer code")] = None,
) -> list[dict[str, Any]]:
    """Balances (held, spendable, next expiry), one per member; filter by `loyaltyProgramMember.id`."""
    offset, limit = page
    conn = db.connection()
    if member_id is not None:
        found = [m for m in [_member_or_none(conn, member_id)] if m is not None]
        members, total = found[offset : offset + limit], len(found)
    else:
        members, total = queries.member_page(conn, offset=offset, limit=limit)
    lots = queries.lots_by_account(conn, [m.account.id for m in members])
    today, wanted = ledger.today(), wanted_fields(fields)
    body = [to_balance(m, lots.get(m.account.id, []), today, wanted) for m in members]
    return page_response(body, total=total, offset=offset, response=response)


@router.get("/loyaltyBalance/{id}")
def get_balance(db: ReadSessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One member's balance by customer code."""
    conn = db.connection()
    member = queries.member(conn, id)
    lots = queries.lots_by_account(conn, [member.account.id]).get(member.account.id, [])
    return to_balance(member, lots, ledger.today(), wanted_fields(fields))


def _member_or_none(conn: Any, code: str) -> queries.Member | None:
    try:
        return queries.member(conn, code)
    except NotFound:
        return None


def _wants(wanted: set[str] | None, name: str) -> bool:
    return wanted is None or name in wanted


# --- events --------------------------------------------------------------------------------------------------------


@router.get("/loyaltyEvent")
def list_events(
    db: ReadSessionDep,
    viewer: Reader,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    member_id: Annotated[str | None, Query(alias="memberId", description="customer code")] = None,
    account_id: Annotated[str | None, Query(alias="loyaltyAccount.id", description="customer code")] = None,
    event_type: Annotated[str | None, Query(alias="eventType")] = None,
    reference: Annotated[str | None, Query(alias="event.reference", max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Ledger entries in the order recorded; filter by member (or account), `eventType` and business reference."""
    offset, limit = page
    kind = event_kind(event_type)
    if member_id is not None and account_id is not None and member_id != account_id:
        return page_response([], total=0, offset=offset, response=response)
    events, total = queries.event_page(
        db.connection(),
        offset=offset,
        limit=limit,
        customer_code=member_id or account_id,
        kind=kind,
        reference=reference,
    )
    wanted = wanted_fields(fields)
    return page_response([to_event(e, wanted) for e in events], total=total, offset=offset, response=response)


@router.get("/loyaltyEvent/{id}")
def get_event(db: ReadSessionDep, viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One ledger entry by its id."""
    return to_event(queries.event(db.connection(), id), wanted_fields(fields))


@router.post("/loyaltyEvent", status_code=status.HTTP_201_CREATED)
def burn_points(
    db: SessionDep,
    viewer: Redeemer,
    body: EventCreateIn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> dict[str, Any]:
    """Spend points (a burn event); the same idempotency key again spends nothing more and answers the same."""
    key = burn_key(idempotency_key, body.event.idempotency_key)
    code = body.member_id
    entries = service.burn(
        db, viewer=viewer, code=code, points=body.event.points, key=key, reference=body.event.reference
    )
    db.commit()
    first = queries.Event(entries[0], code)
    response.headers["Location"] = href("loyaltyEvent", str(first.entry.id))
    return to_event(first, None)


def _refuse(allow: str, message: str) -> Callable[[], JSONResponse]:
    """A 405 endpoint in the TMF error form."""

    def method_not_allowed() -> JSONResponse:
        body = error_body(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", message)
        return JSONResponse(status_code=405, content=body, headers={"Allow": allow})

    return method_not_allowed


APPEND_ONLY = "只追加，不修改 / entries are appended, never changed (a correction is a reversal)"
FOLLOWS_MEMBER = "随会员开立 / opened with the member: POST /loyaltyProgramMember"
CLOSE_BY_PATCH = "请用 PATCH status=closed 关闭 / close a member with PATCH status closed"
for collection in ("loyaltyAccount", "loyaltyBalance"):
    router.add_api_route(f"/{collection}", _refuse("GET", FOLLOWS_MEMBER), methods=["POST"], include_in_schema=False)
    router.add_api_route(
        f"/{collection}/{{id}}",
        _refuse("GET", FOLLOWS_MEMBER),
        methods=["PATCH", "PUT", "DELETE"],
        include_in_schema=False,
    )
router.add_api_route(
    "/loyaltyEvent/{id}", _refuse("GET", APPEND_ONLY), methods=["PATCH", "PUT", "DELETE"], include_in_schema=False
)
router.add_api_route(
    "/loyaltyProgramMember/{id}",
    _refuse("GET, PATCH", CLOSE_BY_PATCH),
    methods=["PUT", "DELETE"],
    include_in_schema=False,
)
