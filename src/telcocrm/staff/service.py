"""Staff users: creation, login with lock-out, bearer tokens."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcocrm.config import get_settings
from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, Locked, NotAuthenticated
from telcocrm.models import StaffUser
from telcocrm.models.enums import StaffRole
from telcocrm.staff.passwords import hash_password, verify_password
from telcocrm.staff.rules import Viewer, viewer_for

MIN_PASSWORD_LENGTH = 8
TOKEN_ALGORITHM = "HS256"
VERIFIED_TOKENS = 4096  # bearer tokens whose signature was checked, kept so the check runs once per token


def create_staff(
    *, db: Session, username: str, role: StaffRole, password: str, display_name: str | None = None
) -> StaffUser:
    """Create a staff user; the password is stored only as an Argon2 hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"密码至少{MIN_PASSWORD_LENGTH}位 / password needs at least {MIN_PASSWORD_LENGTH} characters",
            field="password",
        )
    if db.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise Conflict(f"工号已存在 / staff user {username} exists", field="username")
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
    )
    db.add(user)
    db.flush()
    return user


def login(*, db: Session, username: str, password: str, now: datetime | None = None) -> StaffUser:
    """The staff user for these credentials; failures count, and too many lock the login for a while."""
    settings = get_settings()
    now = now or utc_now()
    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise NotAuthenticated("用户名或密码错误 / wrong username or password", field="username")
    if user.locked_until and user.locked_until > now:
        raise Locked("登录已锁定，请稍后再试 / login locked, try again later", field="username")
    if not verify_password(user.password_hash, password):
        user.failed_login_count += 1
        if user.failed_login_count >= settings.auth_max_failures:
            user.locked_until = now + timedelta(minutes=settings.auth_lock_minutes)
            user.failed_login_count = 0
        db.flush()
        raise NotAuthenticated("用户名或密码错误 / wrong username or password", field="password")
    user.failed_login_count = 0
    user.locked_until = None
    db.flush()
    return user


def issue_token(user: StaffUser, *, now: datetime | None = None) -> str:
    """A signed bearer token naming the staff member and role, valid for one working day."""
    settings = get_settings()
    now = now or utc_now()
    claims = {
        "sub": user.username,
        "role": user.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.token_minutes)).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=TOKEN_ALGORITHM)


def viewer_from_token(token: str) -> Viewer:
    """The viewer a bearer token stands for, or NotAuthenticated if it is forged or expired."""
    try:
        viewer, expires = _verified(token, get_settings().secret_key)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise NotAuthenticated("登录已失效 / invalid or expired token") from exc
    if expires <= time.time():
        raise NotAuthenticated("登录已失效 / invalid or expired token")
    return viewer


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(token: str, secret: str) -> tuple[Viewer, float]:
    """The viewer of a token whose signature and claims check out, and when it expires.

    A client sends the same token with every request: its signature is checked once (the cache is keyed by
    the token and the secret, and failures are not cached); expiry is checked on every use by the caller.
    """
    claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM])
    return viewer_for(claims["sub"], StaffRole(claims["role"])), float(claims.get("exp", math.inf))
