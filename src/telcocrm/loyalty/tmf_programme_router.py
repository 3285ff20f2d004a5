"""TMF658 v4, the programme (read only): its specification, the product, rules, conditions, actions, event types.

All of it is the [loyalty] section of the versioned rules file (loyalty/tmf_rules.py); change the file, not the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from telcocrm.api_deps import FieldsDep, PageDep, ReadSessionDep, require
from telcocrm.customers.tmf_mapping import wanted_fields
from telcocrm.errors import NotFound
from telcocrm.jobs.rules import load_rules
from telcocrm.kit.tmf import error_body, page_response
from telcocrm.loyalty.tmf_mapping import (
    to_action,
    to_condition,
    to_event_type,
    to_product,
    to_product_spec,
    to_rule,
)
from telcocrm.loyalty.tmf_rules import EVENT_TYPES, PROGRAMME_ID, Catalogue, burn_actions, catalogue
from telcocrm.staff.rules import Viewer

router = APIRouter(tags=["TMF658 Loyalty"])  # included by tmf_router under LOYALTY_BASE
Reader = Annotated[Viewer, Depends(require("loyalty:read"))]
T = TypeVar("T")
Make = Callable[[T, set[str] | None], dict[str, Any]]


def current_catalogue(db: ReadSessionDep) -> Catalogue:
    """The rules of the current rules file, with the burn actions registered today."""
    rules = load_rules()
    return catalogue(rules.loyalty, rules.rules_version, burn_actions(db))


CatalogueDep = Annotated[Catalogue, Depends(current_catalogue)]


def _page(items: Sequence[T], make: Make[T], page: tuple[int, int], fields: str | None, response: Response) -> Any:
    offset, limit = page
    wanted = wanted_fields(fields)
    body = [make(item, wanted) for item in items[offset : offset + limit]]
    return page_response(body, total=len(items), offset=offset, response=response)


def _one(found: Mapping[str, T], id: str, what: str) -> T:
    if id not in found:
        raise NotFound(f"{what} {id} 不存在 / {what} {id} not found", field="id", record=id)
    return found[id]


@router.get("/loyaltyProgramProductSpec")
def list_product_specs(viewer: Reader, page: PageDep, response: Response, fields: FieldsDep = None) -> Any:
    """The programme's specification: the rules file and its version."""
    rules = load_rules()
    return _page(
        [PROGRAMME_ID], lambda _, w: to_product_spec(rules.loyalty, rules.rules_version, w), page, fields, response
    )


@router.get("/loyaltyProgramProductSpec/{id}")
def get_product_spec(viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """The programme's specification."""
    rules = load_rules()
    _one({PROGRAMME_ID: PROGRAMME_ID}, id, "loyaltyProgramProductSpec")
    return to_product_spec(rules.loyalty, rules.rules_version, wanted_fields(fields))


@router.get("/loyaltyProgramProduct")
def list_products(
    viewer: Reader, rules: CatalogueDep, page: PageDep, response: Response, fields: FieldsDep = None
) -> Any:
    """The one points programme."""
    loyalty = load_rules().loyalty
    return _page([rules], lambda c, w: to_product(c, loyalty, w), page, fields, response)


@router.get("/loyaltyProgramProduct/{id}")
def get_product(viewer: Reader, rules: CatalogueDep, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """The points programme, its rules referenced."""
    _one({PROGRAMME_ID: PROGRAMME_ID}, id, "loyaltyProgramProduct")
    return to_product(rules, load_rules().loyalty, wanted_fields(fields))


@router.get("/loyaltyRule")
def list_rules(
    viewer: Reader,
    rules: CatalogueDep,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    usage: Annotated[Literal["earn", "burn", "expire"] | None, Query()] = None,
) -> Any:
    """The earn rules, the expiry rule and the burn rule; filter by `usage`."""
    chosen = [rule for rule in rules.rules if usage is None or rule.usage == usage]
    return _page(chosen, to_rule, page, fields, response)


@router.get("/loyaltyRule/{id}")
def get_rule(viewer: Reader, rules: CatalogueDep, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One rule with references to its conditions, actions and event types."""
    return to_rule(_one({r.id: r for r in rules.rules}, id, "loyaltyRule"), wanted_fields(fields))


@router.get("/loyaltyCondition")
def list_conditions(
    viewer: Reader, rules: CatalogueDep, page: PageDep, response: Response, fields: FieldsDep = None
) -> Any:
    """Every condition of every rule."""
    return _page(list(rules.conditions.values()), to_condition, page, fields, response)


@router.get("/loyaltyCondition/{id}")
def get_condition(viewer: Reader, rules: CatalogueDep, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One condition."""
    return to_condition(_one(rules.conditions, id, "loyaltyCondition"), wanted_fields(fields))


@router.get("/loyaltyAction")
def list_actions(
    viewer: Reader,
    rules: CatalogueDep,
    page: PageDep,
    response: Response,
    fields: FieldsDep = None,
    action_type: Annotated[Literal["earn", "burn", "expire"] | None, Query(alias="actionType")] = None,
) -> Any:
    """Every action of every rule; filter by `actionType`."""
    chosen = [a for a in rules.actions.values() if action_type is None or a.action_type == action_type]
    return _page(chosen, lambda a, w: to_action(a, rules.version, w), page, fields, response)


@router.get("/loyaltyAction/{id}")
def get_action(viewer: Reader, rules: CatalogueDep, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One action."""
    return to_action(_one(rules.actions, id, "loyaltyAction"), rules.version, wanted_fields(fields))


@router.get("/loyaltyEventType")
def list_event_types(viewer: Reader, page: PageDep, response: Response, fields: FieldsDep = None) -> Any:
    """The events that trigger rules: the monthly run, a burn, the expiry job."""
    return _page(list(EVENT_TYPES.items()), lambda t, w: to_event_type(*t, w), page, fields, response)


@router.get("/loyaltyEventType/{id}")
def get_event_type(viewer: Reader, id: str, fields: FieldsDep = None) -> dict[str, Any]:
    """One event type."""
    return to_event_type(id, _one(EVENT_TYPES, id, "loyaltyEventType"), wanted_fields(fields))


def method_not_allowed() -> JSONResponse:
    """405 in the TMF error form: the programme is the versioned rules file, changed by a new file."""
    message = "积分规则来自规则文件 / read-only: the programme is the [loyalty] section of the rules file"
    return JSONResponse(
        status_code=405,
        content=error_body(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", message),
        headers={"Allow": "GET"},
    )


READ_ONLY = ("loyaltyProgramProductSpec", "loyaltyProgramProduct", "loyaltyRule", "loyaltyCondition", "loyaltyAction")
for collection in (*READ_ONLY, "loyaltyEventType"):
    router.add_api_route(f"/{collection}", method_not_allowed, methods=["POST"], include_in_schema=False)
    router.add_api_route(
        f"/{collection}/{{id}}", method_not_allowed, methods=["PATCH", "PUT", "DELETE"], include_in_schema=False
    )
