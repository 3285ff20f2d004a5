"""The closed vocabularies of the customer domain, in the business's own words (see the brief's glossary)."""

from __future__ import annotations

from enum import StrEnum


class CustomerKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"
    CANCELLED = "cancelled"


class CertificateType(StrEnum):
    """Valid certificates (brief §1): persons first, then organisations."""

    RESIDENT_ID = "resident_id"  # 居民身份证, GB 11643
    HOUSEHOLD_REGISTER = "household_register"  # 户口簿
    MILITARY_ID = "military_id"  # 军官证
    ARMED_POLICE_ID = "armed_police_id"  # 武警证
    PASSPORT = "passport"  # 护照
    RETIRED_OFFICER = "retired_officer"  # 离休干部荣誉证
    HK_MACAU_TAIWAN_PERMIT = "hk_macau_taiwan_permit"  # 港澳台通行证
    BUSINESS_LICENCE = "business_licence"  # 营业执照 (15-digit registration number)
    ORGANISATION_CODE = "organisation_code"  # 组织机构代码证, GB 11714
    UNIFIED_SOCIAL_CREDIT = "unified_social_credit"  # 统一社会信用代码, GB 32100


class RelationType(StrEnum):
    PARENT_ORGANISATION = "parent_organisation"
    FAMILY_MEMBER = "family_member"
    GUARANTOR = "guarantor"
    DECISION_MAKER = "decision_maker"
    HANDLER = "handler"


class OrganisationCategory(StrEnum):
    """What kind of organisation a customer is (brief §2): important (party, government, military) first."""

    GOVERNMENT = "government"  # 政府
    PARTY = "party"  # 党委
    MILITARY = "military"  # 军队
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    ENTERPRISE_HIGH_END = "enterprise_high_end"  # 高端企业
    ENTERPRISE = "enterprise"  # 企业
    SMALL_BUSINESS = "small_business"  # 小企业、商户


class DecisionScope(StrEnum):
    """Where an industry customer (行业客户) decides: set for industry customers, empty for cluster customers."""

    GLOBAL = "global"
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    LOCAL = "local"


class IncomeBand(StrEnum):
    """Monthly personal income, CNY (peripheral view)."""

    BELOW_3K = "below_3k"
    FROM_3K_TO_8K = "3k_to_8k"
    FROM_8K_TO_20K = "8k_to_20k"
    ABOVE_20K = "above_20k"


