"""The two most requested reads, answered before the framework on PostgreSQL: TMF629 GET customer and the 360 view.

Every counter and call-centre screen opens a customer with one of these two GETs. On a slow core, FastAPI's
routing, dependency resolution and thread-pool hop, and SQLAlchemy's per-execution machinery, cost several
times what the reads themselves cost (docs/benchmarks.md § HTTP load). The application (app.TelcoApp) asks
`answer` first, before any middleware; it answers exactly those two GETs when they carry a bearer token that
may read customers: it runs the routes' own plans (customers/responses.py: the reads, the presentation, the
audit record of an unmasked view, the bytes) on asyncpg's connections (db/async_reads.py), so it sends the
bytes the routes would.
Anything else — another path or method, a query parameter it does not know, a session cookie, a token that
fails, a customer not found, any error — goes on to the application untouched, so every refusal and error
body still has one source.

It is active only while the application runs with its lifespan on PostgreSQL (the reader is opened there);
on SQLite, and under a test client without its lifespan, the routes answer everything.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.datastructures import State
from starlette.types import Scope, Send

from telcocrm.customers import responses
from telcocrm.customers.tmf_mapping import CUSTOMER_BASE
from telcocrm.db.async_reads import AsyncReader
from telcocrm.errors import TelcoError
from telcocrm.staff.rules import Viewer
from telcocrm.staff.service import viewer_from_token

READ_PERMISSION = "customer:read"  # the permission both routes require
_TMF_CUSTOMER = re.compile(re.escape(CUSTOMER_BASE) + r"/([^/]+)")
_VIEW_360 = re.compile(r"/api/customers/([^/]+)/view")


async def answer(state: State, scope: Scope, send: Send) -> bool:
    """Answer the request when it is one of the two hot GETs and the reads can serve it; False otherwise."""
    body = await _body(state, scope) if scope["type"] == "http" and scope["method"] == "GET" else None
    if body is None:
        return False
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return True


async def _body(state: State, scope: Scope) -> bytes | None:
    """The response body, or None when the application should answer."""
    reader: AsyncReader | None = getattr(state, "async_reader", None)
    viewer = _viewer(scope) if reader is not None else None
    if reader is None or viewer is None:
        return None
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    try:
        if (found := _TMF_CUSTOMER.fullmatch(scope["path"])) and all(key == "fields" for key, _ in query):
            fields = query[-1][1] if query else None
            return await reader.run(responses.tmf_customer(viewer, found.group(1), fields))
        if (found := _VIEW_360.fullmatch(scope["path"])) and not query:
            return await reader.run(responses.view_360(viewer, found.group(1)))
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
