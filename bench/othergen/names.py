"""Chinese company names, their official English, and the ways EU declarants write them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from .places import Place


@dataclass(frozen=True)
class Syllable:
    """A character of a trade name (字号) and its readings."""

    zh: str
    pinyin: str
    cantonese: str
    meaning: str
    misreading: str = ""  # a wrong but common reading of a polyphonic character


SYLLABLES: tuple[Syllable, ...] = tuple(Syllable(*row) for row in (
    ("华", "hua", "wah", "China"), ("美", "mei", "mei", "Beauty"), ("明", "ming", "ming", "Bright"),
    ("珠", "zhu", "chu", "Pearl"), ("星", "xing", "sing", "Star"), ("达", "da", "tat", "Success"),
    ("通", "tong", "tung", "Link"), ("业", "ye", "yip", "Enterprise"), ("宏", "hong", "wang", "Grand"),
    ("兴", "xing", "hing", "Prosper"), ("金", "jin", "kam", "Golden"), ("盛", "sheng", "shing", "Flourish"),
    ("发", "fa", "fat", "Fortune"), ("利", "li", "lee", "Profit"), ("源", "yuan", "yuen", "Source"),
    ("丰", "feng", "fung", "Rich"), ("恒", "heng", "hang", "Ever"), ("泰", "tai", "tai", "Peace"),
    ("隆", "long", "lung", "Prosperity"), ("顺", "shun", "shun", "Smooth"), ("佳", "jia", "kai", "Fine"),
    ("乐", "le", "lok", "Joy", "yue"), ("宝", "bao", "po", "Treasure"), ("康", "kang", "hong", "Health"),
    ("安", "an", "on", "Safe"), ("德", "de", "tak", "Virtue"), ("祥", "xiang", "cheung", "Lucky"),
    ("瑞", "rui", "sui", "Auspicious"), ("嘉", "jia", "ka", "Excellent"), ("豪", "hao", "ho", "Grand"),
    ("鑫", "xin", "yam", "Wealth"), ("鸿", "hong", "hung", "Swan"), ("博", "bo", "pok", "Broad"),
    ("新", "xin", "sun", "New"), ("天", "tian", "tin", "Sky"), ("海", "hai", "hoi", "Ocean"),
    ("亚", "ya", "ah", "Asia"), ("东", "dong", "tung", "East"), ("南", "nan", "nam", "South"),
    ("永", "yong", "wing", "Ever"), ("大", "da", "tai", "Great"), ("万", "wan", "man", "Million"),
    ("家", "jia", "ka", "Home"), ("福", "fu", "fook", "Fortune"), ("成", "cheng", "shing", "Success"),
    ("信", "xin", "shun", "Trust"), ("和", "he", "wo", "Harmony"), ("贝", "bei", "pui", "Baby"),
    ("童", "tong", "tung", "Kids"), ("益", "yi", "yik", "Benefit"), ("智", "zhi", "chi", "Smart"),
    ("创", "chuang", "chong", "Create"), ("奇", "qi", "kei", "Wonder"), ("艺", "yi", "ngai", "Art"),
    ("彩", "cai", "choi", "Colour"), ("虹", "hong", "hung", "Rainbow"), ("龙", "long", "lung", "Dragon"),
    ("凤", "feng", "fung", "Phoenix"), ("胜", "sheng", "sing", "Victory"), ("科", "ke", "fo", "Tech"),
    ("腾", "teng", "tang", "Soar"), ("越", "yue", "yuet", "Beyond"), ("飞", "fei", "fei", "Fly"),
    ("骏", "jun", "chun", "Steed"), ("力", "li", "lik", "Power"), ("锦", "jin", "kam", "Brocade"),
    ("荣", "rong", "wing", "Glory"), ("昌", "chang", "cheong", "Prosperous"), ("辉", "hui", "fai", "Brilliant"),
    ("洋", "yang", "yeung", "Ocean"), ("威", "wei", "wai", "Mighty"), ("晨", "chen", "sun", "Morning"),
    ("阳", "yang", "yeung", "Sun"), ("光", "guang", "kwong", "Light"), ("正", "zheng", "ching", "Upright"),
    ("立", "li", "lap", "Stand"), ("方", "fang", "fong", "Square"), ("中", "zhong", "chung", "Central"),
    ("联", "lian", "luen", "United"), ("群", "qun", "kwan", "Group"), ("友", "you", "yau", "Friend"),
    ("长", "chang", "cheung", "Long", "zhang"), ("行", "xing", "hang", "Go", "hang"), ("银", "yin", "ngan", "Silver"),
    ("玉", "yu", "yuk", "Jade"), ("喜", "xi", "hei", "Happy"), ("展", "zhan", "chin", "Expand"),
    ("俊", "jun", "chun", "Smart"), ("森", "sen", "sum", "Forest"), ("雅", "ya", "nga", "Elegant"),
))

ENGLISH_TRADE_WORDS = ("Golden", "Sunny", "Star", "Rainbow", "Happy", "Smart", "Lucky", "Bright", "Wonder", "Joy",
                       "Kids", "Dragon", "Pearl", "Jade", "Orient", "Pacific", "Ever", "Win", "Grand", "Top", "Best",
                       "Magic", "Dream", "Fun", "Ace", "Prime", "Sun", "Glory", "Sky", "Unique")


@dataclass(frozen=True)
class Wording:
    """A trade or legal form: Chinese, the usual English, and other English ways of writing it."""

    zh: str
    en: str
    variants: tuple[str, ...]
    short: str = ""  # what is left in a short trade form (``Tong Ye Toys``)


INDUSTRIES: dict[str, Wording] = {
    "toys": Wording("玩具", "Toys", ("Toy", "Toys Industrial", "Toys Industry", "Toys Mfg"), "Toys"),
    "plastic_toys": Wording("塑胶玩具", "Plastic Toys", ("Plastic Toy", "Plastics Toys", "Plastic & Toys"), "Toys"),
    "plush_toys": Wording("毛绒玩具", "Plush Toys", ("Stuffed Toys", "Plush Toy", "Soft Toys"), "Toys"),
    "wooden_toys": Wording("木制玩具", "Wooden Toys", ("Wooden Toy", "Wood Toys", "Wooden Products"), "Toys"),
    "baby": Wording("婴童用品", "Baby Products", ("Baby & Kids Products", "Infant Products", "Baby Product"), "Baby"),
    "children": Wording("儿童用品", "Children's Products", ("Children Products", "Kids Products", "Childrens Products"),
                        "Kids"),
    "plastics": Wording("塑胶制品", "Plastic Products", ("Plastic Prods", "Plastics", "Plastic Product"), "Plastic"),
    "electrical": Wording("电器", "Electrical Appliances", ("Electric Appliance", "Elec. Appliances",
                                                          "Electrical Appliance", "Electric Appliances"), "Electric"),
    "electronics": Wording("电子", "Electronics", ("Electronic", "Elec.", "Electronics Tech"), "Electronics"),
    "household": Wording("家用电器", "Household Appliances", ("Home Appliances", "Household Electrical Appliances",
                                                            "Household Appliance"), "Appliances"),
    "e_tech": Wording("电子科技", "Electronic Technology", ("Electronics Technology", "Electronic Tech.",
                                                         "Electronic Tech"), "Electronic"),
    "lighting": Wording("灯饰", "Lighting", ("Lightings", "Lamps", "Lighting Appliance"), "Lighting"),
    "lighting_el": Wording("照明电器", "Lighting Electrical Appliances", ("Lighting Appliance", "Lighting Electric",
                                                                      "Lighting"), "Lighting"),
    "smart_tech": Wording("智能科技", "Intelligent Technology", ("Smart Technology", "Intelligence Tech",
                                                              "Intelligent Tech"), "Smart"),
    "industrial": Wording("实业", "Industrial", ("Industry", "Industries", "Ind."), "Industrial"),
    "imp_exp": Wording("进出口", "Import & Export", ("Imp & Exp", "Imp. & Exp.", "I/E", "Import and Export",
                                                  "IMP&EXP", "Imp/Exp", "Import Export"), "Imp & Exp"),
    "trading": Wording("贸易", "Trading", ("Trade", "Trading Company", "Trading Co"), "Trading"),
    "intl_trading": Wording("国际贸易", "International Trading", ("Int'l Trading", "Intl Trade", "International Trade"),
                            "Trading"),
    "crafts_ie": Wording("工艺品进出口", "Arts & Crafts Import & Export", ("Arts & Crafts Imp & Exp", "Crafts I/E",
                                                                      "Arts and Crafts Imp. & Exp."), "Crafts"),
    "commerce": Wording("商贸", "Commerce & Trade", ("Trading", "Commercial", "Commerce and Trade"), "Trading"),
    "service": Wording("外贸综合服务", "Foreign Trade Service", ("Foreign Trade Services", "FT Service",
                                                            "Foreign Trade Comprehensive Service"), "Trade Service"),
}

FORMS: dict[str, Wording] = {
    "ltd": Wording("有限公司", "Co., Ltd.", ("CO., LTD", "CO LTD", "CO.,LTD", "CO.,LTD.", "Co. Ltd.",
                                           "Company Limited", "Co., Limited", "Limited", "LTD", "Ltd.", "Co.Ltd")),
    "factory": Wording("厂", "Factory", ("Fty", "Manufactory", "FTY.", "Factory Co.")),
    "products_factory": Wording("制品厂", "Products Factory", ("Products Fty", "Product Factory", "Prods Factory")),
    "stock": Wording("股份有限公司", "Co., Ltd.", ("Stock Co., Ltd.", "Corporation", "Corp., Ltd.",
                                                "Joint Stock Co., Ltd.", "CO LTD")),
    "group": Wording("集团有限公司", "Group Co., Ltd.", ("Group Ltd", "Group Company Limited", "Group Co Ltd",
                                                    "Group")),
}

CATEGORY_INDUSTRIES: dict[str, tuple[tuple[str, float], ...]] = {
    "Toys": (("toys", 0.45), ("plastic_toys", 0.2), ("plush_toys", 0.1), ("industrial", 0.1), ("plastics", 0.1),
             ("wooden_toys", 0.05)),
    "Childcare articles and children's equipment": (("baby", 0.45), ("children", 0.25), ("plastics", 0.2),
                                                    ("industrial", 0.1)),
    "Electrical appliances and equipment": (("electrical", 0.4), ("household", 0.2), ("electronics", 0.2),
                                            ("e_tech", 0.1), ("industrial", 0.1)),
    "Lighting equipment": (("lighting", 0.5), ("lighting_el", 0.3), ("electronics", 0.2)),
    "Lighting chains": (("lighting", 0.4), ("lighting_el", 0.3), ("electronics", 0.3)),
    "Hobby/sports equipment": (("smart_tech", 0.5), ("e_tech", 0.3), ("electronics", 0.2)),
}
TRADER_INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("imp_exp", 0.5), ("trading", 0.2), ("intl_trading", 0.1), ("industrial", 0.08), ("crafts_ie", 0.07),
    ("commerce", 0.05))


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    """Return one key of (key, weight) pairs, drawn by weight."""
    keys = [k for k, _ in weighted]
    return rng.choices(keys, weights=[w for _, w in weighted])[0]


@dataclass(frozen=True)
class CompanyName:
    """A Chinese company name in its parts, so every romanisation can be built from the same facts."""

    place: Place
    place_depth: int  # how many administrative segments the registered name carries
    trade: tuple[Syllable, ...]
    industry: str
    form: str
    trade_en: str  # an English trade name the company chose, or ""
    cantonese: bool  # whether the company's own English uses Cantonese readings

    @property
    def zh(self) -> str:
        """The registered Chinese name, e.g. 汕头市澄海区星达玩具厂."""
        segs = "".join(s.zh for s in self.place.segments[: self.place_depth])
        return segs + "".join(s.zh for s in self.trade) + INDUSTRIES[self.industry].zh + FORMS[self.form].zh

    def _city(self, postal: bool) -> list[str]:
        segs = self.place.segments[: self.place_depth]
        return [(s.postal or s.cantonese or s.pinyin) if postal else s.pinyin for s in segs]

    def _trade_official(self) -> str:
        if self.trade_en:
            return self.trade_en
        if self.cantonese:
            return " ".join(s.cantonese.capitalize() for s in self.trade)
        return "".join(s.pinyin for s in self.trade).capitalize()

    @property
    def en(self) -> str:
        """The English name the company registered with its Chinese authorities."""
        parts = self._city(False) + [self._trade_official(), INDUSTRIES[self.industry].en, FORMS[self.form].en]
        return " ".join(parts)

    def spelling(self, rng: random.Random, s: "NameKnobs", use_official: bool) -> str:
        """Return how one EU declarant writes this company's name (before per-declaration noise)."""
        if use_official and rng.random() < s.name_copy_exact:
            return self.en
        postal = rng.random() < s.old_romanisation
        if use_official:
            trade = self._trade_official()
        elif self.trade_en and rng.random() < 0.4:
            trade = self.trade_en
        else:
            canto = self.place.pearl_river and rng.random() < s.name_cantonese
            trade = _romanise(self.trade, rng, canto, s.name_pinyin_spaced)
        industry_w = INDUSTRIES[self.industry]
        industry = rng.choice(industry_w.variants) if rng.random() < s.name_industry_variant else industry_w.en
        form_w = FORMS[self.form]
        form = rng.choice(form_w.variants) if rng.random() < s.name_suffix_variant else form_w.en
        city = self._city(postal) if use_official or rng.random() < 0.8 else self._city(postal)[:1]
        if rng.random() < s.name_short:
            tokens = [trade, industry_w.short or industry]
            if rng.random() < 0.3:
                tokens.append(form)
            return " ".join(tokens)
        r = rng.random()
        if r < s.name_city_drop or not city:
            return " ".join([trade, industry, form])
        if r < s.name_city_drop + s.name_city_paren:
            where = f"({' '.join(city[:1])})"
            if rng.random() < 0.5:
                return " ".join([trade, industry, where, form])
            return " ".join([trade, industry, form, where])
        return " ".join(city + [trade, industry, form])

    def hk_affiliate(self, rng: random.Random) -> str:
        """Return the name of the company's Hong Kong invoicing affiliate."""
        trade = (" ".join(s.cantonese.upper() for s in self.trade) if rng.random() < 0.5
                 else "".join(s.pinyin for s in self.trade).upper())
        return rng.choice((f"{trade} (HK) LIMITED", f"{trade} INDUSTRIAL (HONG KONG) CO., LIMITED",
                           f"{trade} TRADING (H.K.) CO., LTD", f"HONG KONG {trade} INTERNATIONAL LIMITED"))