class AccountType(StrEnum):
    INDIVIDUAL = "individual"
    FAMILY_PRIMARY = "family_primary"
    FAMILY_SECONDARY = "family_secondary"
    GROUP_MASTER = "group_master"
    GROUP_SUB = "group_sub"


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK_COLLECTION = "bank_collection"  # 托收
    PREPAID = "prepaid"  # 预存
    AGENT_BUYOUT = "agent_buyout"  # 代理商买断
    CONTRACT_CYCLE = "contract_cycle"  # 合同周期付费


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Product(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"
    BROADBAND = "broadband"
    E8_BUNDLE = "e8_bundle"  # voice-centred family bundle
    E6_BUNDLE = "e6_bundle"  # broadband-centred family bundle
    IPTV = "iptv"
    DEDICATED_LINE = "dedicated_line"  # enterprise data line


class OwnershipType(StrEnum):
    OWNED = "owned"  # the customer owns the line
    PUBLIC = "public"  # public phone, shared facility
    CORPORATE = "corporate"  # paid by an organisation, used by a person
    RENTED = "rented"


class SubscriberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class HistoryAction(StrEnum):
    CREATE = "create"
    CHANGE = "change"
    MERGE = "merge"
    MERGED_AWAY = "merged_away"
    SPLIT = "split"
    SPLIT_FROM = "split_from"
    CANCEL = "cancel"


class StaffRole(StrEnum):
    ADMINISTRATOR = "administrator"
    ANALYST = "analyst"
    PHONE_MANAGER = "phone_manager"
    ACCOUNT_MANAGER = "account_manager"
    STORE_CLERK = "store_clerk"


class PointsAccountStatus(StrEnum):
    """积分账户 status: a closed account keeps its entries but takes no new ones."""

    ACTIVE = "active"
    CLOSED = "closed"


class PointsEntryKind(StrEnum):
    """What a points ledger entry records (issue 4): every change of a balance is one of these."""

    EARN = "earn"  # 积分获得: a lot of points, spendable until it expires
    SPEND = "spend"  # 积分兑换: drawn from one lot
    EXPIRY = "expiry"  # 积分过期: what remained of a lot at its expiry date
    ADJUSTMENT = "adjustment"  # staff correction: + opens a lot, − draws from lots
    REVERSAL = "reversal"  # undoes another entry (a cancelled redemption, a corrected award)


class CardKind(StrEnum):
    """百事通 customer cards (brief §4): two brand cards and the travel card."""

    SHANGWU_LINGHANG = "shangwu_linghang"  # 商务领航卡 (brand card)
    WODE_EJIA = "wode_ejia"  # 我的e家卡 (brand card)
    TRAVEL = "travel"  # 商旅卡, for registered 号百 customers


class CardHolder(StrEnum):
    """Who a card is for: a named decision maker or handler of an organisation, or a person's own card."""

    COMPANY = "company"  # 单位卡
    PERSONAL = "personal"  # 个人卡


class CardHolderRole(StrEnum):
    """The holder of a company card, within the organisation."""

    DECISION_MAKER = "decision_maker"  # 决策人
    HANDLER = "handler"  # 经办人
    SELF = "self"  # a personal card: the customer


class CardLevel(StrEnum):
    """Card levels, highest first: diamond (highest value), platinum (second), VIP/贵宾 (mid-high)."""

    DIAMOND = "diamond"  # 钻石卡
    PLATINUM = "platinum"  # 白金卡
    VIP = "vip"  # 贵宾卡


class CardStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class CardAction(StrEnum):
    """What a card history row records."""

    ISSUE = "issue"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    CANCEL = "cancel"


class RewardCategory(StrEnum):
    """Kinds of reward in the catalogue (brief §4)."""

    BILL_CREDIT = "bill_credit"  # 话费抵扣
    GOODS = "goods"  # 实物礼品
    SERVICE = "service"  # priority repair, expert consulting, training, tiered service
    CLUB_EVENT = "club_event"  # 俱乐部活动


class RedemptionStatus(StrEnum):
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"


class RedemptionChannel(StrEnum):
    """Where a redemption was asked for."""

    COUNTER = "counter"  # 营业厅柜台
    WEB = "web"  # 网上营业厅
    API = "api"  # a partner system over the API


class StockAction(StrEnum):
    """What changed a reward's stock (reward_stock_history)."""

    INITIAL = "initial"  # the reward was added to the catalogue
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"  # a cancelled redemption gave it back
    RESTOCK = "restock"  # staff added or removed units
    SET = "set"  # staff set the count (or made it unlimited)


# --- Churn database (issue 5; brief §8, seed 001 DA003, DS001–DS003) ----------------------------------------------


class ChurnReason(StrEnum):
    """Survey churn reasons (离网原因调查)."""

    NETWORK_QUALITY = "network_quality"  # 网络质量
    PRICE = "price"  # 价格因素
    HANDSET_QUALITY = "handset_quality"  # 手机质量
    BILLING = "billing"  # 计费收费
    AFTER_SALES = "after_sales"  # 售后服务
    CHANNEL_CARD_DUMPING = "channel_card_dumping"  # 渠道倒卡
    OTHER = "other"


class ChurnControllability(StrEnum):
    """How far the operator controls a churn reason (可控程度)."""

    INTERNAL_EASY = "internal_easy"  # 易于控制的内部原因
    EXTERNAL_CONTROLLABLE = "external_controllable"  # 可控性较强的外部原因
    INTERNAL_HARD = "internal_hard"  # 短期内难以改变的内部原因
    EXTERNAL_HARD = "external_hard"  # 难以控制的外部原因


class ChurnUrgency(StrEnum):
    """How urgent it is to act on a churn reason (紧迫程度)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ChurnDestination(StrEnum):
    """Where a churned line went (离网去向)."""

    COMPETITOR = "competitor"  # 竞争对手
    OWN_PRODUCT = "own_product"  # 本公司其他产品
    UNKNOWN = "unknown"  # not surveyed yet


class ChurnRecordSource(StrEnum):
    """What first recorded a churned line."""

    MONTHLY_RUN = "monthly_run"  # terminated in the month's billing data
    COUNTER = "counter"  # a refused save at the leaving point (DS002)
    SURVEY = "survey"  # a churn survey or a callback


class SaveFlow(StrEnum):
    """The save measure behind an attempt (seed 001 codes)."""

    CALLBACK = "DS001"  # 一对一回访
    LEAVING_POINT = "DS002"  # 离网点挽留
    WIN_BACK = "DS003"  # 离网后回归


class SaveOutcome(StrEnum):
    SAVED = "saved"
    REFUSED = "refused"
    PENDING = "pending"
    UNREACHABLE = "unreachable"


# --- Churn warning and retention (issue 5; brief §8, seed 001 离网预警模型 and 维系挽留措施) -------------------------


class ChurnSignal(StrEnum):
    """The seed's churn warning items: warning rules, the model's reason codes and retention measures name them."""

    SUSPENSION = "suspension"  # 停机时长和频次
    PLAN_DOWNGRADE = "plan_downgrade"  # 套餐降档及频次
    ARPU_DROP = "arpu_drop"  # ARPU异动
    OFFNET_FORWARDING = "offnet_forwarding"  # 呼转网外
    CALLED_NUMBERS_DROP = "called_numbers_drop"  # 通话号码减少
    CONTRACT_ENDING = "contract_ending"  # 协议到期
    COMPLAINT = "complaint"  # 投诉
    PORT_OUT_QUERY = "port_out_query"  # 咨询携号转网


class RetentionPhase(StrEnum):
    """The phase a retention measure belongs to (预防, 维系, 挽留)."""

    PREVENTION = "prevention"
    MAINTENANCE = "maintenance"
    SAVE = "save"
