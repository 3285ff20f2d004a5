"""The columns of the customer import file (docs/data-contract.md): names, groups, limits."""

from __future__ import annotations

# Customer: repeated on every row of the customer and must agree.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_code",
    "customer_kind",
    "customer_name",
    "joined_date",
    "cert_type",
    "cert_number",
    "cert_address",
    "contact_phone",
    "province",
    "city",
    "contact_address",
    # Segmentation attributes (brief §2): the first three for organisations, income_band for persons only.
    "organisation_category",
    "industry",
    "decision_scope",
    "strategic",
    "home_business",
    "occupation",
    "income_band",
)
# Billing account: repeated on every row of the account and must agree.
ACCOUNT_COLUMNS: tuple[str, ...] = ("account_type", "account_name", "parent_account_ref", "payment_method")
# Subscriber: one per row.
SUBSCRIBER_COLUMNS: tuple[str, ...] = (
    "subscriber_id",
    "product",
    "service_number",
    "install_address",
    "ownership_type",
    "subscriber_status",
    "activated_date",
    "terminated_date",
    "contract_end_date",
    "channel_code",
    "staff_code",
    "brand",
)
RELATION_COLUMNS: tuple[str, ...] = ("related_customer_ref", "relation_type")

COLUMNS: tuple[str, ...] = (
    "customer_ref",
    *CUSTOMER_COLUMNS,
    "account_ref",
    *ACCOUNT_COLUMNS,
    *SUBSCRIBER_COLUMNS,
    *RELATION_COLUMNS,
)

# Columns a file must have; the others may be left out and then count as empty.
REQUIRED_COLUMNS: frozenset[str] = frozenset(
    {
        "customer_ref",
        "customer_kind",
        "customer_name",
        "joined_date",
        "cert_type",
        "cert_number",
        "account_ref",
        "account_type",
        "account_name",
        "payment_method",
        "subscriber_id",
        "product",
        "service_number",
        "activated_date",
        "channel_code",
    }
)

# Longest value each column may hold: the width of the database column it lands in.
MAX_LENGTH: dict[str, int] = {
    "customer_ref": 64,
    "customer_code": 16,
    "customer_name": 200,
    "cert_number": 40,
    "cert_address": 300,
    "contact_phone": 20,
    "province": 40,
    "city": 40,
    "contact_address": 300,
    "account_ref": 64,
    "account_name": 200,
    "parent_account_ref": 64,
    "subscriber_id": 20,
    "service_number": 32,
    "install_address": 300,
    "channel_code": 32,
    "staff_code": 32,
    "industry": 40,
    "occupation": 60,
    "brand": 32,
    "related_customer_ref": 64,
}
