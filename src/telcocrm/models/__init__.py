"""Tables, one module per aggregate. Importing this package registers every table on the metadata."""

from telcocrm.models.account import BillingAccount
from telcocrm.models.customer import (
    Certificate,
    CodeCounter,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
)
from telcocrm.models.staff import AuditRecord, StaffUser
from telcocrm.models.subscriber import Subscriber

__all__ = [
    "AuditRecord",
    "BillingAccount",
    "Certificate",
    "CodeCounter",
    "Customer",
    "CustomerHistory",
    "CustomerProfile",
    "CustomerRelation",
    "StaffUser",
    "Subscriber",
]
