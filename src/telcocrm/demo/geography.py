"""Real provinces, cities, districts, telephone area codes and streets for the demo operator."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from telcocrm.imports.fastcheck import region_valid


@dataclass(frozen=True)
class City:
    """A prefecture-level city: where customers live and lines are installed."""

    province: str
    name: str
    abbr: str  # two letters, unique: prefixes broadband accounts and dedicated line ids
    area_code: str
    local_digits: int  # length of a local fixed number
    districts: tuple[tuple[str, str], ...]  # (name, GB/T 2260 code)
    city_codes: tuple[str, ...]  # city-level codes, some valid only in past years (resident IDs)
    streets: tuple[str, ...] = ()

    @property
    def is_municipality(self) -> bool:
        """Beijing, Shanghai, Tianjin, Chongqing: the province is the city."""
        return self.province == self.name


def _c(
    province: str,
    name: str,
    abbr: str,
    area: str,
    digits: int,
    districts: str,
    codes: str,
    streets: str = "",
) -> City:
    pairs = tuple(tuple(item.split(":")) for item in districts.split())
    return City(province, name, abbr, area, digits, pairs, tuple(codes.split()), tuple(streets.split()))  # type: ignore[arg-type]


# fmt: off
CITIES: tuple[City, ...] = (
    _c("北京市", "北京市", "BJ", "010", 8, "东城区:110101 西城区:110102 朝阳区:110105 海淀区:110108 丰台区:110106",
       "110100", "建国路 长安街 中关村大街 学院路 三里屯路"),
    _c("上海市", "上海市", "SH", "021", 8, "黄浦区:310101 徐汇区:310104 长宁区:310105 静安区:310106 浦东新区:310115",
       "310100", "南京东路 淮海中路 世纪大道 漕溪北路 延安西路"),
    _c("天津市", "天津市", "TJ", "022", 8, "和平区:120101 河西区:120103 南开区:120104",
       "120100", "南京路 卫津路 友谊路"),
    _c("重庆市", "重庆市", "CQ", "023", 8, "渝中区:500103 江北区:500105 沙坪坝区:500106 九龙坡区:500107",
       "500100 510200", "解放碑步行街 观音桥步行街 三峡广场路"),
    _c("广东省", "广州市", "GZ", "020", 8, "越秀区:440104 海珠区:440105 天河区:440106 白云区:440111",
       "440100", "体育西路 天河路 环市东路 江南大道 广州大道"),
    _c("广东省", "深圳市", "SZ", "0755", 8, "罗湖区:440303 福田区:440304 南山区:440305 宝安区:440306",
       "440300", "深南大道 华强北路 科技园路 新安路"),
    _c("广东省", "佛山市", "FS", "0757", 8, "禅城区:440604 南海区:440605 顺德区:440606",
       "440600", "季华路 南海大道 佛山大道"),
    _c("江苏省", "南京市", "NJ", "025", 8, "玄武区:320102 秦淮区:320104 建邺区:320105 鼓楼区:320106",
       "320100", "中山路 汉中路 北京西路 江东中路"),
    _c("江苏省", "苏州市", "SU", "0512", 8, "姑苏区:320508 吴中区:320506 相城区:320507",
       "320500", "人民路 干将路 东吴北路"),
    _c("江苏省", "无锡市", "WX", "0510", 8, "梁溪区:320213 滨湖区:320211", "320200", "中山路 太湖大道"),
    _c("浙江省", "杭州市", "HZ", "0571", 8, "上城区:330102 拱墅区:330105 西湖区:330106 滨江区:330108",
       "330100", "延安路 文三路 江南大道 莫干山路"),
    _c("浙江省", "宁波市", "NB", "0574", 8, "海曙区:330203 鄞州区:330212", "330200", "中山西路 天童南路"),
    _c("浙江省", "温州市", "WZ", "0577", 8, "鹿城区:330302 瓯海区:330304", "330300", "人民路 车站大道"),
    _c("四川省", "成都市", "CD", "028", 8, "锦江区:510104 青羊区:510105 金牛区:510106 武侯区:510107",
       "510100", "春熙路 人民南路 蜀都大道 一环路"),
    _c("四川省", "绵阳市", "MY", "0816", 7, "涪城区:510703 游仙区:510704", "510700", "临园路 剑南路"),
    _c("湖北省", "武汉市", "WH", "027", 8, "江岸区:420102 江汉区:420103 武昌区:420106 洪山区:420111",
       "420100", "解放大道 中山大道 珞喻路 中南路"),
    _c("湖北省", "宜昌市", "YC", "0717", 7, "西陵区:420502 伍家岗区:420503", "420500", "东山大道 夷陵大道"),
    _c("湖南省", "长沙市", "CS", "0731", 8, "芙蓉区:430102 天心区:430103 岳麓区:430104 开福区:430105",
       "430100", "五一大道 芙蓉中路 麓山南路"),
    _c("湖南省", "衡阳市", "HY", "0734", 7, "雁峰区:430406 蒸湘区:430408", "430400", "解放路 蒸湘北路"),
    _c("山东省", "济南市", "JN", "0531", 8, "历下区:370102 市中区:370103 槐荫区:370104",
       "370100", "泉城路 经十路 历山路"),
    _c("山东省", "青岛市", "QD", "0532", 8, "市南区:370202 市北区:370203 崂山区:370212",
       "370200", "香港中路 中山路 辽阳西路"),
    _c("山东省", "烟台市", "YT", "0535", 7, "芝罘区:370602 莱山区:370613", "370600", "南大街 迎春大街"),
    _c("福建省", "福州市", "FZ", "0591", 8, "鼓楼区:350102 台江区:350103 仓山区:350104",
       "350100", "五四路 八一七中路 工业路"),
    _c("福建省", "厦门市", "XM", "0592", 7, "思明区:350203 湖里区:350206", "350200", "中山路 湖滨南路 嘉禾路"),
    _c("福建省", "泉州市", "QZ", "0595", 8, "鲤城区:350502 丰泽区:350503", "350500", "温陵路 丰泽街"),
    _c("河南省", "郑州市", "ZZ", "0371", 8, "中原区:410102 二七区:410103 金水区:410105",
       "410100", "花园路 金水路 中原路"),
    _c("河南省", "洛阳市", "LY", "0379", 8, "西工区:410303 涧西区:410305", "410300", "中州中路 九都路"),
    _c("陕西省", "西安市", "XA", "029", 8, "新城区:610102 碑林区:610103 莲湖区:610104 雁塔区:610113",
       "610100", "东大街 长安北路 小寨路 高新路"),
    _c("安徽省", "合肥市", "HF", "0551", 8, "瑶海区:340102 庐阳区:340103 蜀山区:340104 包河区:340111",
       "340100", "长江中路 金寨路 徽州大道"),
    _c("安徽省", "芜湖市", "WU", "0553", 7, "镜湖区:340202", "340200", "中山路 北京东路"),
    _c("江西省", "南昌市", "NC", "0791", 8, "东湖区:360102 西湖区:360103 青山湖区:360111",
       "360100", "八一大道 阳明路 北京西路"),
    _c("云南省", "昆明市", "KM", "0871", 8, "五华区:530102 盘龙区:530103 官渡区:530111 西山区:530112",
       "530100", "东风西路 北京路 滇池路"),
    _c("辽宁省", "沈阳市", "SY", "024", 8, "和平区:210102 沈河区:210103 皇姑区:210105",
       "210100", "中华路 青年大街 北陵大街"),
    _c("辽宁省", "大连市", "DL", "0411", 8, "中山区:210202 西岗区:210203 沙河口区:210204",
       "210200", "人民路 中山路 西安路"),
)
# fmt: on

# Streets found in nearly every Chinese city, mixed with each city's own.
COMMON_STREETS: tuple[str, ...] = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "朝阳路", "青年路",
    "长江路", "友谊路", "光明路", "幸福路", "东风路", "工业大道", "科技路", "学府路", "滨江路", "民主路",
)  # fmt: skip

# Weight of each city in the customer base: big cities have more customers.
CITY_WEIGHTS: tuple[int, ...] = tuple(4 if c.local_digits == 8 and len(c.area_code) == 3 else 2 for c in CITIES)


def province_capital(city: City) -> City:
    """The first city listed for the city's province: its capital."""
    return next(c for c in CITIES if c.province == city.province)


@lru_cache(maxsize=4096)
def birth_region_codes(city: City, year: int) -> tuple[str, ...]:
    """Region codes an ID card of someone born in `year` in `city` may carry, falling back to the capital."""
    codes = [code for _, code in city.districts] + list(city.city_codes)
    valid = [code for code in codes if region_valid(code, year)]
    if valid:
        return tuple(valid)
    capital = province_capital(city)
    return tuple(code for code in capital.city_codes if region_valid(code, year)) or ("110101",)