def _romanise(trade: tuple[Syllable, ...], rng: random.Random, cantonese: bool, spaced: float) -> str:
    if cantonese:
        return " ".join(s.cantonese.capitalize() for s in trade)
    syl = [s.misreading if s.misreading and rng.random() < 0.3 else s.pinyin for s in trade]
    if rng.random() < spaced:
        return " ".join(x.capitalize() for x in syl)
    if len(syl) == 4 and rng.random() < 0.5:
        return (syl[0] + syl[1]).capitalize() + " " + (syl[2] + syl[3]).capitalize()
    return "".join(syl).capitalize()


class NameKnobs(Protocol):
    """The knobs the spellings read (the settings have them all)."""

    @property
    def name_copy_exact(self) -> float: ...
    @property
    def old_romanisation(self) -> float: ...
    @property
    def name_cantonese(self) -> float: ...
    @property
    def name_pinyin_spaced(self) -> float: ...
    @property
    def name_industry_variant(self) -> float: ...
    @property
    def name_suffix_variant(self) -> float: ...
    @property
    def name_short(self) -> float: ...
    @property
    def name_city_drop(self) -> float: ...
    @property
    def name_city_paren(self) -> float: ...


def new_trade(rng: random.Random, taken: set[str]) -> tuple[Syllable, ...]:
    """Return a trade name (字号) of 2 to 4 characters not yet used."""
    while True:
        n = rng.choices((2, 3, 4), weights=(0.75, 0.1, 0.15))[0]
        trade = tuple(rng.sample(SYLLABLES, n))
        key = "".join(s.zh for s in trade)
        if key not in taken:
            taken.add(key)
            return trade


