"""Dependencies shared by every route: the database session, the viewer, the permission check.

They do no blocking I/O, so they run on the event loop: FastAPI would otherwise send each one to the thread
pool and back, which costs more than the work itself. Only the route (and a rollback, when one is due) runs
in the thread pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from telcocrm.db.engine import read_session_factory, session_factory
from telcocrm.errors import Forbidden, NotAuthenticated
from telcocrm.kit.tmf import DEFAULT_LIMIT, MAX_LIMIT
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer, viewer_for
from telcocrm.staff.service import viewer_from_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request; the route commits before it returns, anything left is rolled back."""
    async with _closing(session_factory(request.app.state.engine)()) as session:
        yield session


async def get_read_db(request: Request) -> AsyncIterator[Session]:
    """A session for a route that reads (and at most appends an audit record): see `read_session_factory`."""
    async with _closing(read_session_factory(request.app.state.engine)()) as session:
        yield session


@asynccontextmanager
async def _closing(session: Session) -> AsyncIterator[Session]:
    """Close the session after the request, on the event loop when that does no I/O.

    Opening a session touches no connection, nor does closing one without a transaction; a session left
    inside a transaction (the route failed, or never committed) is rolled back in the thread pool.
    """
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(_discard, session)
        else:
            session.close()


def _discard(session: Session) -> None:
    session.rollback()
    session.close()


SessionDep = Annotated[Session, Depends(get_db)]
ReadSessionDep = Annotated[Session, Depends(get_read_db)]


def current_viewer(request: Request, token: str | None) -> Viewer:
    """The staff member behind the request: bearer token for the API, session cookie for the web."""
    if token:
        return viewer_from_token(token)
    user = request.session.get("staff") if "session" in request.scope else None
    if user:
        return viewer_for(user["username"], StaffRole(user["role"]))
    raise NotAuthenticated("请先登录 / log in first")


def require(permission: str) -> Callable[[Request, str | None], Awaitable[Viewer]]:
    """A dependency that lets the request through only if the viewer's role holds the permission."""

    async def check(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Viewer:
        viewer = current_viewer(request, token)
        if not viewer.may(permission):
            raise Forbidden(f"角色 {viewer.role.value} 无权限 {permission} / role may not {permission}")
        return viewer

    return check


def page_params(
    offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
) -> tuple[int, int]:
    """TMF `offset` and `limit`."""
    return offset, limit


PageDep = Annotated[tuple[int, int], Depends(page_params)]
FieldsDep = Annotated[str | None, Query(description="comma-separated attributes to return")]
