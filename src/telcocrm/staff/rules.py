"""Pure access rules: roles from `roles.toml`, the viewer of a request, and masking of personal data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from telcocrm.models.enums import StaffRole

ROLES_FILE = Path(__file__).with_name("roles.toml")
PII_KINDS = ("certificate", "phone", "address")


@dataclass(frozen=True)
class RoleGrant:
    """What one role may do and see."""

    permissions: frozenset[str]
    unmasked: frozenset[str]
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Viewer:
    """The staff member behind a request, with the grants of their role."""

    username: str
    role: StaffRole
    grant: RoleGrant

    def may(self, permission: str) -> bool:
        """Whether the role holds the permission."""
        return permission in self.grant.permissions

    def sees(self, pii_kind: str) -> bool:
        """Whether the role sees this kind of personal data unmasked."""
        return pii_kind in self.grant.unmasked


@lru_cache(maxsize=1)
def role_grants() -> dict[StaffRole, RoleGrant]:
    """The grants of every role, read once from the rules file."""
    data = tomllib.loads(ROLES_FILE.read_text(encoding="utf-8"))
    grants = {}
    for name, spec in data["roles"].items():
        grants[StaffRole(name)] = RoleGrant(
            permissions=frozenset(spec["permissions"]),
            unmasked=frozenset(spec["unmasked"]),
            label_zh=spec["label"]["zh"],
            label_en=spec["label"]["en"],
        )
    missing = set(StaffRole) - set(grants)
    if missing:
        raise ValueError(f"{ROLES_FILE}: no grants for roles {sorted(missing)}")
    return grants


def viewer_for(username: str, role: StaffRole) -> Viewer:
    """The viewer for a logged-in staff member."""
    return Viewer(username=username, role=role, grant=role_grants()[role])


def mask_certificate(number: str) -> str:
    """`110105********1234`: region and last four stay, the birth date and serial are hidden."""
    if len(number) >= 10:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return number[:2] + "*" * (len(number) - 4) + number[-2:]
    return "*" * len(number)


def mask_phone(number: str) -> str:
    """`138****5678`: the operator prefix and last four stay."""
    digits = number.replace("-", "")
    if len(digits) >= 8:
        return digits[:3] + "****" + digits[-4:]
    return "*" * len(digits)


def mask_address(address: str) -> str:
    """Keep the province and city (the first six characters), hide the street and number."""
    if len(address) <= 6:
        return "****"
    return address[:6] + "****"


_MASKERS = {"certificate": mask_certificate, "phone": mask_phone, "address": mask_address}


def shown(viewer: Viewer, pii_kind: str, value: str | None, seen: set[str]) -> str | None:
    """The value as this viewer may see it; records in `seen` each kind shown unmasked (for the audit)."""
    if value is None or value == "":
        return value
    if viewer.sees(pii_kind):
        seen.add(pii_kind)
        return value
    return _MASKERS[pii_kind](value)


def system_viewer(job: str = "system") -> Viewer:
    """The identity of a batch job or CLI command, recorded as the actor of what it changes."""
    return viewer_for(job, StaffRole.ADMINISTRATOR)
