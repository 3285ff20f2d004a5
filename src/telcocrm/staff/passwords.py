"""Argon2 password hashing for staff and customer passwords."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of the password (salted; never store the password itself)."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