def english_trade(rng: random.Random, trade: tuple[Syllable, ...]) -> str:
    """Return an English trade name: the characters' meanings (金星 → Golden Star) or a brand-like word pair."""
    if rng.random() < 0.5 and len(trade) == 2:
        return " ".join(s.meaning for s in trade)
    return " ".join(rng.sample(ENGLISH_TRADE_WORDS, 2))


_KEYBOARD = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb",
    "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol",
    "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc",
    "y": "tghu", "z": "asx",
}


def typo(text: str, rng: random.Random) -> str:
    """Return the text with one typing error: a letter dropped, doubled, swapped, mistyped or added."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:])
    c = text[i]
    op = rng.choice(("drop", "double", "swap", "neighbour", "neighbour", "insert"))
    if op == "drop":
        return text[:i] + text[i + 1:]
    if op == "double":
        return text[:i] + c + text[i:]
    if op == "swap" and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + c + text[i + 2:]
    near = rng.choice(_KEYBOARD.get(c.lower(), "e"))
    # a mistyped key keeps the case around it, except now and then (SHENZHEi)
    near = near.upper() if c.isupper() and rng.random() < 0.85 else near
    if op == "insert":
        return text[:i + 1] + near + text[i + 1:]
    return text[:i] + near + text[i + 1:]


def spaces(text: str, rng: random.Random) -> str:
    """Return the text with a spacing slip: a doubled or missing space, or one at the end."""
    op = rng.choice(("double", "comma", "trail", "lead"))
    if op == "double" and " " in text:
        i = rng.choice([i for i, c in enumerate(text) if c == " "])
        return text[:i] + " " + text[i:]
    if op == "comma" and ", " in text:
        return text.replace(", ", ",", 1)
    if op == "lead":
        return " " + text
    return text + " "


@dataclass(frozen=True)
class Address:
    """A Chinese street address in its parts."""

    town: tuple[str, str] | None
    road: tuple[Syllable, Syllable]
    road_kind: int  # 0 路 Road, 1 大道 Avenue, 2 街 Street
    number: int
    zone: bool
    room: int | None

    def zh(self, place: Place) -> str:
        """The address as written in the CN registers."""
        out = place.province_zh if place.province_zh != place.segments[0].zh else ""
        out += "".join(s.zh for s in place.segments)
        if self.town:
            out += self.town[0]
        if self.zone:
            out += "工业区"
        out += self.road[0].zh + self.road[1].zh + ("路", "大道", "街")[self.road_kind] + f"{self.number}号"
        if self.room:
            out += f"{self.room}室"
        return out

    def en(self, place: Place, rng: random.Random) -> str:
        """The address as an EU declarant copies it from the invoice."""
        road = (self.road[0].pinyin + self.road[1].pinyin).capitalize()
        kind = rng.choice((("Road", "Rd", "Rd.", "Lu"), ("Avenue", "Ave", "Dadao"), ("Street", "St", "Jie"))[
            self.road_kind])
        parts = []
        if self.room:
            parts.append(rng.choice((f"Room {self.room}", f"RM{self.room}", f"Rm {self.room}")))
        parts.append(f"{rng.choice(('No.', 'No. ', ''))}{self.number} {road} {kind}")
        if self.zone:
            parts.append(rng.choice(("Industrial Zone", "Industrial Park", "Ind. Zone")))
        if self.town and rng.random() < 0.7:
            parts.append(f"{self.town[1]} {rng.choice(('Town', ''))}".strip())
        for seg in reversed(place.segments[1:]):
            suffix = {"区": "District", "市": "City", "县": "County", "镇": "Town"}.get(seg.zh[-1], "")
            parts.append(f"{seg.pinyin} {suffix}".strip())
        parts.append(place.segments[0].pinyin + (f" {place.postcode}" if rng.random() < 0.3 else ""))
        if rng.random() < 0.6 and place.province != place.segments[0].pinyin:
            parts.append(place.province)
        parts.append(rng.choice(("China", "P.R. China", "P.R.C.", "CN", "CHINA")))
        text = ", ".join(parts)
        return text.upper() if rng.random() < 0.6 else text


def new_address(rng: random.Random, place: Place, trader: bool) -> Address:
    """Return an address in a place: traders sit in office towers, factories in industrial zones."""
    town = rng.choice(place.towns) if place.towns and not trader and rng.random() < 0.7 else None
    road = (rng.choice(SYLLABLES), rng.choice(SYLLABLES))
    return Address(town, road, rng.choices((0, 1, 2), weights=(0.7, 0.2, 0.1))[0], rng.randint(1, 388),
                   not trader and rng.random() < 0.5, rng.randint(2, 32) * 100 + rng.randint(1, 20) if trader else None)
