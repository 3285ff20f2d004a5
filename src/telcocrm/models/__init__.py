"""Tables, one module per aggregate. Importing this package registers every table on the metadata."""

from telcocrm.models.account import BillingAccount
from telcocrm.models.assessment_run import AssessmentRun
from telcocrm.models.churn import ChurnRecord, ChurnRecordHistory, SaveAttempt
from telcocrm.models.credit import CreditRatingHistory
from telcocrm.models.customer import (
    Certificate,
    CodeCounter,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
)
from telcocrm.models.lifecycle import LifecycleHistory
from telcocrm.models.loyalty import PointsAccount, PointsEntry, PointsMonthSummary
from telcocrm.models.loyalty_cards import MemberCard, MemberCardHistory
from telcocrm.models.rewards import Redemption, RedemptionHistory, Reward, RewardStockHistory
from telcocrm.models.segment import SegmentHistory
from telcocrm.models.staff import AuditRecord, StaffUser
from telcocrm.models.subscriber import Subscriber

__all__ = [
    "AssessmentRun",
    "AuditRecord",
    "BillingAccount",
    "Certificate",
    "ChurnRecord",
    "ChurnRecordHistory",
    "CodeCounter",
    "CreditRatingHistory",
    "Customer",
    "CustomerHistory",
    "CustomerProfile",
    "CustomerRelation",
    "LifecycleHistory",
    "MemberCard",
    "MemberCardHistory",
    "PointsAccount",
    "PointsEntry",
    "PointsMonthSummary",
    "Redemption",
    "RedemptionHistory",
    "Reward",
    "RewardStockHistory",
    "SaveAttempt",
    "SegmentHistory",
    "StaffUser",
    "Subscriber",
]
