"""The two reads that open a customer, each written once from its statements to its response bytes.

TMF629 GET customer (customers/tmf_router.py) and the 360 view (customers/router.py) are also answered on
PostgreSQL by the hot reads (telcocrm/hot_reads.py), before the framework. Both run these plans: the routes with
`run_plan` on their session's connection, the hot reads with `AsyncReader.run`; so the reads, the masking, the
audit record of an unmasked view and the bytes cannot drift apart.
"""

from __future__ import annotations

from pydantic_core import to_json

from telcocrm.customers import present
from telcocrm.customers.repository import view_plan
from telcocrm.customers.tmf_mapping import one_customer_plan, to_customer, wanted_fields, wants
from telcocrm.db.read_plans import ReadPlan
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer


def tmf_customer(viewer: Viewer, code: str, fields: str | None) -> ReadPlan[bytes]:
    """GET /tmf-api/customerManagement/v4/customer/{code}: the Customer as the viewer may see it, audited."""
    wanted = wanted_fields(fields)
    data = yield from one_customer_plan(
        code, accounts=wants(wanted, "account"), relations=wants(wanted, "relatedParty")
    )
    seen: set[str] = set()
    body = to_customer(viewer, data, seen, wanted)
    yield from audit.unmasked_view(viewer, "customer", data.customer.code, seen)
    return to_json(body)


def view_360(viewer: Viewer, code: str) -> ReadPlan[bytes]:
    """GET /api/customers/{code}/view: the 360 view as the viewer may see it, audited."""
    view = yield from view_plan(code)
    seen: set[str] = set()
    body = present.view_360(viewer, view, seen)
    yield from audit.unmasked_view(viewer, "customer", view.customer.code, seen)
    return to_json(body)
