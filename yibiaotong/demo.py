"""Synthetic demo district: households, residents, houses, shops and import tags, set-based in DuckDB."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import duckdb
from pypinyin import Style, lazy_pinyin

from yibiaotong import db

Progress = Callable[[str, float], None]

# Surname and weight (per mille, roughly Zhejiang frequencies). 曾 and 单 are left out: pypinyin
# reads them ceng / dan, so their search initials would surprise users.
SURNAMES = (
    ("陈", 70), ("王", 60), ("张", 50), ("李", 45), ("吴", 35), ("徐", 30), ("周", 28),
    ("朱", 25), ("金", 22), ("沈", 22), ("胡", 20), ("杨", 20), ("刘", 20), ("黄", 18),
    ("叶", 16), ("何", 14), ("林", 14), ("郑", 13), ("俞", 12), ("方", 12), ("章", 12),
    ("赵", 12), ("钱", 11), ("孙", 11), ("蒋", 11), ("潘", 9), ("姚", 9), ("许", 9),
    ("楼", 8), ("应", 8), ("汪", 8), ("陆", 8), ("郭", 8), ("马", 8), ("高", 8), ("余", 8),
    ("倪", 7), ("施", 7), ("洪", 7), ("邵", 7), ("傅", 7), ("严", 7), ("钟", 6), ("毛", 6),
    ("顾", 6), ("宋", 6), ("唐", 6), ("冯", 6), ("曹", 6), ("董", 6), ("袁", 6), ("丁", 6),
    ("程", 6), ("吕", 6), ("夏", 6), ("蔡", 6), ("韩", 5), ("任", 5), ("姜", 5), ("杜", 5),
    ("卢", 5), ("戴", 5), ("江", 5), ("范", 5), ("谢", 5), ("罗", 5), ("童", 5), ("虞", 4),
    ("邓", 4), ("彭", 4), ("田", 4), ("苏", 4), ("魏", 4), ("邹", 4), ("孔", 4), ("梁", 4),
    ("华", 4), ("骆", 4), ("葛", 4), ("汤", 4), ("盛", 4), ("翁", 4), ("来", 3), ("鲁", 3),
    ("宣", 3), ("屠", 3), ("裘", 3), ("诸", 3), ("阮", 3), ("石", 3),
)  # fmt: skip

# Given-name characters by sex and birth cohort (before 1965, 1965–1994, 1995 on).
GIVEN_CHARS = {
    ("1", 0): "建国华明伟军林忠德福荣生根海文金水志春宝兴祥龙发贵新民庆",
    ("2", 0): "秀英兰芳珍凤玉美娟霞华萍琴梅花云桂菊莲月素彩金妹爱",
    ("1", 1): "伟强磊军勇杰涛斌明刚辉鹏华飞鑫波宇俊峰毅晨亮健东洪斌海",
    ("2", 1): "丽静敏燕艳娟霞芳婷雪琳倩洁颖慧佳玲蕾晶丹红萍莉瑛",
    ("1", 2): "子浩宇轩梓睿俊博泽豪嘉铭辰一晨航皓然昊逸宸熙杰锦诚奕",
    ("2", 2): "子涵欣怡梓诗雨萱可馨语思佳悦琪彤若依梦艺晴雅沐心",
}
GIVEN_POOL = 512  # names per (sex, cohort); the SQL finds block (sex - 1) * 3 + cohort
COHORT_YEARS = (1965, 1995)

FOREIGNERS = (
    ("SMITH JOHN", "美国"), ("JOHNSON EMILY", "美国"), ("BROWN DAVID", "英国"),
    ("WILSON SARAH", "英国"), ("MUELLER THOMAS", "德国"), ("SCHMIDT ANNA", "德国"),
    ("MARTIN PIERRE", "法国"), ("DUBOIS CLAIRE", "法国"), ("TANAKA HIROSHI", "日本"),
    ("SATO YUKI", "日本"), ("KIM MINJUN", "韩国"), ("PARK SEOYEON", "韩国"),
    ("NGUYEN VAN AN", "越南"), ("ROSSI MARCO", "意大利"), ("GARCIA LUCIA", "西班牙"),
    ("IVANOV ALEXEI", "俄罗斯"),
)  # fmt: skip

# Other-province (and Wenzhou) birthplaces of the floating population, with weights.
FLOATING_REGIONS = (
    ("341221", "安徽省阜阳市临泉县", 12), ("341222", "安徽省阜阳市太和县", 8),
    ("342422", "安徽省六安市寿县", 6), ("362330", "江西省上饶市鄱阳县", 9),
    ("360124", "江西省南昌市进贤县", 5), ("411502", "河南省信阳市浉河区", 8),
    ("412726", "河南省周口市郸城县", 6), ("430524", "湖南省邵阳市隆回县", 6),
    ("512501", "四川省宜宾市", 6), ("510722", "四川省绵阳市三台县", 4),
    ("330326", "浙江省温州市平阳县", 6), ("330381", "浙江省温州市瑞安市", 4),
    ("522124", "贵州省遵义市正安县", 5), ("420921", "湖北省孝感市孝昌县", 5),
    ("320324", "江苏省徐州市睢宁县", 4), ("500228", "重庆市梁平县", 6),
)  # fmt: skip
VILLAGES = ("新建村", "红旗村", "先锋村", "东风村", "前进村", "和平村", "李庄村", "王湾村")

# Roads by street (the part of the street name before 街道); a grid whose community is named
# after a road (东坡路社区) lives on that road instead.
STREET_ROADS = {
    "湖滨": ("延安路", "平海路", "东坡路", "仁和路", "邮电路", "学士路", "岳王路"),
    "清波": ("河坊街", "南山路", "清波街", "劳动路", "大井巷", "定安路"),
    "小营": ("建国中路", "解放路", "马市街", "小营巷", "葵巷", "菜市桥路"),
    "望江": ("望江路", "秋涛路", "近江路", "婺江路", "甬江路", "江城路"),
    "紫阳": ("中河南路", "紫阳街", "海潮路", "十五奎巷", "城隍牌楼巷", "白塔岭路"),
    "南星": ("复兴路", "梵天寺路", "馒头山路", "莲花峰路", "南星桥路", "凤凰山脚路"),
    "凯旋": ("凯旋路", "景昙路", "新塘路", "濮家路", "景芳路", "庆春东路"),
    "采荷": ("采荷路", "秋涛北路", "凤起东路", "观音塘路", "双菱路", "庆春东路"),
    "闸弄口": ("天城路", "艮山西路", "机场路", "石桥路", "东新园路", "红梅路"),
    "四季青": ("钱江路", "富春路", "新业路", "之江路", "剧院路", "解放东路"),
    "笕桥": ("笕桥路", "同协路", "黄家路", "俞章路", "机场路", "弄口路"),
    "丁兰": ("丁桥路", "大农港路", "长睦路", "丁兰路", "东山弄路", "皋城路"),
    "九堡": ("杭海路", "德胜东路", "九环路", "红普路", "九盛路", "九和路"),
    "彭埠": ("新塘路", "红五月路", "七堡路", "彭埠路", "明月桥路", "艮山东路"),
}
FALLBACK_ROADS = ("建设路", "人民路", "和平路", "文化路", "新华路", "长庆街", "胜利路", "平安巷")
# 江干区 streets: merged into 上城区 in 2021, their people's id numbers still start 330104.
OLD_JIANGGAN = ("凯旋", "采荷", "闸弄口", "四季青", "笕桥", "丁兰", "九堡", "彭埠")

# Shop category code, weight and name suffixes.
SHOP_CATEGORIES = (
    ("01", 25, ("面馆", "小吃店", "餐馆", "快餐店", "奶茶店", "馄饨店", "包子铺", "烧烤店")),
    ("02", 30, ("便利店", "超市", "水果店", "烟酒店", "副食品店", "五金店", "文具店", "服装店")),
    ("03", 10, ("理发店", "美容院", "美甲店", "造型工作室")),
    ("04", 3, ("旅馆", "宾馆", "民宿")),
    ("05", 6, ("家电维修部", "修车行", "手机维修店", "修鞋铺")),
    ("06", 5, ("培训中心", "书法教室", "琴行", "托管中心")),
    ("07", 4, ("大药房", "药店", "口腔诊所", "中医诊所")),
    ("08", 4, ("棋牌室", "KTV", "网吧", "桌游馆")),
    ("09", 3, ("裁缝铺", "打印店", "加工坊", "洗衣店")),
    ("99", 10, ("商行", "工作室", "经营部", "服务部")),
)
SHOP_PREFIXES = (
    "老杭州", "江南", "西湖", "钱塘", "阿明", "阿芳", "好邻居", "惠民", "福满", "金牌",
    "老街", "知味", "张记", "王记", "李记", "陈记", "顺风", "诚信", "阳光", "万家",
    "百姓", "东坡", "吴山", "望江", "小杨", "新新", "佳佳", "快乐", "德兴", "春风",
)  # fmt: skip

OCCUPATIONS = (
    "职员", "教师", "医生", "护士", "工程师", "公务员", "个体经营", "工人", "快递员", "司机",
    "销售", "厨师", "保安", "外卖骑手", "会计", "自由职业", "程序员", "设计师", "营业员", "保洁员",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)  # fmt: skip

# Household templates. Slots: e1/e2 elder man/woman, ya/yb younger man/woman, k1..k3 children
# oldest first, m unrelated member of a collective household. Relation K = 子/女 of the head by
# sex, G = 孙子女. `link` is the younger adult whose parents e1/e2 are. Ranges are in years:
# kid = age of the youngest child, adult = age of a younger adult without children in the
# household, elder = age of e2 when neither children nor a linked adult fix it.
# Columns: code, weight, members, link, kid, adult, elder, floating ‰, foreign ‰, household type.
# fmt: off
TEMPLATES = (
    ("elder_alone_f", 700, "e2:02", None, None, None, (60, 100), 15, 0, "1"),
    ("elder_alone_m", 260, "e1:02", None, None, None, (60, 96), 15, 0, "1"),
    ("single_m", 700, "ya:02", None, None, (18, 62), None, 520, 25, "1"),
    ("single_f", 540, "yb:02", None, None, (18, 62), None, 480, 25, "1"),
    ("couple_young_m", 650, "ya:02 yb:10", None, None, (22, 40), None, 420, 10, "1"),
    ("couple_young_f", 230, "yb:02 ya:10", None, None, (22, 40), None, 420, 0, "1"),
    ("couple_old_m", 1000, "e1:02 e2:10", None, None, None, (58, 94), 20, 0, "1"),
    ("couple_old_f", 220, "e2:02 e1:10", None, None, None, (58, 94), 20, 0, "1"),
    ("nuclear1_m", 1250, "ya:02 yb:10 k1:K", None, (0, 30), None, None, 240, 0, "1"),
    ("nuclear1_f", 430, "yb:02 ya:10 k1:K", None, (0, 30), None, None, 240, 0, "1"),
    ("nuclear2_m", 760, "ya:02 yb:10 k1:K k2:K", None, (0, 24), None, None, 200, 0, "1"),
    ("nuclear2_f", 240, "yb:02 ya:10 k1:K k2:K", None, (0, 24), None, None, 200, 0, "1"),
    ("nuclear3_m", 140, "ya:02 yb:10 k1:K k2:K k3:K", None, (0, 18), None, None, 200, 0, "1"),
    ("nuclear3_f", 40, "yb:02 ya:10 k1:K k2:K k3:K", None, (0, 18), None, None, 200, 0, "1"),
    ("single_mother", 290, "yb:02 k1:K", None, (0, 24), None, None, 100, 0, "1"),
    ("single_father", 100, "ya:02 k1:K", None, (0, 24), None, None, 100, 0, "1"),
    ("three_gen", 330, "ya:02 yb:10 k1:K e1:51 e2:52", "ya", (0, 16), None, None, 50, 0, "1"),
    ("three_gen_2k", 110, "ya:02 yb:10 k1:K k2:K e1:51 e2:52", "ya", (0, 16), None, None, 50, 0,
     "1"),
    ("three_gen_widow", 240, "ya:02 yb:10 k1:K e2:52", "ya", (0, 16), None, None, 50, 0, "1"),
    ("three_gen_f", 100, "yb:02 ya:10 k1:K e1:51 e2:52", "yb", (0, 16), None, None, 50, 0, "1"),
    ("elder_head", 240, "e1:02 e2:10 ya:20 yb:99 k1:G", "ya", (0, 14), None, None, 20, 0, "1"),
    ("elder_head_2k", 60, "e1:02 e2:10 ya:20 yb:99 k1:G k2:G", "ya", (0, 14), None, None, 20, 0,
     "1"),
    ("widow_head", 120, "e2:02 yb:30 ya:99 k1:G", "yb", (0, 14), None, None, 20, 0, "1"),
    ("skip_gen", 110, "e1:02 e2:10 k1:G", None, (3, 15), None, None, 20, 0, "1"),
    ("elder_with_son", 240, "e2:02 ya:20", "ya", None, (28, 58), None, 10, 0, "1"),
    ("elder_with_daughter", 150, "e2:02 yb:30", "yb", None, (28, 58), None, 10, 0, "1"),
    ("elders_with_son", 200, "e1:02 e2:10 ya:20", "ya", None, (24, 45), None, 10, 0, "1"),
    ("collective_6", 25, "m:02 m:99 m:99 m:99 m:99 m:99", None, None, None, None, 1000, 0, "2"),
    ("collective_8", 15, "m:02 m:99 m:99 m:99 m:99 m:99 m:99 m:99", None, None, None, None, 1000,
     0, "2"),
)
# fmt: on
# Households in 群租 blocks of three (one flat, several tenant households) use these templates.
GROUP_TEMPLATES = (("single_m", 5), ("single_f", 3), ("couple_young_m", 2))
GROUP_BLOCK_PM = 60  # ‰ of household blocks that share one group-rented flat
VACANT_PM = 70  # ‰ of occupied flats that have an empty flat next to them
# In every street the first households with a mother and two (and three) children get a newborn
# youngest child, so that 二孩 and 多孩 families exist everywhere at any size.
FORCED_NEWBORNS_PER_STREET = 2
RESIDENTS_PER_SHOP = 40
# Queries that drop the temporary tables and macros of a run, in this order.
DROPS = (
    "drop_members_macro",
    "drop_id_sequences",
    "drop_grid_stats",
    "drop_households",
    "drop_grids",
    "drop_template_members",
    "drop_templates",
    "drop_place_macro",
    "drop_rand_macro",
)


def _initials(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()


def _weighted(items: list[tuple[Any, int]], slots: int) -> list[Any]:
    """Expand (value, weight) pairs to a list of `slots` values in proportion to the weights."""
    total = sum(w for _, w in items)
    out: list[Any] = []
    acc = 0
    for value, weight in items:
        acc += weight
        out.extend([value] * (round(acc * slots / total) - len(out)))
    return out


def _given_names() -> tuple[list[str], list[str]]:
    """GIVEN_POOL names per (sex, cohort) block: a fifth single characters, the rest pairs."""
    names: list[str] = []
    for sex in ("1", "2"):
        for cohort in range(3):
            chars = list(dict.fromkeys(GIVEN_CHARS[(sex, cohort)]))
            pairs = [a + b for a in chars for b in chars if a != b]
            random.Random(f"{sex}{cohort}").shuffle(pairs)
            singles = chars * (GIVEN_POOL // 5 // len(chars) + 1)
            block = singles[: GIVEN_POOL // 5] + pairs
            names.extend(block[:GIVEN_POOL])
    return names, [_initials(n) for n in names]


def _template_rows() -> tuple[list[dict], list[dict]]:
    templates, members = [], []
    for t, (code, weight, spec, link, kid, adult, elder, floating, foreign, htype) in enumerate(
        TEMPLATES, start=1
    ):
        slots = [part.split(":") for part in spec.split()]
        index = {slot: i for i, (slot, _) in enumerate(slots)}
        nk = sum(1 for slot, _ in slots if slot.startswith("k"))
        templates.append(
            {
                "t": t,
                "code": code,
                "weight": weight,
                "size": len(slots),
                "nk": nk,
                "has_ya": "ya" in index,
                "has_yb": "yb" in index,
                "has_e1": "e1" in index,
                "has_e2": "e2" in index,
                "link": link,
                "kid_lo": None if kid is None else kid[0] * 365,
                "kid_span": None if kid is None else (kid[1] - kid[0]) * 365,
                "adult_lo": None if adult is None else adult[0] * 365,
                "adult_span": None if adult is None else (adult[1] - adult[0]) * 365,
                "elder_lo": None if elder is None else elder[0] * 365,
                "elder_span": None if elder is None else (elder[1] - elder[0]) * 365,
                "floating_pm": floating,
                "foreign_pm": foreign,
                "household_type": htype,
                "newborn_guaranteed": "yb" in index and nk >= 2,
                "head_slot": slots[0][0],
            }
        )
        for i, (slot, relation) in enumerate(slots):
            mother = father = order = None
            if slot.startswith("k"):
                mother, father = index.get("yb"), index.get("ya")
                order = int(slot[1]) if mother is not None or father is not None else None
            elif slot == link:
                mother, father = index.get("e2"), index.get("e1")
                order = 1
            members.append(
                {
                    "t": t,
                    "idx": i,
                    "slot": slot,
                    "relation": relation,
                    "mother_idx": mother,
                    "father_idx": father,
                    "birth_order": order,
                }
            )
    return templates, members


def _streets(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = _run(cur, "streets", {}).fetchall()
    out = []
    for code, name in rows:
        key = name.removesuffix("街道")
        out.append(
            {
                "street_code": code,
                "name": name,
                "roads": list(STREET_ROADS.get(key, FALLBACK_ROADS)),
                "old_jianggan": key in OLD_JIANGGAN,
            }
        )
    return out


def _params(seed: int) -> dict[str, Any]:
    """The list parameters every generation query shares."""
    names, name_initials = _given_names()
    surnames = _weighted(list(SURNAMES), 1000)
    regions = list(FLOATING_REGIONS)
    categories = _weighted([(i, w) for i, (_, w, _) in enumerate(SHOP_CATEGORIES)], 100)
    return {
        "seed": seed,
        "surnames": surnames,
        "surname_initials": [_initials(s) for s in surnames],
        "given_names": names,
        "given_initials": name_initials,
        "region_codes": [r[0] for r in regions],
        "region_names": [r[1] for r in regions],
        "region_pick": _weighted([(i, r[2]) for i, r in enumerate(regions)], 100),
        "villages": list(VILLAGES),
        "foreign_names": [f[0] for f in FOREIGNERS],
        "foreign_initials": ["".join(w[0] for w in f[0].split()).lower() for f in FOREIGNERS],
        "foreign_nations": [f[1] for f in FOREIGNERS],
        "occupations": list(OCCUPATIONS),
        "mobile_prefixes": list(MOBILE_PREFIXES),
        "shop_categories": [c[0] for c in SHOP_CATEGORIES],
        "shop_category_pick": categories,
        "shop_suffixes": [list(c[2]) for c in SHOP_CATEGORIES],
        "shop_prefixes": list(SHOP_PREFIXES),
    }


def _run(cur: duckdb.DuckDBPyConnection, name: str, shared: dict[str, Any], **params: Any):
    """db.run with those of the shared and given parameters that the query declares."""
    wanted = db.query(f"demo/{name}").params
    given = {**shared, **params}
    return db.run(cur, f"demo/{name}", **{k: v for k, v in given.items() if k in wanted})


def generate(
    cur: duckdb.DuckDBPyConnection,
    residents: int,
    seed: int = 1,
    progress: Progress | None = None,
) -> dict:
    """Fill household, resident, house, shop and import-tag rows for every grid in org_unit.

    Everything is computed in SQL from hash(seed, …), so the same seed on the same day gives
    the same district; ids continue after the largest ids already in the tables. Rows are
    written street by street so that memory stays flat at any size, all in one transaction
    (the caller's, if `cur` is already in one). Returns the counts of generated rows.
    """
    started = time.perf_counter()
    if residents <= 0:
        return {"residents": 0}
    own_transaction = not _in_transaction(cur)
    if own_transaction:
        cur.begin()
    try:
        result = _fill(cur, residents, seed, progress or (lambda step, fraction: None))
    except BaseException:
        if own_transaction:
            cur.rollback()
        raise
    if own_transaction:
        cur.commit()
    if progress:
        progress("完成", 1.0)
    return {**result, "seconds": round(time.perf_counter() - started, 2)}


def _in_transaction(cur: duckdb.DuckDBPyConnection) -> bool:
    # A failed BEGIN would abort the caller's transaction, so ask instead of trying.
    first, second = (_run(cur, "transaction_id", {}).fetchone()[0] for _ in range(2))
    return first == second


def _fill(cur: duckdb.DuckDBPyConnection, residents: int, seed: int, report: Progress) -> dict:
    shared = _params(seed)
    templates, members = _template_rows()
    template_pick = _weighted([(t["t"], t["weight"]) for t in templates], 10_000)
    by_code = {t["code"]: t["t"] for t in templates}
    group_pick = _weighted([(by_code[c], w) for c, w in GROUP_TEMPLATES], 100)
    streets = _streets(cur)
    if not streets:
        raise ValueError("org_unit has no streets: load the catalogue before generating")
    street_names = {s["street_code"]: s.pop("name") for s in streets}

    report("准备", 0.0)
    base = dict(
        zip(
            ("resident", "household", "house", "shop"),
            _run(cur, "max_ids", {}).fetchone(),
            strict=True,
        )
    )
    _run(cur, "create_rand_macro", {})
    _run(cur, "create_templates", {}, templates=templates)
    _run(cur, "create_template_members", {}, members=members)
    _run(cur, "create_grids", shared, residents=residents, streets=streets)

    report("生成户和房屋", 0.02)
    _run(
        cur,
        "create_households",
        shared,
        residents=residents,
        candidates=residents // 2 + 100,
        household_base=base["household"],
        resident_base=base["resident"],
        house_base=base["house"],
        template_pick=template_pick,
        group_pick=group_pick,
        group_block_pm=GROUP_BLOCK_PM,
        vacant_pm=VACANT_PM,
        forced_newborns=FORCED_NEWBORNS_PER_STREET,
    )
    _run(
        cur,
        "create_grid_stats",
        shared,
        residents_per_shop=RESIDENTS_PER_SHOP,
        shop_base=base["shop"],
    )
    _run(cur, "create_place_macro", shared)
    _run(cur, "create_member_macro", shared)
    report("编排身份证号", 0.06)
    _run(cur, "create_id_sequences", shared)
    overflow = _run(cur, "id_sequence_overflow", shared).fetchone()[0]
    if overflow:
        raise RuntimeError(f"{overflow} residents beyond 499 per id region, birth date and sex")

    ranges = _run(cur, "street_ranges", shared).fetchall()
    for i, (street, *bounds) in enumerate(ranges):
        report(f"写入{street_names[street]}", 0.1 + 0.8 * i / len(ranges))
        window = dict(zip(("hh_lo", "hh_hi", "res_lo", "res_hi"), bounds, strict=True))
        for query in ("insert_residents", "insert_households", "insert_houses"):
            _run(cur, query, shared, **window)
    report("写入商铺", 0.9)
    _run(cur, "insert_shops", shared)
    report("导入标签", 0.95)
    _run(cur, "insert_import_tags", shared, resident_base=base["resident"])
    counts = _run(cur, "generated_counts", shared, **{f"{k}_base": v for k, v in base.items()})
    names = ("residents", "households", "houses", "shops", "import_tags")
    result = dict(zip(names, counts.fetchone(), strict=True))
    for drop in DROPS:
        _run(cur, drop, shared)
    return result
