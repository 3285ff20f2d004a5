"""Dependencies shared by every route: the database session, the viewer, the permission check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from telcocrm.db.engine import session_factory
from telcocrm.errors import Forbidden, NotAuthenticated
from telcocrm.kit.tmf import DEFAULT_LIMIT, MAX_LIMIT
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer, viewer_for
from telcocrm.staff.service import viewer_from_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; the route commits before it returns, anything left is rolled back."""
    session = session_factory(request.app.state.engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]


def current_viewer(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Viewer:
    """The staff member behind the request: bearer token for the API, session cookie for the web."""
    if token:
        return viewer_from_token(token)
    user = request.session.get("staff") if "session" in request.scope else None
    if user:
        return viewer_for(user["username"], StaffRole(user["role"]))
    raise NotAuthenticated("请先登录 / log in first")


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def require(permission: str) -> Callable[[Viewer], Viewer]:
    """A dependency that lets the request through only if the viewer's role holds the permission."""

    def check(viewer: ViewerDep) -> Viewer:
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
