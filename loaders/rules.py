"""The record types of EXCHANGE.md and the rules each field keeps.

One :class:`RecordType` per exchange file: its fields, which are required, how each is checked,
and how a valid row becomes a :class:`~tracegraph.graph.model.Record`. The CSV and JSON Lines readers hand
rows of raw values (text, or a list for a list field), one per field, to :func:`RecordType.parse_values`;
the API hands mappings of field names to :func:`RecordType.parse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping, TypeVar

from tracegraph.graph import ids
from tracegraph.graph import model as m
from tracegraph.graph.errors import InvalidIdentifier
from tracegraph.graph.model import EdgeRef, Record, composite_key

T = TypeVar("T")

MAX_TEXT = 65_536  # characters in one field; a longer one is usually a stray quote swallowing lines
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # control characters but tab and line ends
_SURROGATES = r"\ud800-\udfff"  # CSV: bytes not UTF-8 (\udc80-\udcff); JSON: lone escapes
_CONTROL = re.compile(f"[{_CONTROLS}]")
_SURROGATE = re.compile(f"[{_SURROGATES}]")
_SUSPECT = re.compile(f"[{_CONTROLS}{_SURROGATES}]")
_CONTROL_BYTES = bytes(i for i in range(128) if _CONTROL.match(chr(i)))  # the same, for ASCII rows as bytes


class FieldError(ValueError):
    """A field breaks a rule: ``field`` names it, the message says why, ``value`` is the value as
    the row gave it (for the report: shown exactly, never as cleaned)."""

    def __init__(self, field: str, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.value = value


# -- value parsers: raw text in, canonical value out (or ValueError) ------------------------------
def text(value: str) -> str:
    if len(value) <= MAX_TEXT and not _SUSPECT.search(value):
        return value
    if len(value) > MAX_TEXT:
        raise ValueError(
            f"is {len(value):,} characters long, over the limit of {MAX_TEXT:,} (a stray quote may have joined several lines)"
        )
    if "\x00" in value:
        raise ValueError("contains a NUL byte")
    surrogate = _SURROGATE.search(value)
    if surrogate:
        if "\udc80" <= surrogate.group() <= "\udcff":  # how the CSV reader carries bytes that are not UTF-8
            raise ValueError("is not valid UTF-8 (save the file as UTF-8)")
        raise ValueError("holds a lone surrogate (a \\ud800-\\udfff escape that encodes no character)")
    if _CONTROL.search(value):
        raise ValueError("contains a control character")
    return value


def _checked(clean: Callable[[str], T]) -> Callable[[str], T]:
    """``clean`` after the checks of :func:`text`; ``clean`` alone is kept as the parser's
    ``on_clean_text``, for rows already known to pass those checks (see :func:`clean_row`)."""

    def parse(value: str) -> T:
        return clean(text(value))

    parse.__name__ = clean.__name__
    parse.on_clean_text = clean  # type: ignore[attr-defined]
    return parse


def clean_row(values: Iterable[Any]) -> bool:
    """Whether every value of a row is text that :func:`text` would pass unchanged (none too long,
    no control character or undecodable byte): one check of the whole row then stands for one per
    field. False when any value is not text (JSON numbers, lists, nulls: leave those out)."""
    try:
        joined = "\n".join(values)
    except TypeError:
        return False
    if len(joined) > MAX_TEXT:
        return False
    if joined.isascii():  # most rows: a byte table finds the control characters faster than the regex
        raw = joined.encode("ascii")
        return len(raw.translate(None, _CONTROL_BYTES)) == len(raw)
    return not _SUSPECT.search(joined)


def _enum(*allowed: str) -> Callable[[str], str]:
    def one_of(value: str) -> str:
        v = value.strip().lower()
        if v not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return v

    return _checked(one_of)


def _quantity(value: str) -> int:
    v = value.strip().replace(",", "").replace("_", "")
    if not (v.isascii() and v.isdigit()):  # str.isdigit alone takes any script's digits, and superscripts
        raise ValueError(f"{value!r} is not a whole number of units")
    return int(v)


_HS = re.compile(r"^[0-9]{4,10}$")


def _hs_code(value: str) -> str:
    v = value.replace(".", "").replace(" ", "")
    if not _HS.match(v):
        raise ValueError(f"{value!r} is not an HS code (4 to 10 digits)")
    return v


quantity = _checked(_quantity)
hs_code = _checked(_hs_code)


# Safety Gate vocabulary, in its own spelling; other values are kept as written and compared casefolded.
CATEGORIES = (
    "Toys", "Childcare articles and children's equipment", "Electrical appliances and equipment",
    "Clothing, textiles and fashion items", "Cosmetics", "Motor vehicles", "Jewellery",
    "Hobby/sports equipment", "Lighting equipment", "Furniture", "Kitchen/cooking accessories",
    "Chemical products", "Communication and media equipment", "Gadgets", "Decorative articles",
    "Stationery", "Other",
)
HAZARDS = (
    "Choking", "Chemical", "Injuries", "Strangulation", "Suffocation", "Electric shock", "Burns",
    "Fire", "Damage to hearing", "Damage to sight", "Microbiological", "Drowning", "Entrapment",
    "Cuts", "Environment", "Health risk / other", "Asphyxiation",
)
_CANON = {v.casefold(): v for v in CATEGORIES + HAZARDS}


def _vocabulary(value: str) -> str:
    """A Safety Gate category or hazard, in its canonical spelling when it is a known one."""
    v = " ".join(value.split())
    return _CANON.get(v.casefold(), v)


vocabulary = _checked(_vocabulary)


@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[str], Any] = text
    required: bool = False
    is_list: bool = False
    # ``parse`` for a value known to pass :func:`text` already (a row that passed :func:`clean_row`)
    on_clean_text: Callable[[str], Any] = str.strip
    shared: bool = True  # a text that repeats across rows: keep one copy (see POOL_SIZE)


def F(name: str, parse: Callable[[str], Any] = text, *, req: bool = False, many: bool = False, unique: bool = False) -> Field:
    """A field; ``unique`` for the record's own identifier, which no other row of the file repeats."""
    on_clean_text = str.strip if parse is text else getattr(parse, "on_clean_text", parse)
    return Field(name, parse, req, many, on_clean_text, not unique and parse is not quantity)


