"""The two most requested reads, answered before the framework on PostgreSQL: TMF629 GET customer and the 360 view.

Every counter and call-centre screen opens a customer with one of these two GETs. On a slow core, FastAPI's
routing, dependency resolution and thread-pool hop, and SQLAlchemy's per-execution machinery, cost several
times what the reads themselves cost (docs/benchmarks.md § HTTP load). This ASGI middleware answers exactly
those two GETs when they carry a bearer token that may read customers: it runs the routes' own read plans
(`one_customer_plan`, `view_plan`) on psycopg's asynchronous connections (db/async_reads.py), the routes' own
presentation and audit record, and writes the same bytes the routes would. Anything else — another path or
method, a query parameter it does not know, a session cookie, a token that fails, a customer not found, any
error — goes on to the application untouched, so every refusal and error body still has one source.

It is active only while the application runs with its lifespan on PostgreSQL (the reader is opened there);
on SQLite, and under a test client without its lifespan, the routes answer everything.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from pydantic_core import to_json
from starlette.types import ASGIApp, Receive, Scope, Send

from telcocrm.customers import present
from telcocrm.customers.repository import view_plan
from telcocrm.customers.tmf_mapping import CUSTOMER_BASE, one_customer_plan, to_customer, wanted_fields, wants
from telcocrm.db.async_reads import AsyncReader
from telcocrm.db.read_plans import ReadPlan
from telcocrm.errors import TelcoError
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer
from telcocrm.staff.service import viewer_from_token

READ_PERMISSION = "customer:read"  # the permission both routes require
_TMF_CUSTOMER = re.compile(re.escape(CUSTOMER_BASE) + r"/([^/]+)")
_VIEW_360 = re.compile(r"/api/customers/([^/]+)/view")


class HotReads:
    """ASGI middleware: serves the two hot GETs itself when it can, hands everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await self._answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> bytes | None:
        """The response body, or None when the application should answer."""
        reader: AsyncReader | None = getattr(scope["app"].state, "async_reader", None)
        viewer = _viewer(scope) if reader is not None else None
        if reader is None or viewer is None:
            return None
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        try:
            if (found := _TMF_CUSTOMER.fullmatch(scope["path"])) and all(key == "fields" for key, _ in query):
                fields = query[-1][1] if query else None
                return await _tmf_customer(reader, viewer, found.group(1), fields)
            if (found := _VIEW_360.fullmatch(scope["path"])) and not query:
                return await _view_360(reader, viewer, found.group(1))
        except TelcoError:
            return None  # not found, merge chain too long, bad fields…: the route says so in its own words
        return None


def _viewer(scope: Scope) -> Viewer | None:
    """The staff member of a valid bearer token who may read customers; None for anything else."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None
            try:
                viewer = viewer_from_token(token)
            except TelcoError:
                return None
            return viewer if viewer.may(READ_PERMISSION) else None
    return None


async def _tmf_customer(reader: AsyncReader, viewer: Viewer, code: str, fields: str | None) -> bytes:
    """What GET /tmf-api/customerManagement/v4/customer/{id} answers (customers/tmf_router.py `get_customer`)."""
    wanted = wanted_fields(fields)
    plan = one_customer_plan(code, accounts=wants(wanted, "account"), relations=wants(wanted, "relatedParty"))
    data = await reader.run(plan)
    seen: set[str] = set()
    body = to_customer(viewer, data, seen, wanted)
    await _audit(reader, viewer, data.customer.code, seen)
    return to_json(body)


async def _view_360(reader: AsyncReader, viewer: Viewer, code: str) -> bytes:
    """What GET /api/customers/{code}/view answers (customers/router.py `customer_360`)."""
    view = await reader.run(view_plan(code))
    seen: set[str] = set()
    body = present.view_360(viewer, view, seen)
    await _audit(reader, viewer, view.customer.code, seen)
    return to_json(body)


async def _audit(reader: AsyncReader, viewer: Viewer, code: str, seen: set[str]) -> None:
    """The audit record of an unmasked view (audit.record_unmasked_view), committed by itself (autocommit)."""
    if seen:
        params = audit.entry_params(viewer, "view_unmasked", "customer", code, sorted(seen))
        await reader.run(_statement(audit.entry_statement(), params))


def _statement(statement: Any, params: dict[str, Any]) -> ReadPlan[None]:
    """A plan of one statement whose rows are not needed."""
    yield statement, params
