"""Company names as the two sides write them, reduced to what they share: the trade-name core.

``汕头市澄海区星达玩具厂`` / ``Shantou Chenghai Xingda Toys Factory`` / ``XINGDA TOY FTY (SHANTOU)``
all reduce to ``xingda``: no legal suffix, goods word or place name, Chinese through pypinyin.
"""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin

LEGAL = frozenset(
    "co company ltd limited corp corporation inc llc fty factory manufactory ind industrial industry industries "
    "trading trade import export imp exp ie i e international intl manufacturing mfg enterprise enterprises group "
    "holdings the and of products product development dev".split()
)
GOODS = frozenset("toy toys plastic plastics electronic electronics crafts craft gift gifts".split())
_ZH_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "进出口", "国际贸易", "贸易", "国际", "实业", "制品", "塑胶",
                "电子", "工艺品", "玩具", "公司", "一厂", "厂", "集团", "（一厂）",
                # goods and trades a name ends with, before its legal form
                "外贸综合服务", "综合服务", "服务", "商贸", "毛绒", "婴童用品", "儿童用品", "母婴用品", "用品", "木制", "木业",
                "家用电器", "电器", "灯饰", "照明", "光电", "智能", "科技", "五金", "礼品", "文具", "体育", "日用品", "日用",
                "塑料", "工艺", "电子科技", "发展", "工贸", "制造", "织造", "纺织", "服装", "家具", "玩具礼品")
_ZH_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{1,3}?[省市区县])+")
WORD = re.compile(r"[a-z0-9]+")


def core_en(name: str, places: frozenset[str] = frozenset()) -> str:
    """The trade-name core of an English company name: ``XINGDA TOY FTY (SHANTOU)`` → ``xingda``."""
    words = [w for w in WORD.findall(name.casefold().replace("i/e", " ")) if w not in LEGAL and w not in GOODS]
    return "".join(w for w in words if w not in places) or "".join(words)


_ZH_UNIT = re.compile(r"([\u4e00-\u9fff]{1,3}?)[省市区县]")


def place_names_zh(name: str) -> list[str]:
    """The places a Chinese company name starts with, in pinyin: ``汕头市澄海区…`` → shantou, chenghai."""
    prefix = _ZH_PLACE.match(name.strip())
    return ["".join(lazy_pinyin(m)) for m in _ZH_UNIT.findall(prefix.group(0))] if prefix else []


def core_zh(name: str) -> str:
    """The trade-name core of a Chinese company name, in pinyin: ``汕头市澄海区星达玩具厂`` → ``xingda``."""
    core = _ZH_PLACE.sub("", name.strip())
    changed = True
    while changed:
        changed = False
        for suffix in _ZH_SUFFIXES:
            if core.endswith(suffix) and len(core) >= len(suffix) + 2:  # a trade name has two characters or more
                core, changed = core[: -len(suffix)], True
    return "".join(lazy_pinyin(core)).replace("'", "")