# Texts that repeat across rows (a port, a date, a factory's USCC, a model, the declaration number
# on each line of a shipment) come out of the parser as one shared copy each: millions of
# duplicates fewer to keep, to write to a snapshot and to read back. A pool is emptied when it
# passes this size (so unique values cannot grow it without end); one that stays this small stays
# in the CPU cache, which sys.intern's table of every string of the process did not (sharing there
# cost ~10 s of a 90 s load of 1M shipments).
POOL_SIZE = 1 << 16


uscc = _checked(ids.clean_uscc)
container = _checked(ids.clean_container)
gtin = _checked(ids.clean_gtin)
locode = _checked(ids.clean_locode)
country = _checked(ids.clean_country)
date = _checked(ids.clean_date)
mrn = _checked(ids.clean_mrn)
eori = _checked(ids.clean_eori)
bill_of_lading = _checked(ids.clean_bill_of_lading)


def _split(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(x).strip() for x in raw if x is not None and str(x).strip()]
    return [p.strip() for p in str(raw).split(";") if p.strip()]


@dataclass(frozen=True)
class RecordType:
    """One exchange file type: ``name`` (``cn-shipments``), its side, its fields and how a row maps."""

    name: str
    side: str
    label: str
    fields: tuple[Field, ...]
    build: Callable[[dict[str, Any]], Record]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @cached_property
    def _plan(self) -> tuple[tuple[Field, str, Callable[[str], Any], bool, dict[Any, Any] | None], ...]:
        """Per field what :meth:`parse` needs on every row, looked up once; and the field's pool."""
        return tuple((f, f.name, f.on_clean_text, not f.is_list, {} if f.shared else None) for f in self.fields)

    def trim_pools(self) -> None:
        """Empty the pools of shared texts that passed :data:`POOL_SIZE`."""
        for plan in self._plan:
            pool = plan[4]
            if pool is not None and len(pool) > POOL_SIZE:
                pool.clear()

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The names of the fields, in the order :meth:`parse_values` takes their values."""
        return tuple(f.name for f in self.fields)

    def parse(self, raw: Mapping[str, Any]) -> tuple[Record | None, list[FieldError]]:
        """Check one row; return its record, or ``None`` and every field that breaks a rule."""
        return self.parse_values(tuple(map(raw.get, self.names)))

    def parse_values(self, raw: tuple[Any, ...]) -> tuple[Record | None, list[FieldError]]:
        """:meth:`parse` of a row given as the value of each field, in the order of :attr:`names`
        (``None`` for a field the row does not have)."""
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        clean = clean_row(filter(None, raw))  # (no nulls) then no field needs the checks of text() again
        for (f, name, on_clean_text, single, pool), v in zip(self._plan, raw):
            if clean and single and v and not v.isspace():  # the usual field: text, and it passed
                try:
                    c = on_clean_text(v)
                    values[name] = c if pool is None else pool.setdefault(c, c)
                except (ValueError, InvalidIdentifier) as exc:
                    errors.append(FieldError(name, _reason(f, exc), v))
                continue
            if type(v) is str and not f.is_list:
                if not v or v.isspace():
                    if f.required:
                        errors.append(FieldError(name, "is required but empty"))
                    continue
                try:  # a row that is not clean (a clean one with text here took the branch above)
                    parse = f.parse
                    values[name] = text(v).strip() if parse is text else parse(v)
                except (ValueError, InvalidIdentifier) as exc:
                    errors.append(FieldError(name, _reason(f, exc), v))
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            elif isinstance(v, list) and not f.is_list:
                errors.append(FieldError(f.name, "holds a list, where one value is expected"))
                continue
            elif v is not None and not isinstance(v, (str, list)):
                errors.append(FieldError(f.name, f"holds a {type(v).__name__}, where text is expected"))
                continue
            parts: list[str]
            if v is None:
                parts = []
            elif f.is_list:
                parts = _split(v)
            else:
                parts = [str(v)] if str(v).strip() else []
            if not parts:
                if f.required:
                    errors.append(FieldError(f.name, "is required but empty" if v is not None else "is required but missing"))
                continue
            try:
                if f.is_list:
                    out = []
                    for p in parts:
                        c = f.on_clean_text(p) if clean else f.parse(p)
                        if c not in out:
                            out.append(c)
                    t = tuple(out)
                    values[f.name] = t if pool is None else pool.setdefault(t, t)  # the same standards on 1M certificates
                else:
                    c = f.parse(parts[0])
                    values[f.name] = c.strip() if isinstance(c, str) and f.parse is text else c
            except (ValueError, InvalidIdentifier) as exc:
                errors.append(FieldError(f.name, _reason(f, exc), v))
        if errors:
            return None, errors
        try:
            return self.build(values), []
        except FieldError as exc:
            return None, [exc]


def _reason(f: Field, exc: Exception) -> str:
    """Identifier errors name the value already; plain-text rules are prefixed with the field."""
    return f"{f.name} {exc}" if f.parse in (text, quantity, hs_code) else str(exc)



# -- the record types --------------------------------------------------------------------------------
def _manufacturer(v: dict[str, Any]) -> Record:
    return Record(m.MANUFACTURER, v["uscc"], v)


def _exporter(v: dict[str, Any]) -> Record:
    return Record(m.EXPORTER, v["uscc"], v)


def _product(v: dict[str, Any]) -> Record:
    key = composite_key(v["manufacturer_uscc"], v["model"])
    return Record(m.PRODUCT, key, v, (EdgeRef("MADE_BY", m.MANUFACTURER, v["manufacturer_uscc"]),))


def _shipment(v: dict[str, Any]) -> Record:
    edges = [EdgeRef("EXPORTED_BY", m.EXPORTER, v["exporter_uscc"])]
    edges += [EdgeRef("IN_CONTAINER", m.CONTAINER, c) for c in v["containers"]]
    return Record(m.SHIPMENT, v["declaration_no"], v, tuple(edges))


def _line(v: dict[str, Any]) -> Record:
    product = composite_key(v["manufacturer_uscc"], v["model"])
    key = composite_key(v["declaration_no"], v["manufacturer_uscc"], v["model"], v.get("batch", ""))
    stub = {"manufacturer_uscc": v["manufacturer_uscc"], "model": v["model"]}
    return Record(
        m.SHIPMENT_LINE,
        key,
        v,
        (EdgeRef("LINE_OF", m.SHIPMENT, v["declaration_no"]), EdgeRef("OF_PRODUCT", m.PRODUCT, product, stub)),
    )


def _certificate(v: dict[str, Any]) -> Record:
    edges = (
        EdgeRef("COVERS", m.SHIPMENT, v["declaration_no"]),
        EdgeRef("ISSUED_BY", m.OFFICE, v["issuer"], {"name": v["issuer"], "side": "cn"}),
    )
    return Record(m.CERTIFICATE, v["certificate_no"], v, edges)


# -- China-RAPEX follow-up: what AQSIQ found and did on an alert (cn-investigations' optional extension)
INVESTIGATION_STATUSES = ("open", "investigating", "measures_taken", "closed", "not_traceable")
# The outcomes the China-RAPEX exchange reports, several per alert: ``not_traceable`` (manufacturer
# or exporter not found, or no longer producing), ``no_measure``, and the measures taken.
OUTCOMES = ("not_traceable", "no_measure", "corrective_action", "export_ban", "strengthened_supervision",
            "export_licence_suspended")
MEASURE_OUTCOMES = ("corrective_action", "export_ban", "strengthened_supervision", "export_licence_suspended")


def _follow_up(v: dict[str, Any]) -> None:
    """The rules the follow-up fields keep together: ``no_measure`` beside a measure is a contradiction,
    and nothing is reported back before it was opened."""
    outcomes = v.get("outcomes", ())
    if "no_measure" in outcomes and set(outcomes) & set(MEASURE_OUTCOMES):
        taken = ", ".join(o for o in outcomes if o in MEASURE_OUTCOMES)
        raise FieldError("outcomes", f"no_measure contradicts {taken}: send the measures taken, or no_measure alone")
    if v.get("reported_on") and v["reported_on"] < v["opened_on"]:
        raise FieldError("reported_on", f"reported_on {v['reported_on']} is before opened_on {v['opened_on']}")


def _investigation(v: dict[str, Any]) -> Record:
    if v.get("closed_on") and v["closed_on"] < v["opened_on"]:
        raise FieldError("closed_on", f"closed_on {v['closed_on']} is before opened_on {v['opened_on']}")
    _follow_up(v)
    edges = [EdgeRef("INVESTIGATES", m.FINDING, v["finding_id"])]
    if v.get("manufacturer_uscc"):
        edges.append(EdgeRef("CONCERNS_FACTORY", m.MANUFACTURER, v["manufacturer_uscc"]))
    return Record(m.INVESTIGATION, v["finding_id"], v, tuple(edges))


def _arrival(v: dict[str, Any]) -> Record:
    edges = [EdgeRef("IN_CONTAINER", m.CONTAINER, c) for c in v["containers"]]
    edges.append(
        EdgeRef("IMPORTED_BY", m.IMPORTER, v["importer_eori"], {"eori": v["importer_eori"], "name": v["importer_name"]})
    )
    return Record(m.ARRIVAL, v["mrn"], v, tuple(edges))


def _inspection(v: dict[str, Any]) -> Record:
    edges = (
        EdgeRef("CHECKED", m.ARRIVAL, v["mrn"]),
        EdgeRef("PERFORMED_BY", m.OFFICE, v["authority"], {"name": v["authority"], "side": "eu"}),
    )
    return Record(m.INSPECTION, v["inspection_id"], v, edges)


def _finding(v: dict[str, Any]) -> Record:
    edges = []
    if v.get("inspection_id"):
        edges.append(EdgeRef("FOUND_IN", m.INSPECTION, v["inspection_id"]))
    if v.get("mrn"):
        edges.append(EdgeRef("CONCERNS", m.ARRIVAL, v["mrn"]))
    return Record(m.FINDING, v["finding_id"], v, tuple(edges))


_key = text  # an identifier of one side's own scheme: any text without control characters

RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        RecordType("cn-manufacturers", "cn", m.MANUFACTURER, (
            F("uscc", uscc, req=True, unique=True), F("name_zh", req=True), F("name_en"), F("ciq_registration"),
            F("province"), F("city"), F("address"),
        ), _manufacturer),
        RecordType("cn-exporters", "cn", m.EXPORTER, (
            F("uscc", uscc, req=True, unique=True), F("name_zh", req=True), F("name_en"), F("city"), F("address"),
        ), _exporter),
        RecordType("cn-products", "cn", m.PRODUCT, (
            F("manufacturer_uscc", uscc, req=True), F("model", req=True), F("name_en", req=True),
            F("brand"), F("gtin", gtin), F("category", vocabulary, req=True), F("hs_code", hs_code),
        ), _product),
        RecordType("cn-shipments", "cn", m.SHIPMENT, (
            F("declaration_no", _key, req=True, unique=True), F("exporter_uscc", uscc, req=True),
            F("bill_of_lading", bill_of_lading, req=True), F("containers", container, req=True, many=True),
            F("port_of_loading", locode, req=True), F("destination_country", country, req=True),
            F("destination_port", locode), F("departed_on", date, req=True),
        ), _shipment),
        RecordType("cn-shipment-lines", "cn", m.SHIPMENT_LINE, (
            F("declaration_no", _key, req=True), F("manufacturer_uscc", uscc, req=True), F("model", req=True),
            F("quantity", quantity), F("batch"),
        ), _line),
        RecordType("cn-certificates", "cn", m.CERTIFICATE, (
            F("certificate_no", _key, req=True, unique=True), F("declaration_no", _key, req=True), F("issuer", req=True),
            F("issued_on", date, req=True), F("result", _enum("pass", "fail"), req=True),
            F("standards", many=True), F("tested_models", many=True),
        ), _certificate),
        RecordType("cn-investigations", "cn", m.INVESTIGATION, (
            F("finding_id", _key, req=True, unique=True), F("manufacturer_uscc", uscc), F("opened_on", date, req=True),
            F("status", _enum(*INVESTIGATION_STATUSES), req=True),
            F("root_cause"), F("measures"), F("closed_on", date),
            F("outcomes", _enum(*OUTCOMES), many=True), F("reported_on", date),  # China-RAPEX follow-up (optional)
        ), _investigation),
        RecordType("eu-arrivals", "eu", m.ARRIVAL, (
            F("mrn", mrn, req=True, unique=True), F("bill_of_lading", bill_of_lading),
            F("containers", container, req=True, many=True), F("entry_point", locode, req=True),
            F("arrived_on", date, req=True), F("consignor_name", req=True), F("consignor_address"),
            F("importer_eori", eori, req=True), F("importer_name", req=True), F("country_of_origin", country),
            F("hs_code", hs_code), F("goods_description"),
        ), _arrival),
        RecordType("eu-inspections", "eu", m.INSPECTION, (
            F("inspection_id", _key, req=True, unique=True), F("mrn", mrn, req=True), F("authority", req=True),
            F("inspected_on", date, req=True), F("kind", _enum("documentary", "physical", "laboratory"), req=True),
            F("outcome", _enum("compliant", "non_compliant"), req=True),
        ), _inspection),
        RecordType("eu-findings", "eu", m.FINDING, (
            F("finding_id", _key, req=True, unique=True), F("found_on", date, req=True), F("notifying_country", country, req=True),
            F("product_name", req=True), F("category", vocabulary, req=True), F("hazard", vocabulary, req=True),
            F("risk_level", _enum("serious", "high", "medium", "low"), req=True), F("inspection_id", _key),
            F("mrn", mrn), F("brand"), F("model"), F("gtin", gtin), F("batch"), F("standard"),
            F("description"), F("measure"), F("alert_no"),
        ), _finding),
    )
}


def record_type_for(filename: str) -> RecordType | None:
    """Return the record type a file's name announces (``cn-shipments.csv``, ``eu-findings-2015.jsonl``)."""
    base = filename.rsplit("/", 1)[-1].lower()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    for name, rtype in RECORD_TYPES.items():
        if stem == name or (stem.startswith(name) and stem[len(name)] in "-_."):
            return rtype
    return None
