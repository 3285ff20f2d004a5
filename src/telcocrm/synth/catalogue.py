"""The synthetic operator's catalogues: brands, organisation kinds, occupations, plans and the mixes it draws from.

These are the generator's own assumptions about a plausible operator (brief §2, §3, §8), not business rules:
the monthly run never reads them.
"""

from __future__ import annotations

import numpy as np

from telcocrm.analytics import schemas
from telcocrm.models.enums import OrganisationCategory

# Brands (brief §2, seeds 000/001): the code written to the file, then its name.
BRANDS: tuple[str, ...] = (
    "xinshikong",  # 新时空
    "up_xinshili",  # UP新势力
    "shijiefeng",  # 世界风
    "ruyitong",  # 如意通 (prepaid)
    "jituan",  # 集团
    "shangwu_linghang",  # 商务领航
    "wode_ejia",  # 我的e家
)
B_XINSHIKONG, B_UP, B_SHIJIEFENG, B_RUYITONG, B_JITUAN, B_SHANGWU, B_EJIA = range(len(BRANDS))

# Products in the order of telcocrm.models.enums.Product values used here.
PRODUCTS: tuple[str, ...] = ("mobile", "fixed", "broadband", "e8_bundle", "e6_bundle", "iptv", "dedicated_line")
P_MOBILE, P_FIXED, P_BROADBAND, P_E8, P_E6, P_IPTV, P_DEDICATED = range(len(PRODUCTS))

PAYMENTS: tuple[str, ...] = ("cash", "bank_collection", "prepaid", "agent_buyout", "contract_cycle")
PAY_CASH, PAY_BANK, PAY_PREPAID, PAY_AGENT, PAY_CONTRACT = range(len(PAYMENTS))

ACCOUNT_TYPES: tuple[str, ...] = ("individual", "family_primary", "family_secondary", "group_master", "group_sub")
ACC_INDIVIDUAL, ACC_FAMILY_PRIMARY, ACC_FAMILY_SECONDARY, ACC_GROUP_MASTER, ACC_GROUP_SUB = range(5)

# Segments of the truth file (brief §2): what the generator meant each customer to be.
SEGMENTS: tuple[str, ...] = ("personal", "family", "government_enterprise")
SEG_PERSONAL, SEG_FAMILY, SEG_ORG = range(3)

ORG_CATEGORIES: tuple[str, ...] = tuple(OrganisationCategory)  # weights below follow this order
ORG_CATEGORY_WEIGHTS = np.array([8, 3, 2, 15, 10, 30, 32], dtype=float)
# Share of each category that is an industry customer (decides across regions); the rest are cluster customers.
ORG_INDUSTRY_SHARE = np.array([0.7, 0.6, 0.9, 0.4, 0.6, 0.15, 0.0])
# Median ARPU per line (CNY) and the mean count of lines beyond the first, per category.
ORG_LINE_ARPU = np.array([150.0, 140.0, 160.0, 110.0, 180.0, 110.0, 80.0])
ORG_EXTRA_LINES = np.array([14.0, 8.0, 20.0, 9.0, 18.0, 6.0, 2.0])
# USCC registration department and kind (GB 32100): 11 government body, 12 public institution, 91 firm, 92 sole.
ORG_CODE_PREFIX: tuple[str, ...] = ("11", "11", "11", "12", "91", "91", "92")

INDUSTRIES_BY_CATEGORY: tuple[tuple[str, ...], ...] = (
    ("政务", "税务", "公安", "交通运输"),
    ("党政",),
    ("军队",),
    ("教育", "医疗卫生", "文化", "科研"),
    ("金融", "能源", "信息技术", "交通物流", "制造"),
    ("制造", "建筑", "房地产", "批发零售", "信息技术", "商务服务", "交通物流", "医药"),
    ("餐饮", "批发零售", "商务服务", "居民服务", "住宿"),
)
DECISION_SCOPES: tuple[str, ...] = ("global", "national", "provincial", "local")
DECISION_SCOPE_WEIGHTS = np.array([1, 3, 6, 10], dtype=float)

# Name patterns by category: {c} is the city without 市; enterprises use the demo's company names.
GOVERNMENT_BODIES: tuple[str, ...] = ("人民政府办公室", "税务局", "公安局", "交通运输局", "市场监督管理局", "教育局")
PARTY_BODIES: tuple[str, ...] = ("委组织部", "委宣传部", "纪律检查委员会", "委党校")

OCCUPATIONS: tuple[str, ...] = (
    "企业职员", "工人", "教师", "医生", "公务员", "个体经营", "学生", "退休", "农民", "自由职业",
    "销售", "司机", "工程师", "护士", "厨师", "程序员",
)  # fmt: skip
OCCUPATION_WEIGHTS = np.array([18, 12, 5, 3, 4, 8, 6, 10, 6, 5, 6, 4, 4, 2, 2, 4], dtype=float)
OCC_SELF_EMPLOYED, OCC_STUDENT, OCC_RETIRED = 5, 6, 7
INCOME_BANDS: tuple[str, ...] = ("below_3k", "3k_to_8k", "8k_to_20k", "above_20k")

# Monthly plan fees (CNY) a line can be on; plan changes move along this ladder.
PLAN_LADDER_CNY = np.array([0, 8, 19, 29, 39, 59, 79, 99, 129, 169, 199, 299, 399, 599, 999, 1999, 4999, 9999])

CHURN_DESTINATIONS: tuple[str, ...] = ("competitor", "own_product")
CHURN_REASONS: tuple[str, ...] = ("network_quality", "price", "handset", "billing", "after_sales", "channel_dumping")
CHURN_REASON_WEIGHTS = np.array([20, 35, 12, 12, 13, 8], dtype=float)
REASON_NETWORK, REASON_PRICE, REASON_HANDSET, REASON_BILLING, REASON_AFTER_SALES, REASON_DUMPING = range(6)

EVENT_KINDS: tuple[str, ...] = schemas.EVENT_KINDS  # the order the indexes below name
(
    EV_SUSPEND,
    EV_RESUME,
    EV_PLAN_CHANGE,
    EV_CONTRACT_START,
    EV_CONTRACT_END,
    EV_HANDSET,
    EV_COMPLAINT,
    EV_PORT_OUT,
    EV_TERMINATE,
) = range(len(EVENT_KINDS))
INTEGRITY_KINDS: tuple[str, ...] = ("written_off_arrears", "fraud", "bounced_payment", "false_registration")
INT_WRITTEN_OFF, INT_FRAUD, INT_BOUNCED, INT_FALSE_REGISTRATION = range(4)
EVENT_REASONS: tuple[str, ...] = (
    "",
    "欠费停机 / arrears",
    "用户申请停机 / customer request",
    "资费调整 / tariff change",
    "网络信号差 / poor network",
    "账单争议 / billing dispute",
    "售后服务 / after-sales service",
    "携号转网咨询 / number portability query",
    "用户申请拆机 / customer left",
    "手机故障 / handset fault",
)
(
    RS_NONE,
    RS_ARREARS,
    RS_REQUEST,
    RS_TARIFF,
    RS_NETWORK,
    RS_BILLING,
    RS_AFTER_SALES,
    RS_PORT,
    RS_LEFT,
    RS_HANDSET,
) = range(len(EVENT_REASONS))
