"""The FastAPI application: API, TMF resources and the staff web workbench in one process."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from telcocrm import __version__, hot_reads
from telcocrm.config import get_settings
from telcocrm.db.engine import get_engine
from telcocrm.errors import TelcoError
from telcocrm.kit.tmf import error_body, telco_error_handler, validation_error_handler


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(exc.status_code, "HTTP_ERROR", str(exc.detail)),
        headers=getattr(exc, "headers", None),
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the thread pool the routes run in (see Settings.worker_threads); open the hot reads' connections."""
    settings = get_settings()
    to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    # What is alive at start-up (models, routes, compiled statements) lives as long as the process: frozen, the
    # garbage collector's full passes no longer walk it, which shortens their pauses under load (the p99).
    gc.collect()
    gc.freeze()
    engine: Engine = app.state.engine
    if not (settings.hot_reads and engine.dialect.name == "postgresql"):
        yield
        return
    from telcocrm.db.async_reads import AsyncReader

    reader = AsyncReader(engine, size=settings.worker_threads)
    app.state.async_reader = reader
    try:
        yield
    finally:
        app.state.async_reader = None
        await reader.close()


class TelcoApp(FastAPI):
    """The application; the two hot GETs are answered before FastAPI's middleware stack (telcocrm/hot_reads.py).

    In front of every middleware, not as one of them: Starlette's error and FastAPI's telemetry and body-limit
    layers wrap each request and each `send`, which cost a TMF GET about a sixth of the server's CPU on top of
    its own work (docs/benchmarks.md § HTTP load).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await hot_reads.answer(self.state, scope, send):
            await super().__call__(scope, receive, send)


def create_app(engine: Engine | None = None) -> FastAPI:
    """Build the application on the given engine (default: the configured database)."""
    settings = get_settings()
    app = TelcoApp(
        title="telcocrm",
        version=__version__,
        description="Customer base management and retention",
        lifespan=_lifespan,
    )
    app.state.engine = engine or get_engine()
    app.add_middleware(
        SessionMiddleware, secret_key=settings.secret_key, same_site="lax", session_cookie="telcocrm_session"
    )
    app.add_exception_handler(TelcoError, telco_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from telcocrm.accounts.tmf_router import router as account_router
    from telcocrm.churn.router import router as churn_records_router
    from telcocrm.customers.router import router as customer_router
    from telcocrm.customers.tmf_router import router as tmf_customer_router
    from telcocrm.loyalty.router import router as loyalty_api_router
    from telcocrm.loyalty.tmf_router import router as loyalty_router
    from telcocrm.party.tmf_router import router as party_router
    from telcocrm.staff.router import router as staff_router
    from telcocrm.web.churn_pages import router as churn_pages_router
    from telcocrm.web.churn_report_pages import router as churn_report_pages_router
    from telcocrm.web.loyalty_pages import router as loyalty_pages_router
    from telcocrm.web.router import router as web_router

    # Routes are matched in order: the most requested first.
    for router in (
        customer_router,
        tmf_customer_router,
        party_router,
        account_router,
        loyalty_router,
        loyalty_api_router,
        staff_router,
        web_router,
        loyalty_pages_router,
        churn_records_router,
        churn_pages_router,
        churn_report_pages_router,
    ):
        app.include_router(router)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}
