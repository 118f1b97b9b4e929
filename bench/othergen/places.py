"""Where things are: Chinese production places and ports, EU entry points, importer countries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """One administrative part of a Chinese place name: 汕头市 / Shantou."""

    zh: str
    pinyin: str
    cantonese: str = ""
    postal: str = ""  # pre-pinyin postal romanisation still seen on old letterheads


@dataclass(frozen=True)
class Place:
    """A production or trading place in China, with the ports its goods leave from."""

    key: str
    province_zh: str
    province: str
    segments: tuple[Segment, ...]
    region: str  # GB/T 2260 code, digits 3-8 of a USCC
    postcode: str
    ports: tuple[tuple[str, float], ...]
    ciq_office: str
    towns: tuple[tuple[str, str], ...] = ()

    @property
    def pearl_river(self) -> bool:
        """True where Cantonese romanisations are common (the Pearl River Delta)."""
        return any(s.cantonese for s in self.segments)


_GD = ("广东省", "Guangdong")
_ZJ = ("浙江省", "Zhejiang")
_JS = ("江苏省", "Jiangsu")
_FJ = ("福建省", "Fujian")

_SHANTOU = Segment("汕头市", "Shantou", "", "Swatow")
_SHENZHEN = Segment("深圳市", "Shenzhen", "Shenzhen")
_DONGGUAN = Segment("东莞市", "Dongguan", "Tungkun")
_GUANGZHOU = Segment("广州市", "Guangzhou", "Guangzhou", "Canton")
_FOSHAN = Segment("佛山市", "Foshan", "Fatshan")
_ZHONGSHAN = Segment("中山市", "Zhongshan", "Chungshan")
_JIANGMEN = Segment("江门市", "Jiangmen", "Kongmoon")
_NINGBO = Segment("宁波市", "Ningbo")
_XIAMEN = Segment("厦门市", "Xiamen", "", "Amoy")

PLACES: dict[str, Place] = {p.key: p for p in (
    Place("chenghai", *_GD, (_SHANTOU, Segment("澄海区", "Chenghai")), "440515", "515800",
          (("CNSWA", 0.35), ("CNYTN", 0.35), ("CNSHK", 0.3)), "chenghai",
          (("莲下镇", "Lianxia"), ("凤翔街道", "Fengxiang"), ("澄华街道", "Chenghua"), ("广益街道", "Guangyi"),
           ("溪南镇", "Xinan"), ("莲上镇", "Lianshang"))),
    Place("shantou", *_GD, (_SHANTOU, Segment("龙湖区", "Longhu")), "440507", "515041",
          (("CNSWA", 0.5), ("CNYTN", 0.3), ("CNSHK", 0.2)), "shantou"),
    Place("shenzhen", *_GD, (_SHENZHEN, Segment("宝安区", "Bao'an", "Po On")), "440306", "518101",
          (("CNYTN", 0.6), ("CNSHK", 0.4)), "shenzhen", (("沙井街道", "Shajing"), ("福永街道", "Fuyong"))),
    Place("longgang", *_GD, (_SHENZHEN, Segment("龙岗区", "Longgang", "Lung Kong")), "440307", "518172",
          (("CNYTN", 0.8), ("CNSHK", 0.2)), "shenzhen", (("横岗街道", "Henggang"), ("平湖街道", "Pinghu"))),
    Place("dongguan", *_GD, (_DONGGUAN,), "441900", "523000", (("CNYTN", 0.5), ("CNSHK", 0.3), ("CNNSA", 0.2)),
          "dongguan", (("茶山镇", "Chashan"), ("长安镇", "Chang'an"), ("清溪镇", "Qingxi"), ("樟木头镇", "Zhangmutou"))),
    Place("guangzhou", *_GD, (_GUANGZHOU, Segment("番禺区", "Panyu", "Poon Yue")), "440113", "511400",
          (("CNNSA", 0.6), ("CNSHK", 0.25), ("CNYTN", 0.15)), "guangzhou"),
    Place("shunde", *_GD, (_FOSHAN, Segment("顺德区", "Shunde", "Shun Tak")), "440606", "528300",
          (("CNNSA", 0.4), ("CNSHK", 0.4), ("CNYTN", 0.2)), "foshan",
          (("北滘镇", "Beijiao"), ("容桂街道", "Ronggui"), ("勒流街道", "Leliu"))),
    Place("zhongshan", *_GD, (_ZHONGSHAN,), "442000", "528400", (("CNSHK", 0.45), ("CNNSA", 0.3), ("CNYTN", 0.25)),
          "zhongshan", (("古镇镇", "Guzhen"), ("小榄镇", "Xiaolan"), ("东凤镇", "Dongfeng"))),
    Place("jiangmen", *_GD, (_JIANGMEN,), "440700", "529000", (("CNSHK", 0.5), ("CNYTN", 0.3), ("CNNSA", 0.2)),
          "jiangmen"),
    Place("ningbo", *_ZJ, (_NINGBO, Segment("鄞州区", "Yinzhou")), "330212", "315100",
          (("CNNGB", 0.9), ("CNSHA", 0.1)), "ningbo"),
    Place("cixi", *_ZJ, (Segment("慈溪市", "Cixi"),), "330282", "315300", (("CNNGB", 0.95), ("CNSHA", 0.05)),
          "ningbo", (("观海卫镇", "Guanhaiwei"), ("周巷镇", "Zhouxiang"), ("坎墩街道", "Kandun"))),
    Place("yuyao", *_ZJ, (Segment("余姚市", "Yuyao"),), "330281", "315400", (("CNNGB", 0.9), ("CNSHA", 0.1)),
          "ningbo"),
    Place("yiwu", *_ZJ, (Segment("义乌市", "Yiwu"),), "330782", "322000", (("CNNGB", 0.7), ("CNSHA", 0.3)), "yiwu",
          (("稠城街道", "Choucheng"), ("北苑街道", "Beiyuan"), ("佛堂镇", "Fotang"))),
    Place("yueqing", *_ZJ, (Segment("乐清市", "Yueqing"),), "330382", "325600", (("CNNGB", 0.6), ("CNSHA", 0.4)),
          "wenzhou", (("柳市镇", "Liushi"), ("北白象镇", "Beibaixiang"))),
    Place("yongkang", *_ZJ, (Segment("永康市", "Yongkang"),), "330784", "321300", (("CNNGB", 0.8), ("CNSHA", 0.2)),
          "yiwu"),
    Place("yunhe", *_ZJ, (Segment("云和县", "Yunhe"),), "331125", "323600", (("CNNGB", 0.7), ("CNSHA", 0.3)),
          "lishui"),
    Place("hangzhou", *_ZJ, (Segment("杭州市", "Hangzhou"), Segment("萧山区", "Xiaoshan")), "330109", "311200",
          (("CNNGB", 0.5), ("CNSHA", 0.5)), "hangzhou"),
    Place("huangyan", *_ZJ, (Segment("台州市", "Taizhou"), Segment("黄岩区", "Huangyan")), "331003", "318020",
          (("CNNGB", 0.8), ("CNSHA", 0.2)), "taizhou"),
    Place("yangzhou", *_JS, (Segment("扬州市", "Yangzhou"),), "321000", "225000", (("CNSHA", 0.85), ("CNNGB", 0.15)),
          "yangzhou", (("头桥镇", "Touqiao"), ("杭集镇", "Hangji"))),
    Place("suzhou", *_JS, (Segment("苏州市", "Suzhou"),), "320500", "215000", (("CNSHA", 0.9), ("CNNGB", 0.1)),
          "suzhou"),
    Place("changzhou", *_JS, (Segment("常州市", "Changzhou"),), "320400", "213000", (("CNSHA", 1.0),), "changzhou"),
    Place("jinjiang", *_FJ, (Segment("晋江市", "Jinjiang"),), "350582", "362200", (("CNXMN", 0.8), ("CNFOC", 0.2)),
          "quanzhou"),
    Place("quanzhou", *_FJ, (Segment("泉州市", "Quanzhou"),), "350500", "362000", (("CNXMN", 0.8), ("CNFOC", 0.2)),
          "quanzhou"),
    Place("xiamen", *_FJ, (_XIAMEN,), "350200", "361000", (("CNXMN", 1.0),), "xiamen"),
    Place("shanghai", "上海市", "Shanghai", (Segment("上海市", "Shanghai"),), "310114", "201800",
          (("CNSHA", 1.0),), "shanghai"),
    Place("qingdao", "山东省", "Shandong", (Segment("青岛市", "Qingdao"),), "370200", "266000", (("CNTAO", 1.0),),
          "qingdao"),
)}

# Where factories of each category are, weighted: Chenghai makes a large part of the world's plastic
# toys, Yangzhou plush, Yunhe wooden toys, Cixi/Shunde small appliances, Zhongshan-Guzhen lighting.
FACTORY_PLACES: dict[str, tuple[tuple[str, float], ...]] = {
    "Toys": (("chenghai", 0.38), ("dongguan", 0.1), ("shenzhen", 0.05), ("longgang", 0.05), ("yangzhou", 0.08),
             ("yiwu", 0.06), ("ningbo", 0.04), ("yunhe", 0.05), ("guangzhou", 0.04), ("jinjiang", 0.03),
             ("huangyan", 0.03), ("shantou", 0.04), ("suzhou", 0.02), ("qingdao", 0.03)),
    "Childcare articles and children's equipment": (
        ("ningbo", 0.18), ("zhongshan", 0.12), ("guangzhou", 0.12), ("dongguan", 0.12), ("chenghai", 0.08),
        ("hangzhou", 0.1), ("suzhou", 0.08), ("xiamen", 0.06), ("shanghai", 0.06), ("shenzhen", 0.04),
        ("yuyao", 0.04)),
    "Electrical appliances and equipment": (
        ("cixi", 0.2), ("shunde", 0.2), ("zhongshan", 0.1), ("shenzhen", 0.1), ("longgang", 0.05), ("yueqing", 0.1),
        ("yongkang", 0.06), ("jiangmen", 0.06), ("yuyao", 0.05), ("suzhou", 0.03), ("shanghai", 0.03),
        ("ningbo", 0.02)),
    "Lighting equipment": (("zhongshan", 0.35), ("shenzhen", 0.15), ("ningbo", 0.12), ("jiangmen", 0.1),
                           ("shunde", 0.1), ("hangzhou", 0.1), ("changzhou", 0.08)),
    "Lighting chains": (("zhongshan", 0.3), ("ningbo", 0.2), ("hangzhou", 0.15), ("yiwu", 0.15), ("shenzhen", 0.1),
                        ("changzhou", 0.1)),
    "Hobby/sports equipment": (("shenzhen", 0.45), ("longgang", 0.25), ("dongguan", 0.15), ("yongkang", 0.15)),
}

TRADER_PLACES: tuple[tuple[str, float], ...] = (
    ("shenzhen", 0.14), ("longgang", 0.05), ("guangzhou", 0.12), ("chenghai", 0.08), ("shantou", 0.06),
    ("ningbo", 0.14), ("yiwu", 0.1), ("shanghai", 0.1), ("xiamen", 0.06), ("hangzhou", 0.05), ("dongguan", 0.04),
    ("qingdao", 0.03), ("suzhou", 0.02), ("quanzhou", 0.01))

# CIQ bureaus and branch offices, named as their certificates are; the code heads certificate numbers.
CIQ_OFFICES: dict[str, tuple[str, str]] = {
    "chenghai": ("Chenghai CIQ", "440515"), "shantou": ("Shantou CIQ", "440500"),
    "shenzhen": ("Shenzhen CIQ", "440300"), "dongguan": ("Dongguan CIQ", "441900"),
    "guangzhou": ("Guangdong CIQ", "440000"), "foshan": ("Foshan CIQ", "440600"),
    "zhongshan": ("Zhongshan CIQ", "442000"), "jiangmen": ("Jiangmen CIQ", "440700"),
    "ningbo": ("Ningbo CIQ", "330200"), "yiwu": ("Yiwu CIQ", "330782"), "wenzhou": ("Wenzhou CIQ", "330300"),
    "lishui": ("Lishui CIQ", "331100"), "hangzhou": ("Zhejiang CIQ", "330000"), "taizhou": ("Taizhou CIQ", "331000"),
    "yangzhou": ("Yangzhou CIQ", "321000"), "suzhou": ("Suzhou CIQ", "320500"),
    "changzhou": ("Changzhou CIQ", "320400"), "quanzhou": ("Quanzhou CIQ", "350500"),
    "xiamen": ("Xiamen CIQ", "350200"), "shanghai": ("Shanghai CIQ", "310000"), "qingdao": ("Shandong CIQ", "370000"),
}

# Chinese ports of loading: (customs district code that heads declaration numbers, region of the coast).
CN_PORTS: dict[str, tuple[str, str]] = {
    "CNYTN": ("5316", "south"), "CNSHK": ("5304", "south"), "CNSWA": ("6001", "south"), "CNNSA": ("5166", "south"),
    "CNXMN": ("3702", "south"), "CNFOC": ("3501", "south"), "CNNGB": ("3104", "east"), "CNSHA": ("2248", "east"),
    "CNTAO": ("4218", "north"),
    # inland rail terminals of the China-Europe trains (from 2015 in this model)
    "CNYIW": ("2958", "rail"), "CNCKG": ("8001", "rail"), "CNCGO": ("4601", "rail"),
}


@dataclass(frozen=True)
class EntryPoint:
    """An EU entry point: how far it is from China, how much it checks, who checks."""

    locode: str
    country: str
    sea: str  # "north", "med" or "rail"
    check_factor: float
    customs: str
    surveillance: str


ENTRY_POINTS: dict[str, EntryPoint] = {e.locode: e for e in (
    EntryPoint("NLRTM", "NL", "north", 0.9, "Douane Rotterdam Rijnmond", "NVWA"),
    EntryPoint("DEHAM", "DE", "north", 1.4, "Hauptzollamt Hamburg-Hafen", "Amt für Arbeitsschutz Hamburg"),
    EntryPoint("DEBRV", "DE", "north", 1.1, "Hauptzollamt Bremen", "Gewerbeaufsicht Bremen"),
    EntryPoint("BEANR", "BE", "north", 0.8, "Douane Antwerpen", "FOD Economie"),
    EntryPoint("GBFXT", "GB", "north", 1.0, "HMRC Felixstowe", "Suffolk Trading Standards"),
    EntryPoint("GBSOU", "GB", "north", 0.9, "Border Force Southampton", "Southampton Trading Standards"),
    EntryPoint("FRLEH", "FR", "north", 1.0, "Douane du Havre", "DGCCRF"),
    EntryPoint("PLGDN", "PL", "north", 1.2, "Izba Administracji Skarbowej Gdańsk", "Inspekcja Handlowa Gdańsk"),
    EntryPoint("ITGOA", "IT", "med", 1.2, "ADM Ufficio delle Dogane di Genova", "ADM Laboratorio Chimico Genova"),
    EntryPoint("ITSPE", "IT", "med", 1.0, "ADM Ufficio delle Dogane della Spezia", "ADM Laboratorio Chimico Genova"),
    EntryPoint("ESVLC", "ES", "med", 1.1, "Aduana de Valencia", "SOIVRE Valencia"),
    EntryPoint("ESALG", "ES", "med", 0.8, "Aduana de Algeciras", "SOIVRE Algeciras"),
    EntryPoint("PTSIE", "PT", "med", 0.8, "Alfândega de Sines", "ASAE"),
    EntryPoint("GRPIR", "GR", "med", 0.7, "Piraeus Customs", "General Secretariat of Commerce"),
    EntryPoint("SIKOP", "SI", "med", 0.8, "FURS Koper", "Tržni inšpektorat RS"),
    EntryPoint("DEDUI", "DE", "rail", 1.0, "Hauptzollamt Duisburg", "Bezirksregierung Düsseldorf"),
)}

# Importers by country (weights) and the entry points their goods come through.
IMPORTER_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("DE", 0.22), ("GB", 0.16), ("NL", 0.1), ("FR", 0.1), ("IT", 0.09), ("ES", 0.08), ("BE", 0.05), ("PL", 0.06),
    ("CZ", 0.03), ("AT", 0.03), ("DK", 0.02), ("SE", 0.02), ("HU", 0.02), ("GR", 0.01), ("PT", 0.01))

ROUTING: dict[str, tuple[tuple[str, float], ...]] = {
    "DE": (("DEHAM", 0.5), ("NLRTM", 0.2), ("DEBRV", 0.15), ("BEANR", 0.08), ("DEDUI", 0.07)),
    "GB": (("GBFXT", 0.65), ("GBSOU", 0.25), ("NLRTM", 0.1)),
    "NL": (("NLRTM", 0.9), ("BEANR", 0.1)),
    "FR": (("FRLEH", 0.7), ("BEANR", 0.2), ("NLRTM", 0.1)),
    "IT": (("ITGOA", 0.55), ("ITSPE", 0.35), ("GRPIR", 0.1)),
    "ES": (("ESVLC", 0.75), ("ESALG", 0.25)),
    "BE": (("BEANR", 0.8), ("NLRTM", 0.2)),
    "PL": (("PLGDN", 0.55), ("DEHAM", 0.35), ("DEDUI", 0.1)),
    "CZ": (("DEHAM", 0.6), ("SIKOP", 0.2), ("NLRTM", 0.2)),
    "AT": (("SIKOP", 0.4), ("DEHAM", 0.4), ("NLRTM", 0.2)),
    "DK": (("DEHAM", 0.6), ("NLRTM", 0.4)),
    "SE": (("DEHAM", 0.4), ("NLRTM", 0.3), ("PLGDN", 0.3)),
    "HU": (("SIKOP", 0.6), ("DEHAM", 0.4)),
    "GR": (("GRPIR", 1.0),),
    "PT": (("PTSIE", 0.6), ("ESALG", 0.4)),
}

NON_EU_DESTINATIONS: tuple[tuple[str, str, float], ...] = (
    ("US", "USLAX", 0.4), ("US", "USNYC", 0.15), ("RU", "RULED", 0.1), ("AE", "AEJEA", 0.1), ("AU", "AUSYD", 0.08),
    ("JP", "JPTYO", 0.07), ("NO", "NOOSL", 0.05), ("CH", "", 0.05))

# Mean transit days from the coast of loading to the entry point.
TRANSIT_DAYS: dict[tuple[str, str], float] = {
    ("south", "north"): 31, ("east", "north"): 34, ("north", "north"): 36,
    ("south", "med"): 25, ("east", "med"): 28, ("north", "med"): 30,
    ("south", "rail"): 19, ("east", "rail"): 17, ("north", "rail"): 18,
}
