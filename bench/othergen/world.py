"""Who trades: factories and their products, exporters, EU importers, and the ties between them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import catalogue, codes, names
from .catalogue import ProductType
from .names import Address, CompanyName
from .places import FACTORY_PLACES, IMPORTER_COUNTRIES, PLACES, ROUTING, TRADER_PLACES, Place
from .settings import Settings


@dataclass(eq=False)
class Product:
    """One model of one factory, with what is printed on it and what the CN register says."""

    factory: "Factory"
    model: str
    ptype: ProductType
    name_en: str
    brand_printed: str
    brand_listed: str
    gtin_printed: str
    gtin_listed: str
    private_label: "Importer | None"
    article: str  # the importer's own article number, for private-label goods
    mult: float
    faulty_design: bool
    launched: date
    retired: date


@dataclass(eq=False)
class Factory:
    """A manufacturer, with its true (hidden) quality over time."""

    uscc: str
    name: CompanyName
    name_en_listed: bool
    address: Address
    categories: tuple[str, ...]
    size: float
    small: bool
    class_i: bool
    ciq_registration: str
    brand: str
    gs1_prefix: str
    model_style: int
    batch_style: int
    bad: bool
    mult: float  # its multiplier when it is bad (or always, if ordinary)
    ordinary_mult: float  # before a bad factory's onset
    onset: date | None
    walk: list[float]  # log-multiplier random walk, one step per quarter
    active: tuple[date, date]
    products: list[Product] = field(default_factory=list)
    outlets: int = 0
    measures_from: date | None = None
    followup_until: date | None = None

    @property
    def place(self) -> Place:
        return self.name.place


@dataclass(eq=False)
class Importer:
    """An EU importer of record."""

    eori: str
    name: str
    country: str
    size: float
    qc: bool
    brand: str
    gs1_prefix: str
    routing: tuple[tuple[str, float], ...]


@dataclass(eq=False)
class Exporter:
    """The exporter of record on CN declarations: a trader, a trade-service agent or a factory itself."""

    uscc: str
    name: CompanyName
    name_en_listed: bool
    address: Address
    kind: str  # "trader", "agent" or "factory"
    size: float
    cheap: bool
    listed: bool
    active: tuple[date, date]
    factory: Factory | None = None
    suppliers: list[Factory] = field(default_factory=list)
    supplier_weights: list[float] = field(default_factory=list)
    customers: list[Importer] = field(default_factory=list)
    customer_weights: list[float] = field(default_factory=list)


@dataclass
class World:
    """Everyone in the simulation."""

    factories: list[Factory]
    exporters: list[Exporter]
    importers: list[Importer]
    products: list[Product]
    start: date
    end: date
    trades: set[str]  # trade names in use, so invented outsiders do not take one


def _count(rng: random.Random, expected: float) -> int:
    """Return expected rounded up or down at random, so small fractions still add up."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _active(rng: random.Random, start: date, end: date, turnover: float) -> tuple[date, date]:
    span = (end - start).days
    if rng.random() >= turnover:
        return start, end
    cut = start + timedelta(days=rng.randint(span // 10, span * 9 // 10))
    return (cut, end) if rng.random() < 0.5 else (start, cut)


def _uscc(rng: random.Random, place: Place, small: bool, seen: set[str]) -> str:
    while True:
        u = codes.uscc(rng, place.region, individual=small and rng.random() < 0.4, recent=rng.random() < 0.3)
        if u not in seen:
            seen.add(u)
            return u


_CIQ_LETTER = {catalogue.TOYS: "W", catalogue.CHILDCARE: "Y", catalogue.ELECTRICAL: "D", catalogue.LIGHTING: "Z",
               catalogue.CHAINS: "Z", catalogue.HOBBY: "T"}


def _factories(rng: random.Random, s: Settings, n: int, start: date, end: date, seen: set[str],
               trades: set[str]) -> list[Factory]:
    quarters = (end.year - start.year + 1) * 4
    sizes = sorted(rng.lognormvariate(0, s.volume_skew) for _ in range(n))
    median = sizes[len(sizes) // 2]
    rng.shuffle(sizes)
    out: list[Factory] = []
    for size in sizes:
        category = names.pick(rng, catalogue.CATEGORY_SHARES)
        categories: tuple[str, ...] = (category,)
        if rng.random() < 0.15:
            other = names.pick(rng, catalogue.CATEGORY_SHARES)
            if other != category and other != catalogue.HOBBY:
                categories += (other,)
        place = PLACES[names.pick(rng, FACTORY_PLACES[category])]
        small = size < median
        if small:
            form = "factory" if rng.random() < 0.7 else rng.choice(("ltd", "products_factory"))
        else:
            form = names.pick(rng, (("ltd", 0.65), ("stock", 0.1), ("group", 0.05), ("factory", 0.15),
                                    ("products_factory", 0.05)))
        industry = names.pick(rng, names.CATEGORY_INDUSTRIES[category])
        trade = names.new_trade(rng, trades)
        depth = len(place.segments) if rng.random() < 0.75 else 1
        name = CompanyName(place, depth, trade, industry, form,
                           names.english_trade(rng, trade) if rng.random() < s.trade_name_en_share else "",
                           place.pearl_river and rng.random() < 0.3)
        listed_share = s.factory_name_en_share + (-0.15 if small else 0.15)
        class_i = not small and rng.random() < 0.5
        uscc = _uscc(rng, place, small, seen)
        office_code = place.region
        registration = (f"{office_code}{_CIQ_LETTER[category]}{rng.randint(1, 9999):05d}"
                        if class_i or rng.random() < 0.4 else "")
        has_gs1 = rng.random() < (0.6 if not small else 0.2)
        ordinary = rng.lognormvariate(-s.factory_sigma**2 / 2, s.factory_sigma)
        out.append(Factory(
            uscc=uscc, name=name, name_en_listed=rng.random() < listed_share,
            address=names.new_address(rng, place, trader=False), categories=categories, size=size, small=small,
            class_i=class_i, ciq_registration=registration,
            brand=(name.trade_en or "".join(x.pinyin for x in trade)).upper() if rng.random() < 0.4 else "",
            gs1_prefix=f"69{rng.randint(10000, 99999)}" if has_gs1 else "",
            model_style=rng.randrange(5), batch_style=rng.randrange(4), bad=False, mult=ordinary,
            ordinary_mult=ordinary, onset=None,
            walk=_walk(rng, quarters, s.drift), active=_active(rng, start, end, s.company_turnover)))
    _mark_bad(rng, s, out, start, end)
    return out


def _walk(rng: random.Random, quarters: int, drift: float) -> list[float]:
    level, steps = 0.0, []
    sigma = drift / 2  # four quarterly steps make a yearly sigma of `drift`
    for _ in range(quarters):
        steps.append(level)
        level += rng.gauss(-sigma**2 / 2, sigma)  # centred so the multiplier's mean stays put
    return steps


def _mark_bad(rng: random.Random, s: Settings, factories: list[Factory], start: date, end: date) -> None:
    n_bad = _count(rng, len(factories) * s.bad_factory_share)
    pool = list(factories)
    weights = [f.size ** -s.small_bad_bias for f in pool]
    span = (end - start).days
    for _ in range(min(n_bad, len(pool))):
        i = rng.choices(range(len(pool)), weights=weights)[0]
        f = pool.pop(i)
        weights.pop(i)
        f.bad = True
        f.mult = s.bad_factory_mult * rng.lognormvariate(0, 0.4)
        if rng.random() < s.bad_onset_share:
            f.onset = start + timedelta(days=rng.randint(span // 8, span * 7 // 8))


_EU_NAMES = ("Happy Home", "Kidsworld", "Euro Bazar", "Tradex", "Playland", "Sun Trading", "Casa Nova", "Multi Deal",
             "Toy Planet", "Elektro Point", "Lumina", "Baby Star", "Family Shop", "Global Goods", "Mega Store",
             "Smart Living", "Top Price", "Dreamtoys", "Hometrend", "Brightline", "Funtastic", "Nordic Kids",
             "Blue Ocean", "Kingdom Toys", "Wonderland", "Silverline", "Go Europe", "Quickstar", "Jolly Bee",
             "Eurotrade", "Pro Light", "Max Home")
_QUALIFIERS = ("Import", "International", "Europe", "Distribution", "Trading", "Group", "Retail", "Wholesale",
               "Home", "Nord", "West", "Direct", "Trade", "Company", "Service", "Logistics")
_SURNAMES = {"DE": ("Müller", "Schmidt", "Becker", "Wagner", "Hoffmann"), "NL": ("de Vries", "Jansen", "Bakker", "Visser"),
             "GB": ("Smith", "Patel", "Johnson", "Khan"), "FR": ("Martin", "Bernard", "Dubois", "Lefèvre"),
             "IT": ("Rossi", "Russo", "Bianchi", "Esposito"), "ES": ("García", "López", "Martínez", "Sánchez"),
             "BE": ("Peeters", "Janssens", "Maes"), "PL": ("Nowak", "Kowalski", "Wiśniewski"),
             "CZ": ("Novák", "Svoboda"), "AT": ("Gruber", "Huber"), "DK": ("Jensen", "Nielsen"),
             "SE": ("Andersson", "Johansson"), "HU": ("Nagy", "Kovács"), "GR": ("Papadopoulos",), "PT": ("Silva",)}
_LEGAL = {"DE": ("GmbH", "GmbH & Co. KG", "Handels GmbH", "e.K."), "NL": ("B.V.", "Trading B.V."),
          "GB": ("Ltd", "Limited", "UK Ltd"), "FR": ("SARL", "SAS", "S.A."), "IT": ("S.r.l.", "S.p.A."),
          "ES": ("S.L.", "S.A."), "BE": ("NV", "BVBA"), "PL": ("Sp. z o.o.",), "CZ": ("s.r.o.",), "AT": ("GmbH",),
          "DK": ("ApS", "A/S"), "SE": ("AB",), "HU": ("Kft.",), "GR": ("A.E.",), "PT": ("Lda",)}
_GS1 = {"DE": "40", "NL": "87", "GB": "50", "FR": "30", "IT": "80", "ES": "84", "BE": "54", "PL": "590", "CZ": "859",
        "AT": "90", "DK": "57", "SE": "73", "HU": "599", "GR": "520", "PT": "560"}


def _importers(rng: random.Random, s: Settings, n: int) -> list[Importer]:
    out, seen = [], set()
    for _ in range(n):
        country = names.pick(rng, IMPORTER_COUNTRIES)
        size = rng.lognormvariate(0, s.volume_skew)
        base = rng.choice(_EU_NAMES) if rng.random() < 0.6 else rng.choice(_SURNAMES[country])
        name = f"{base} {rng.choice(_LEGAL[country])}"
        tries = 0
        while name in seen:
            tries += 1
            other = rng.choice(_SURNAMES[country])
            qualifier = rng.choice(_QUALIFIERS + (f"& {other}",) if other != base else _QUALIFIERS)
            number = f" {rng.randint(2, 99)}" if tries > 20 else ""
            name = f"{base} {qualifier}{number} {rng.choice(_LEGAL[country])}"
        seen.add(name)
        big = size > 1.5
        routing = ROUTING[country]
        if s.entry_points:
            routing = tuple((k.strip(), float(v)) for k, v in (p.split(":") for p in s.entry_points.split(",")))
        prefix = _GS1[country]
        out.append(Importer(
            eori=codes.eori(rng, country), name=name, country=country, size=size,
            qc=rng.random() < s.importer_qc_share * (1.6 if big else 0.8),
            brand=base.upper().replace(" ", "") if rng.random() < (0.55 if big else 0.25) else "",
            gs1_prefix=prefix + f"{rng.randint(0, 10 ** (7 - len(prefix)) - 1):0{7 - len(prefix)}d}",
            routing=routing))
    return out


def _exporter_from(rng: random.Random, s: Settings, place: Place, industry: str, form: str, kind: str,
                   start: date, end: date, seen: set[str], trades: set[str], share_en: float) -> Exporter:
    trade = names.new_trade(rng, trades)
    depth = 1
    name = CompanyName(place, depth, trade, industry, form,
                       names.english_trade(rng, trade) if rng.random() < s.trade_name_en_share else "",
                       place.pearl_river and rng.random() < 0.3)
    return Exporter(uscc=_uscc(rng, place, False, seen), name=name, name_en_listed=rng.random() < share_en,
                    address=names.new_address(rng, place, trader=True), kind=kind,
                    size=rng.lognormvariate(0, s.volume_skew), cheap=rng.random() < s.trader_cheap_share,
                    listed=True, active=_active(rng, start, end, s.company_turnover if kind == "trader" else 0.0))


def _link_suppliers(rng: random.Random, s: Settings, trader: Exporter, factories: list[Factory]) -> None:
    categories = {names.pick(rng, catalogue.CATEGORY_SHARES) for _ in range(rng.choice((1, 1, 2)))}
    here = trader.name.place.province
    candidates = [f for f in factories if set(f.categories) & categories]
    if not candidates:
        candidates = factories
    weights = []
    for f in candidates:
        w = f.size ** 0.5 * (3.0 if f.place.province == here else 1.0)
        if trader.cheap:
            w *= (3.0 if f.bad else 1.0) * (2.0 if f.small else 1.0)
        weights.append(w)
    k = max(1, min(len(candidates), round(rng.lognormvariate(math.log(s.suppliers_per_trader), 0.5))))
    chosen: list[Factory] = []
    while len(chosen) < k:
        f = rng.choices(candidates, weights=weights)[0]
        if f not in chosen:
            chosen.append(f)
    trader.suppliers = chosen
    trader.supplier_weights = [f.size * rng.uniform(0.3, 1.0) for f in chosen]
    for f in chosen:
        f.outlets += 1


def _link_customers(rng: random.Random, exporter: Exporter, importers: list[Importer], scale: float) -> None:
    k = max(1, min(len(importers), round(rng.lognormvariate(math.log(2.5 * scale), 0.6))))
    chosen: list[Importer] = []
    while len(chosen) < k:
        imp = rng.choices(importers, weights=[i.size for i in importers])[0]
        if imp not in chosen:
            chosen.append(imp)
    exporter.customers = chosen
    exporter.customer_weights = [i.size * rng.uniform(0.2, 1.0) for i in chosen]


_MODEL_LETTERS = "ABCDEFGHJKLMNPQRSTWXYZ"


def _model(rng: random.Random, f: Factory) -> str:
    initials = "".join(x.pinyin[0] for x in f.name.trade[:2]).upper()
    n = rng.randint(100, 9999)
    style = f.model_style
    if style == 0:
        return f"{initials}-{n}{rng.choice(('', '', 'A', 'B'))}"
    if style == 1:
        return f"{rng.randint(1000, 99999)}"
    if style == 2:
        return f"{initials}{rng.randint(10, 18)}{n:04d}"
    if style == 3:
        return f"{rng.choice(_MODEL_LETTERS)}{rng.choice(_MODEL_LETTERS)}-{n}-{rng.randint(1, 9)}"
    return f"{rng.randint(88, 999)}{rng.choice(_MODEL_LETTERS)}"


def _products(rng: random.Random, s: Settings, factories: list[Factory], exporters: list[Exporter],
              start: date, end: date) -> list[Product]:
    out: list[Product] = []
    buyers: dict[int, list[Importer]] = {}
    for e in exporters:
        for f in ([e.factory] if e.factory else []) + e.suppliers:
            buyers.setdefault(id(f), []).extend(i for i in e.customers if i.brand)
    span = (end - start).days
    for f in factories:
        n = max(2, round(rng.lognormvariate(math.log(s.models_per_factory), 0.5) * f.size ** 0.2))
        used: set[str] = set()
        for _ in range(n):
            ptype = rng.choice(catalogue.BY_CATEGORY[rng.choice(f.categories)])
            lo = max(start - timedelta(days=730), date.fromisoformat(ptype.launched))
            hi = min(end, date.fromisoformat(ptype.retired))
            if lo >= hi:
                continue
            launched = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            retired = min(date.fromisoformat(ptype.retired), launched + timedelta(days=rng.randint(365, 365 * 4)))
            if retired < start:
                launched = start + timedelta(days=rng.randint(0, span // 2))
                retired = launched + timedelta(days=rng.randint(365, 365 * 3))
            model = _model(rng, f)
            while model in used:
                model = _model(rng, f)
            used.add(model)
            label_for = rng.choice(buyers[id(f)]) if buyers.get(id(f)) and rng.random() < 0.3 else None
            out.append(_product(rng, s, f, model, ptype, launched, retired, label_for))
    _share_moulds(rng, s, factories, out)
    return out


def _product(rng: random.Random, s: Settings, f: Factory, model: str, ptype: ProductType, launched: date,
             retired: date, label_for: Importer | None) -> Product:
    faulty = rng.random() < s.bad_model_share
    if label_for:
        brand = label_for.brand
        gtin = codes.gtin13(rng, label_for.gs1_prefix)
        listed_gtin = gtin if rng.random() < 0.5 else ""
        listed_brand = brand if rng.random() < 0.5 else ""
        article = str(rng.randint(100000, 999999))
    else:
        brand = f.brand if f.brand and rng.random() < 0.8 else ""
        gtin = codes.gtin13(rng, f.gs1_prefix) if f.gs1_prefix and rng.random() < 0.85 else ""
        listed_gtin = gtin if rng.random() < 0.9 else ""
        listed_brand = brand
        article = ""
    name = rng.choice(ptype.cn_names)
    if rng.random() < 0.3:
        name += rng.choice((" with Light", " Set", " (3 colours)", " 2 in 1", " Deluxe", " with Music"))
    return Product(factory=f, model=model, ptype=ptype, name_en=name, brand_printed=brand, brand_listed=listed_brand,
                   gtin_printed=gtin, gtin_listed=listed_gtin, private_label=label_for, article=article,
                   mult=rng.lognormvariate(-0.045, 0.3) * (s.bad_model_mult if faulty else 1.0),
                   faulty_design=faulty, launched=launched, retired=retired)


def _share_moulds(rng: random.Random, s: Settings, factories: list[Factory], products: list[Product]) -> None:
    """Let neighbours make the same model under the same number: moulds are lent, copied and sold on."""
    by_place: dict[tuple[str, str], list[Factory]] = {}
    for f in factories:
        for c in f.categories:
            by_place.setdefault((f.place.key, c), []).append(f)
    for p in list(products):
        if p.private_label or rng.random() >= s.mould_sharing:
            continue
        others = [f for f in by_place.get((p.factory.place.key, p.ptype.category), []) if f is not p.factory]
        if not others:
            continue
        g = rng.choice(others)
        if any(q.model == p.model for q in g.products):
            continue
        copy = Product(factory=g, model=p.model, ptype=p.ptype, name_en=p.name_en,
                       brand_printed=g.brand if g.brand and rng.random() < 0.5 else "", brand_listed="",
                       gtin_printed="", gtin_listed="", private_label=None, article="",
                       mult=p.mult * rng.lognormvariate(0, 0.2), faulty_design=p.faulty_design,
                       launched=p.launched, retired=p.retired)
        if g.brand:
            copy.brand_listed = copy.brand_printed
        if g.gs1_prefix and rng.random() < 0.7:
            copy.gtin_printed = codes.gtin13(rng, g.gs1_prefix)
            copy.gtin_listed = copy.gtin_printed
        products.append(copy)
        g.products.append(copy)


def build(rng: random.Random, s: Settings, shipments: int) -> World:
    """Return the population for a run of this many shipments."""
    start, end = date.fromisoformat(s.start), date.fromisoformat(s.end)
    seen: set[str] = set()
    trades: set[str] = set()
    factories = _factories(rng, s, max(20, round(shipments / s.shipments_per_factory)), start, end, seen, trades)
    importers = _importers(rng, s, max(10, round(shipments / s.shipments_per_importer)))
    exporters: list[Exporter] = []
    for _ in range(max(6, round(shipments / s.shipments_per_trader))):
        place = PLACES[names.pick(rng, TRADER_PLACES)]
        industry = names.pick(rng, names.TRADER_INDUSTRIES)
        form = names.pick(rng, (("ltd", 0.85), ("group", 0.05), ("stock", 0.1)))
        t = _exporter_from(rng, s, place, industry, form, "trader", start, end, seen, trades,
                           s.exporter_name_en_share)
        _link_suppliers(rng, s, t, factories)
        _link_customers(rng, t, importers, 1.0)
        exporters.append(t)
    if s.agent_share > 0:
        for key in ("shenzhen", "yiwu")[: 1 + (shipments >= 5000)]:
            a = _exporter_from(rng, s, PLACES[key], "service", "ltd", "agent", start, end, seen, trades, 1.0)
            small = [f for f in factories if f.small] or factories
            a.suppliers = rng.sample(small, min(len(small), max(5, len(small) // 4)))
            a.supplier_weights = [1.0 + (0 if f.outlets else 2.0) for f in a.suppliers]
            for f in a.suppliers:
                f.outlets += 1
            _link_customers(rng, a, importers, 3.0)
            exporters.append(a)
    if s.self_export_share > 0:
        big = sorted(factories, key=lambda f: -f.size)
        n_self = max(3, _count(rng, len(factories) * min(0.7, 0.1 + s.self_export_share * 0.6)))
        for f in big[: n_self * 2: 2] + rng.sample(big, max(1, n_self // 4)):
            if any(e.factory is f for e in exporters):
                continue
            e = Exporter(uscc=f.uscc, name=f.name, name_en_listed=f.name_en_listed, address=f.address, kind="factory",
                         size=f.size, cheap=False, listed=rng.random() < s.self_exporter_listed, active=f.active,
                         factory=f)
            e.suppliers, e.supplier_weights = [f], [1.0]
            _link_customers(rng, e, importers, 0.7)
            f.outlets += 1
            exporters.append(e)
    products = _products(rng, s, factories, exporters, start, end)
    for p in products:
        if p not in p.factory.products:
            p.factory.products.append(p)
    return World(factories, exporters, importers, products, start, end, trades)
