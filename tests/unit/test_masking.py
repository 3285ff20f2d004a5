"""Masking of personal data by role."""

from __future__ import annotations

from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import mask_address, mask_certificate, mask_phone, role_grants, shown, viewer_for


def test_certificate_mask_keeps_region_and_last_four() -> None:
    assert mask_certificate("110105194912310021") == "110105********0021"


def test_phone_mask_keeps_prefix_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_address_mask_keeps_province_and_city() -> None:
    assert mask_address("广东省广州市天河区体育西路123号") == "广东省广州市****"


def test_every_role_has_grants() -> None:
    assert set(role_grants()) == set(StaffRole)


def test_store_clerk_sees_masked_and_nothing_is_recorded_as_seen() -> None:
    seen: set[str] = set()
    clerk = viewer_for("clerk", StaffRole.STORE_CLERK)
    assert shown(clerk, "certificate", "110105194912310021", seen) == "110105********0021"
    assert seen == set()


def test_administrator_sees_in_full_and_it_is_recorded() -> None:
    seen: set[str] = set()
    admin = viewer_for("root", StaffRole.ADMINISTRATOR)
    assert shown(admin, "phone", "13812345678", seen) == "13812345678"
    assert seen == {"phone"}
