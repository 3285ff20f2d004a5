"""Common Chinese surnames, given names and organisation name parts for the demo operator."""

from __future__ import annotations

import random
from itertools import accumulate

# The most frequent surnames, most frequent first; weights follow their rough share of the population.
SURNAMES: tuple[str, ...] = (
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    "欧阳", "司马", "诸葛", "上官",
)  # fmt: skip
SURNAME_WEIGHTS: tuple[float, ...] = tuple(
    [7.2, 7.1, 6.8, 5.4, 4.6] + [2.0] * 15 + [0.9] * 30 + [0.4] * (len(SURNAMES) - 54) + [0.05] * 4
)
_SURNAME_CUMULATIVE = tuple(accumulate(SURNAME_WEIGHTS))

MALE_GIVEN: str = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣博文志建国栋海峰晨阳"
FEMALE_GIVEN: str = "芳娜敏静丽艳娟霞秀玲桂英丹萍红梅琳雪倩婷颖慧佳雅琪欣怡晶月燕蓉悦瑶璐洁媛"

ORG_BRANDS: tuple[str, ...] = (
    "华信", "恒通", "新宇", "金桥", "泰和", "宏达", "瑞丰", "中天", "鼎盛", "博远", "天盛", "汇丰源", "长虹",
    "立信", "启航", "东方", "永安", "嘉禾", "远景", "正泰", "盛世", "锦程", "万通", "海纳", "卓越", "百川",
)  # fmt: skip
ORG_TRADES: tuple[str, ...] = (
    "科技", "贸易", "物流", "建设工程", "电子", "医药", "食品", "文化传媒", "房地产开发", "机械制造",
    "信息技术", "餐饮管理", "商贸", "环保科技", "实业", "物业管理", "纺织", "汽车销售", "教育咨询", "酒店管理",
)  # fmt: skip
PUBLIC_BODIES: tuple[str, ...] = (
    "第一人民医院", "第二人民医院", "中医院", "实验中学", "第一中学", "职业技术学院", "图书馆", "疾病预防控制中心",
)  # fmt: skip


def surname(rng: random.Random) -> str:
    """A surname drawn by its frequency."""
    return rng.choices(SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]


def given_name(rng: random.Random, *, male: bool) -> str:
    """A given name of one or two characters (two is more common today)."""
    pool = MALE_GIVEN if male else FEMALE_GIVEN
    if rng.random() < 0.25:
        return rng.choice(pool)
    return rng.choice(pool) + rng.choice(pool + MALE_GIVEN[:10] + FEMALE_GIVEN[:10])


def person_name(rng: random.Random, *, male: bool, family_name: str | None = None) -> str:
    """A full name; children share the family name."""
    return (family_name or surname(rng)) + given_name(rng, male=male)


def company_name(rng: random.Random, city_short: str, *, group: bool = False) -> tuple[str, str]:
    """An enterprise name and its brand, e.g. 广州华信科技有限公司."""
    brand = rng.choice(ORG_BRANDS)
    trade = rng.choice(ORG_TRADES)
    suffix = "集团有限公司" if group else rng.choice(("有限公司", "有限公司", "股份有限公司", "有限责任公司"))
    return f"{city_short}{brand}{trade}{suffix}", brand


def subsidiary_name(rng: random.Random, brand: str, city_short: str) -> str:
    """A subsidiary of a group, carrying the group's brand, e.g. 华信(深圳)物流有限公司."""
    return f"{brand}（{city_short}）{rng.choice(ORG_TRADES)}有限公司"


def public_body_name(rng: random.Random, city_short: str) -> str:
    """A public institution (事业单位), e.g. 宜昌市第一人民医院."""
    return f"{city_short}市{rng.choice(PUBLIC_BODIES)}"
