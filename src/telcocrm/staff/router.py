"""Staff login for the API (`POST /auth/token`) and the audit trail for administrators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.security import OAuth2PasswordRequestForm

from telcocrm.api_deps import SessionDep, require
from telcocrm.errors import TelcoError
from telcocrm.kit.timefmt import local_iso
from telcocrm.staff import audit, service
from telcocrm.staff.rules import Viewer

router = APIRouter(tags=["staff"])


@router.post("/auth/token")
def issue_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: SessionDep) -> dict[str, Any]:
    """Log in with username and password; returns a bearer token for one working day."""
    try:
        user = service.login(db=db, username=form.username, password=form.password)
    except TelcoError:
        db.commit()  # the failure count must stick even though the login fails
        raise
    db.commit()
    return {"access_token": service.issue_token(user), "token_type": "bearer", "role": user.role.value}


@router.get("/audit")
def audit_trail(
    db: SessionDep,
    viewer: Annotated[Viewer, Depends(require("audit:read"))],
    actor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Who saw which unmasked personal data and who changed what, newest first."""
    return [
        {
            "at": local_iso(r.at),
            "actor": r.actor,
            "role": r.role,
            "action": r.action,
            "resourceType": r.resource_type,
            "resourceId": r.resource_id,
            "fields": r.fields,
            "detail": r.detail,
        }
        for r in audit.recent(db=db, limit=limit, actor=actor)
    ]
