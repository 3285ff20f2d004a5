"""The TM Forum REST conventions (TMF630): error body, `fields=`, `offset`/`limit`, result headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from telcocrm.errors import TelcoError

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
ALWAYS_RETURNED = ("id", "href", "@type")


def error_body(
    status: int, code: str, reason: str, message: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """The TMF Error resource; `referenceError` names the field at fault when there is one."""
    body: dict[str, Any] = {"code": code, "reason": reason, "status": str(status), "@type": "Error"}
    if message:
        body["message"] = message
    if field:
        body["referenceError"] = field
    return body


async def telco_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Map a business error to its status and the TMF error body."""
    assert isinstance(exc, TelcoError)
    message = f"{exc.field}: {exc.message}" if exc.field else exc.message
    return JSONResponse(
        status_code=exc.status, content=error_body(exc.status, exc.code, exc.message, message, exc.field)
    )


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """A malformed payload: 422 with the TMF error body naming the first field at fault."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or None
    details = "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in errors)
    return JSONResponse(status_code=422, content=error_body(422, "INVALID_BODY", str(first["msg"]), details, field))


def select_fields(resource: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Keep only the attributes named in `fields=` (comma separated), plus id, href and @type."""
    if not fields:
        return resource
    wanted = {f.strip() for f in fields.split(",") if f.strip()} | set(ALWAYS_RETURNED)
    return {k: v for k, v in resource.items() if k in wanted}


def page_response(items: list[dict[str, Any]], *, total: int, offset: int, response: Response) -> list[dict[str, Any]]:
    """Set X-Total-Count / X-Result-Count, and 206 when the page is only part of the result."""
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(items))
    if offset + len(items) < total or offset > 0:
        response.status_code = 206
    return items


def clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop attributes that are None or empty lists, as TMF responses do."""
    return {k: v for k, v in resource.items() if v is not None and v != []}
