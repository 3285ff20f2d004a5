"""Segmentation attributes as TMF629 Customer characteristics: read, and written by merge-patch."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer
from tests.factories import make_person

BASE = "/tmf-api/customerManagement/v4/customer"
Headers = Callable[[StaffRole], dict[str, str]]
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def test_a_merge_patch_sets_income_band_and_home_business_and_reads_them_back(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person = make_person(db, admin)
    db.commit()
    headers = staff_headers(StaffRole.ACCOUNT_MANAGER)
    patch = {
        "characteristic": [
            {"name": "incomeBand", "value": "3k_to_8k"},
            {"name": "homeBusiness", "value": True},
            {"name": "occupation", "value": "个体经营者"},
        ]
    }
    reply = client.patch(f"{BASE}/{person.code}", content=json.dumps(patch), headers=headers | MERGE_PATCH)
    assert reply.status_code == 200, reply.text
    again = client.get(f"{BASE}/{person.code}", headers=headers).json()
    found = {c["name"]: (c["value"], c["valueType"]) for c in again["characteristic"]}
    assert found["incomeBand"] == ("3k_to_8k", "string")
    assert found["homeBusiness"] == (True, "boolean") and found["strategic"] == (False, "boolean")
    assert "organisationCategory" not in found  # not given: no characteristic


def test_an_unknown_income_band_or_an_organisation_attribute_on_a_person_is_refused(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person = make_person(db, admin)
    db.commit()
    headers = staff_headers(StaffRole.ACCOUNT_MANAGER) | MERGE_PATCH
    bad_band = {"characteristic": [{"name": "incomeBand", "value": "rich"}]}
    reply = client.patch(f"{BASE}/{person.code}", content=json.dumps(bad_band), headers=headers)
    assert reply.status_code == 400 and "incomeBand" in reply.text
    organisation_only = {"characteristic": [{"name": "decisionScope", "value": "national"}]}
    reply = client.patch(f"{BASE}/{person.code}", content=json.dumps(organisation_only), headers=headers)
    assert reply.status_code == 400 and "only for organisations" in reply.text
