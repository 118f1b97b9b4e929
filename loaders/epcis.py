"""GS1 EPCIS 2.0 documents, read into the records of the exchange files and written from them.

Traceability systems exchange EPCIS events (JSON and JSON-LD ``EPCISDocument``s, and the older
``isA`` form with ``urn:epcglobal:cbv:…`` vocabulary URIs). :func:`read_document` reads one,
:func:`place` maps each of its events onto the records of EXCHANGE.md, checked by the same rules
(:data:`tracegraph.loaders.rules.RECORD_TYPES`) as a CSV row, and :func:`land` lands them. The
mapping, and how a partner writes tracegraph's keys into EPCIS, is in docs/data-formats.md
("EPCIS 2.0"); in short:

* an ``ObjectEvent`` of bizStep ``shipping``/``departing`` with an export declaration
  (bizTransaction of type ``tg:declaration``) is a ``cn-shipments`` record, and its
  ``quantityList``/``epcList`` products are ``cn-shipment-lines``;
* ``receiving``/``arriving`` with an import declaration (``tg:mrn``) is an ``eu-arrivals`` record;
* ``inspecting``/``sampling``: with a ``cert`` bizTransaction a ``cn-certificates`` record, with a
  ``testres`` one an ``eu-inspections`` record; any event with a ``tg:finding`` bizTransaction is an
  ``eu-findings`` record; disposition ``conformant``/``non_conformant`` is the result;
* an ``AggregationEvent`` packing into a container (``urn:epc:id:bic:…``) adds it to the
  consignment of the same document that its bizTransactions name;
* an event with an ``errorDeclaration`` withdraws the event it corrects (same eventID).

An event tracegraph cannot place (no key of ours, another event type) is *kept* as an
``EpcisEvent`` node, as written, with a warning saying why; an event that names a key of ours but
breaks a rule is rejected with the field and the reason, like a CSV row. Neither stops the rest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote, unquote, urlsplit

from tracegraph.graph import model as m
from tracegraph.graph.errors import InvalidIdentifier
from tracegraph.graph.model import ApplyResult, Record, Source
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.loaders import gs1
from tracegraph.loaders.jsonl_format import finite_float, reject_constant
from tracegraph.loaders.reader import FileProblem, refuse_utf16
from tracegraph.loaders.rules import RECORD_TYPES

__all__ = ["FORMAT", "NS", "CONTEXT", "Document", "Placed", "sniff", "read_document", "parse_document", "place_all",
           "land", "urn", "event_for", "document", "SIDE_OF"]

FORMAT = "epcis"
NS = "urn:tracegraph:epcis:"  # our vocabulary: extension fields, bizTransaction types, master-data attributes
ID = "urn:tracegraph:"  # our identifiers: urn:tracegraph:uscc:…, :eori:, :declaration:, :mrn:, :locode:, :product:
CONTEXT: list[Any] = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"tg": NS}]
SIDE_OF = {name: t.side for name, t in RECORD_TYPES.items()}
KEPT_SIDE = "epcis"  # the provenance side of the events kept as written
MAX_KEPT = 262_144  # characters of one event kept as written

# CBV vocabulary as URNs (EPCIS 1.x) or web URIs (CBV 2.0); the bare word is what we compare.
_VOCAB = ("urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:", "urn:epcglobal:cbv:btt:", "urn:epcglobal:cbv:sdt:",
          "https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-", "https://ref.gs1.org/cbv/BTT-",
          "https://ref.gs1.org/cbv/SDT-", "https://gs1.org/voc/BizStep-", "https://gs1.org/voc/Disp-")
SHIPPING = ("shipping", "departing")
RECEIVING = ("receiving", "arriving", "accepting")
INSPECTING = ("inspecting", "sampling")
RESULT = {"conformant": ("pass", "compliant"), "non_conformant": ("fail", "non_compliant")}


def urn(kind: str, *values: str) -> str:
    """One of our identifiers as a URN: ``urn("uscc", "9144…")`` → ``urn:tracegraph:uscc:9144…``."""
    return ID + kind + ":" + ":".join(quote(v, safe="-._~!$&'()*+,;=@/") for v in values)


def _ours(uri: str, kind: str) -> list[str] | None:
    """The values of one of our identifier URNs of ``kind``, or None for another URI."""
    head = ID + kind + ":"
    if not uri.startswith(head):
        return None
    return [unquote(v) for v in uri[len(head):].split(":")]


def word(value: Any) -> str:
    """A CBV vocabulary value as its bare word (``urn:epcglobal:cbv:bizstep:shipping`` → ``shipping``)."""
    if not isinstance(value, str):
        return ""
    for prefix in _VOCAB:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


# -- reading a document -------------------------------------------------------------------------------
@dataclass
class Document:
    """An EPCIS document read: its events (with the line each starts on), the prefixes of its
    ``@context``, and its master data (vocabulary element id → our attributes)."""

    raw: dict[str, Any]
    events: list[Any]
    lines: list[int]
    prefixes: dict[str, str]
    masterdata: dict[str, dict[str, Any]]
    context: Any = None

    def term(self, name: Any) -> str | None:
        """The local name of one of our terms (``tg:mrn``, or in full ``urn:tracegraph:epcis:mrn``), else None."""
        if not isinstance(name, str):
            return None
        if name.startswith(NS):
            return name[len(NS):]
        prefix, sep, local = name.partition(":")
        if not sep:
            return None
        iri = self.prefixes.get(prefix, NS if prefix == "tg" else None)
        return local if iri == NS else None


def sniff(path: str | Path) -> bool:
    """Whether a file is an EPCIS document: a JSON object that names ``EPCISDocument`` (or a query document) near its start."""
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return False
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    return text[:1] == "{" and ('"EPCISDocument"' in text or '"EPCISQueryDocument"' in text)


_URN_VOCAB = tuple(p for p in _VOCAB if p.startswith("urn:"))


def normalise(obj: Any) -> Any:
    """An object in the older form as EPCIS 2.0 writes it: ``isA`` as ``type``, and for an event,
    CBV 1.x URNs (``urn:epcglobal:cbv:bizstep:shipping``) as CBV 2.0's bare words."""
    if not isinstance(obj, dict):
        return obj
    if "isA" in obj and "type" not in obj:
        obj["type"] = obj.pop("isA")
    for name in ("bizStep", "disposition"):
        if isinstance(obj.get(name), str) and obj[name].startswith(_URN_VOCAB):
            obj[name] = word(obj[name])
    for name in ("bizTransactionList", "sourceList", "destinationList"):
        items = obj.get(name)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("type"), str) and item["type"].startswith(_URN_VOCAB):
                item["type"] = word(item["type"])
    return obj


def parse_document(data: bytes) -> dict[str, Any]:
    """The JSON object of a document (``isA`` read as ``type``), or FileProblem naming why not."""
    refuse_utf16(data[:2])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(data.count(b"\n", 0, exc.start) + 1, "", "is not valid UTF-8; save the file as UTF-8") from None
    try:
        obj = json.loads(text, parse_constant=reject_constant, parse_float=finite_float)
    except json.JSONDecodeError as exc:
        raise FileProblem(exc.lineno, "", f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise FileProblem(1, "", "nests arrays or objects too deep to read") from None
    except ValueError as exc:
        raise FileProblem(1, "", f"is not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise FileProblem(1, "", f"is a JSON {type(obj).__name__}, where an EPCISDocument object is expected")
    return normalise(obj)


def _event_list(doc: dict[str, Any]) -> list[Any]:
    kind = doc.get("type")
    body = doc.get("epcisBody")
    if kind not in ("EPCISDocument", "EPCISQueryDocument") or not isinstance(body, dict):
        raise FileProblem(1, "type", f"is no EPCISDocument (type {kind!r}) with an epcisBody")
    if kind == "EPCISQueryDocument":
        body = ((body.get("queryResults") or {}).get("resultsBody") or {}) if isinstance(body.get("queryResults"), dict) else {}
    events = body.get("eventList")
    if not isinstance(events, list):
        raise FileProblem(1, "epcisBody.eventList", "the document has no eventList (a list of events)")
    return events


def _event_lines(text: str, events: list[Any]) -> list[int]:
    """The line each event starts on: the ``eventList`` array found in the text and walked with
    the JSON decoder (checked against the events parsed); 1 for each where it cannot be found."""
    decoder = json.JSONDecoder(parse_constant=reject_constant, parse_float=finite_float)
    start = 0
    while True:
        at = text.find('"eventList"', start)
        if at < 0:
            return [1] * len(events)
        start = at + 1
        i = at + len('"eventList"')
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text) or text[i] != ":":
            continue
        i += 1
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text) or text[i] != "[":
            continue
        offsets = []
        i += 1
        try:
            while True:
                while i < len(text) and text[i] in " \t\r\n,":
                    i += 1
                if i >= len(text) or text[i] == "]":
                    break
                offsets.append(i)
                _, i = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            continue
        if len(offsets) == len(events):
            lines, line, previous = [], 1, 0
            for o in offsets:
                line += text.count("\n", previous, o)
                previous = o
                lines.append(line)
            return lines


def _prefixes(context: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            out.update({k: v for k, v in item.items() if isinstance(k, str) and isinstance(v, str)})
    return out


def read_document(data: bytes) -> Document:
    """Read an EPCIS document (raises FileProblem when it is none at all)."""
    raw = parse_document(data)
    events = [normalise(e) for e in _event_list(raw)]
    lines = _event_lines(data.decode("utf-8-sig"), events)
    doc = Document(raw, events, lines, _prefixes(raw.get("@context")), {}, raw.get("@context"))
    doc.masterdata = _masterdata(doc)
    return doc


def _masterdata(doc: Document) -> dict[str, dict[str, Any]]:
    """Our attributes of the vocabulary elements of the header's master data, by element id (and,
    for an EPC class, by its GTIN as well)."""
    out: dict[str, dict[str, Any]] = {}
    header = doc.raw.get("epcisHeader")
    md = header.get("epcisMasterData") if isinstance(header, dict) else None
    vocabularies = md.get("vocabularyList") if isinstance(md, dict) else None
    for vocab in vocabularies if isinstance(vocabularies, list) else []:
        elements = vocab.get("vocabularyElementList") if isinstance(vocab, dict) else None
        for element in elements if isinstance(elements, list) else []:
            if not isinstance(element, dict) or not isinstance(element.get("id"), str):
                continue
            attrs = {}
            for a in element.get("attributes") or []:
                local = doc.term(a.get("id")) if isinstance(a, dict) else None
                if local:
                    attrs[local] = a.get("attribute")
            if not attrs:
                continue
            out[element["id"]] = attrs
            try:
                epc = gs1.parse(element["id"])
            except InvalidIdentifier:
                continue
            if epc.kind in ("class", "item"):
                out.setdefault("gtin:" + epc.key, attrs)
    return out


# -- placing an event ---------------------------------------------------------------------------------
@dataclass
class Note:
    field: str
    reason: str
    kind: str = "warning"  # warning | rejected
    value: Any = None


@dataclass
class Placed:
    """What one event became: records (by record type), a kept event, or a withdrawal; with notes."""

    index: int
    line: int
    event_id: str
    what: str = ""  # the record type, "kept", or "withdrawal"
    records: list[tuple[str, Record]] = field(default_factory=list)
    kept: Record | None = None
    withdraws: bool = False
    withdrawn_on: str = ""
    rejected: bool = False
    notes: list[Note] = field(default_factory=list)

    @property
    def side(self) -> str:
        return SIDE_OF[self.what] if self.what in SIDE_OF else KEPT_SIDE

    def warn(self, path: str, reason: str, value: Any = None) -> None:
        self.notes.append(Note(f"eventList[{self.index}]" + (f".{path}" if path else ""), reason, "warning", value))

    def reject(self, path: str, reason: str, value: Any = None) -> None:
        self.rejected = True
        self.notes.append(Note(f"eventList[{self.index}]" + (f".{path}" if path else ""), reason, "rejected", value))


def event_identity(event: Mapping[str, Any]) -> str:
    """The event's ``eventID``, or (for an event without one) a hash of its content less its
    error declaration, so that an event and its withdrawal have the same."""
    given = event.get("eventID")
    if isinstance(given, str) and given.strip():
        return given.strip()
    content = {k: v for k, v in event.items() if k not in ("errorDeclaration", "recordTime")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return f"{ID}event:sha256:{digest}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ident(uri: str, kind: str) -> str:
    """The identifier a bizTransaction or party URI carries: ours (``urn:tracegraph:<kind>:X``), a
    CBV ``urn:epcglobal:cbv:bt:<GLN>:X``, the last path segment of a web URI, or the text itself."""
    mine = _ours(uri, kind)
    if mine is not None:
        return ":".join(mine)
    if uri.startswith("urn:epcglobal:cbv:bt:"):
        return uri.rsplit(":", 1)[-1]
    if uri.startswith(("http://", "https://")):
        path = urlsplit(uri).path.rstrip("/")
        return unquote(path.rsplit("/", 1)[-1]) if path else uri
    return uri


# bizTransaction types: CBV's (bare words) and ours (tg:…), to the role they play here
_BT_ROLES = {"bol": "bol", "cert": "cert", "testres": "inspection"}
_OUR_BT = {"declaration": "declaration", "mrn": "mrn", "finding": "finding", "bol": "bol", "cert": "cert",
           "inspection": "inspection"}


def _transactions(doc: Document, event: Mapping[str, Any], p: Placed) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i, bt in enumerate(_list(event.get("bizTransactionList"))):
        if not isinstance(bt, dict) or not isinstance(bt.get("bizTransaction"), str):
            p.warn(f"bizTransactionList[{i}]", "is no bizTransaction object with a bizTransaction URI; ignored", bt)
            continue
        value = bt["bizTransaction"].strip()
        kind = word(bt.get("type"))
        role = _BT_ROLES.get(kind) or _OUR_BT.get(doc.term(kind) or "")
        if role is None:  # an untyped (or other) transaction: ours if its URI says so
            role = next((r for r in _OUR_BT if _ours(value, r) is not None), None)
        if role is not None:
            out.setdefault(role, []).append(_ident(value, role))
    return out


def _first(bts: Mapping[str, list[str]], role: str) -> str | None:
    found = bts.get(role)
    return found[0] if found else None


def _parties(event: Mapping[str, Any], which: str) -> list[tuple[str, str]]:
    items = _list(event.get(which + "List"))
    return [(word(x.get("type")), str(x[which])) for x in items if isinstance(x, dict) and isinstance(x.get(which), str)]


def _party(event: Mapping[str, Any], which: str, kind: str) -> str | None:
    """Our identifier of ``kind`` among the owning or possessing parties of ``sourceList`` or ``destinationList``."""
    for _, uri in sorted(_parties(event, which), key=lambda t: t[0] != "owning_party"):
        mine = _ours(uri, kind)
        if mine is not None:
            return ":".join(mine)
    return None


def _locode(doc: Document, uri: Any) -> tuple[str | None, str]:
    """The UN/LOCODE of a location URI (ours, or an SGLN whose master data gives ``tg:locode``), or why there is none."""
    if not isinstance(uri, str):
        return None, ""
    mine = _ours(uri, "locode")
    if mine is not None:
        return mine[0], ""
    attrs = doc.masterdata.get(uri) or {}
    if isinstance(attrs.get("locode"), str):
        return attrs["locode"], ""
    return None, (f"location {uri} names no UN/LOCODE: write {urn('locode', 'NLRTM')} (say), or give the location "
                  "a tg:locode attribute in the document's master data")


def _where(event: Mapping[str, Any], key: str) -> str | None:
    v = event.get(key)
    return v.get("id") if isinstance(v, dict) and isinstance(v.get("id"), str) else None


def _date(event: Mapping[str, Any]) -> Any:
    t = event.get("eventTime")
    return t[:10] if isinstance(t, str) else t


def _extensions(doc: Document, event: Mapping[str, Any]) -> dict[str, Any]:
    return {local: v for k, v in event.items() if (local := doc.term(k))}


def _aggregations(doc: Document) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """Containers that the document's AggregationEvents pack into a consignment, by (role, key):
    ``("declaration", no)`` or ``("mrn", mrn)``; each with the event's index."""
    out: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for i, e in enumerate(doc.events):
        if not isinstance(e, dict) or e.get("type") != "AggregationEvent" or e.get("errorDeclaration"):
            continue
        parent = e.get("parentID")
        try:
            epc = gs1.parse(parent) if isinstance(parent, str) else None
        except InvalidIdentifier:
            epc = None
        if epc is None or epc.kind != "container":
            continue
        bts = _transactions(doc, e, Placed(i, 0, ""))
        for role in ("declaration", "mrn"):
            for key in bts.get(role, ()):
                out.setdefault((role, key), []).append((i, epc.key))
    return out


def _products(doc: Document, event: Mapping[str, Any], p: Placed) -> tuple[list[str], dict[tuple[str, str, str], int | None]]:
    """The containers (``urn:epc:id:bic``) and the products of an event's ``epcList`` and
    ``quantityList``: (manufacturer USCC, model, batch) → quantity (None when not a count)."""
    containers: list[str] = []
    lines: dict[tuple[str, str, str], int | None] = {}

    def add(key: tuple[str, str, str], qty: int | None) -> None:
        if key in lines and lines[key] is not None and qty is not None:
            lines[key] = (lines[key] or 0) + qty
        else:
            lines[key] = qty if key not in lines else None

    def product_of(uri: str, path: str) -> tuple[str, str, str] | None:
        mine = _ours(uri, "product")
        if mine is not None:
            if len(mine) in (2, 3):
                return mine[0], mine[1], mine[2] if len(mine) == 3 else ""
            p.warn(path, f"{uri} is no product URN ({urn('product', 'USCC', 'model')}[:batch])", uri)
            return None
        try:
            epc = gs1.parse(uri)
        except InvalidIdentifier as exc:
            if uri.lower().startswith("urn:epc:id:bic:"):
                p.reject(path, str(exc), uri)
            else:
                p.warn(path, f"{exc}; not a product tracegraph can place", uri)
            return None
        if epc.kind == "container":
            containers.append(epc.key)
            return None
        if epc.kind not in ("item", "class"):
            p.warn(path, f"{uri} is a {epc.kind}, not a product or container: tracegraph keeps no place for it", uri)
            return None
        attrs = doc.masterdata.get(uri) or doc.masterdata.get("gtin:" + epc.key) or {}
        if not (isinstance(attrs.get("manufacturerUscc"), str) and isinstance(attrs.get("model"), str)):
            p.warn(path, f"GTIN {epc.key} of {uri} has no tg:manufacturerUscc and tg:model in the document's "
                         "master data, so tracegraph cannot tell which product it is", uri)
            return None
        return attrs["manufacturerUscc"], attrs["model"], epc.lot

    for i, uri in enumerate(_list(event.get("epcList"))):
        if isinstance(uri, str):
            key = product_of(uri, f"epcList[{i}]")
            if key:
                add(key, 1)
    for i, q in enumerate(_list(event.get("quantityList"))):
        if not isinstance(q, dict) or not isinstance(q.get("epcClass"), str):
            continue
        key = product_of(q["epcClass"], f"quantityList[{i}]")
        if not key:
            continue
        qty, uom = q.get("quantity"), q.get("uom")
        if qty is None:
            add(key, None)
        elif isinstance(qty, (int, float)) and not isinstance(qty, bool) and float(qty).is_integer() and uom in (None, "EA", "H87"):
            add(key, int(qty))
        else:
            p.warn(f"quantityList[{i}].quantity", f"{qty} {uom or ''} is no whole number of units; the line lands "
                                                  "without a quantity".replace("  ", " "), qty)
            add(key, None)
    return containers, lines


def _check(p: Placed, name: str, values: dict[str, Any], where: dict[str, str]) -> Record | None:
    """The record of ``values`` by the rules of ``name``, or None with each broken rule noted."""
    record, errors = RECORD_TYPES[name].parse(values)
    for e in errors:
        p.reject(where.get(e.field, e.field), f"{e.reason} ({name} field {e.field})", e.value)
    if record is not None:
        record.props["epcis_event"] = p.event_id
    return record


def _shipment(doc: Document, e: Mapping[str, Any], p: Placed, bts: dict[str, list[str]],
              packed: Iterable[str]) -> None:
    p.what = "cn-shipments"
    ext = _extensions(doc, e)
    containers, lines = _products(doc, e, p)
    port, why = _locode(doc, _where(e, "readPoint") or _where(e, "bizLocation"))
    dest = next((uri for t, uri in _parties(e, "destination") if t == "location"), None)
    dest_port, _ = _locode(doc, dest)
    declaration = bts["declaration"][0]
    values = {"declaration_no": declaration, "exporter_uscc": _party(e, "source", "uscc"),
              "bill_of_lading": _first(bts, "bol"), "containers": list(dict.fromkeys([*containers, *packed])),
              "port_of_loading": port, "destination_country": ext.get("destinationCountry"),
              "destination_port": dest_port, "departed_on": _date(e)}
    where = {"declaration_no": "bizTransactionList", "exporter_uscc": "sourceList", "bill_of_lading": "bizTransactionList",
             "containers": "epcList", "port_of_loading": "readPoint", "destination_country": "tg:destinationCountry",
             "destination_port": "destinationList", "departed_on": "eventTime"}
    if port is None and why:
        p.warn("readPoint", why)
    record = _check(p, "cn-shipments", values, where)
    if record is None or p.rejected:
        return
    p.records.append(("cn-shipments", record))
    for (uscc, model, batch), qty in sorted(lines.items()):
        line = {"declaration_no": declaration, "manufacturer_uscc": uscc, "model": model, "batch": batch or None,
                "quantity": None if qty is None else str(qty)}
        r, errors = RECORD_TYPES["cn-shipment-lines"].parse(line)
        if r is None:
            for err in errors:
                p.warn("quantityList", f"a line of product {uscc} {model} is left out: {err.reason}", err.value)
            continue
        r.props["epcis_event"] = p.event_id
        p.records.append(("cn-shipment-lines", r))


def _arrival(doc: Document, e: Mapping[str, Any], p: Placed, bts: dict[str, list[str]], packed: Iterable[str]) -> None:
    p.what = "eu-arrivals"
    ext = _extensions(doc, e)
    containers, lines = _products(doc, e, p)
    entry, why = _locode(doc, _where(e, "bizLocation") or _where(e, "readPoint"))
    values = {"mrn": bts["mrn"][0], "bill_of_lading": _first(bts, "bol"),
              "containers": list(dict.fromkeys([*containers, *packed])), "entry_point": entry, "arrived_on": _date(e),
              "consignor_name": ext.get("consignorName"), "consignor_address": ext.get("consignorAddress"),
              "importer_eori": _party(e, "destination", "eori"), "importer_name": ext.get("importerName"),
              "country_of_origin": ext.get("countryOfOrigin"), "hs_code": ext.get("hsCode"),
              "goods_description": ext.get("goodsDescription")}
    where = {"mrn": "bizTransactionList", "bill_of_lading": "bizTransactionList", "containers": "epcList",
             "entry_point": "bizLocation", "arrived_on": "eventTime", "importer_eori": "destinationList"}
    where.update({f: "tg:" + c for f, c in (("consignor_name", "consignorName"), ("consignor_address", "consignorAddress"),
                                            ("importer_name", "importerName"), ("country_of_origin", "countryOfOrigin"),
                                            ("hs_code", "hsCode"), ("goods_description", "goodsDescription"))})
    if entry is None and why:
        p.warn("bizLocation", why)
    if lines:
        p.warn("quantityList", "the products of an arrival are not kept: the EU side knows them from its findings")
    record = _check(p, "eu-arrivals", values, where)
    if record is not None and not p.rejected:
        p.records.append(("eu-arrivals", record))


def _result(e: Mapping[str, Any], p: Placed, which: int) -> str | None:
    disposition = word(e.get("disposition"))
    if disposition in RESULT:
        return RESULT[disposition][which]
    p.reject("disposition", f"disposition {disposition or '(none)'} gives no result: conformant or non_conformant", disposition)
    return None


def _certificate(doc: Document, e: Mapping[str, Any], p: Placed, bts: dict[str, list[str]]) -> None:
    p.what = "cn-certificates"
    ext = _extensions(doc, e)
    result = _result(e, p, 0)
    values = {"certificate_no": bts["cert"][0], "declaration_no": _first(bts, "declaration"),
              "issuer": ext.get("issuer"), "issued_on": _date(e), "result": result,
              "standards": ext.get("standards"), "tested_models": ext.get("testedModels")}
    where = {"certificate_no": "bizTransactionList", "declaration_no": "bizTransactionList", "issuer": "tg:issuer",
             "issued_on": "eventTime", "standards": "tg:standards", "tested_models": "tg:testedModels"}
    record = _check(p, "cn-certificates", values, where)
    if record is not None and not p.rejected:
        p.records.append(("cn-certificates", record))


def _inspection(doc: Document, e: Mapping[str, Any], p: Placed, bts: dict[str, list[str]]) -> None:
    p.what = "eu-inspections"
    ext = _extensions(doc, e)
    kind = ext.get("inspectionKind") or ("laboratory" if word(e.get("bizStep")) == "sampling" else None)
    values = {"inspection_id": bts["inspection"][0], "mrn": _first(bts, "mrn"), "authority": ext.get("authority"),
              "inspected_on": _date(e), "kind": kind, "outcome": _result(e, p, 1)}
    where = {"inspection_id": "bizTransactionList", "mrn": "bizTransactionList", "authority": "tg:authority",
             "inspected_on": "eventTime", "kind": "tg:inspectionKind"}
    record = _check(p, "eu-inspections", values, where)
    if record is not None and not p.rejected:
        p.records.append(("eu-inspections", record))


_FINDING_EXT = {"notifying_country": "notifyingCountry", "product_name": "productName", "category": "category",
                "hazard": "hazard", "risk_level": "riskLevel", "brand": "brand", "model": "model", "standard": "standard",
                "description": "description", "measure": "measure", "alert_no": "alertNo", "gtin": "gtin", "batch": "batch"}


def _finding(doc: Document, e: Mapping[str, Any], p: Placed, bts: dict[str, list[str]]) -> None:
    p.what = "eu-findings"
    ext = _extensions(doc, e)
    values: dict[str, Any] = {f: ext.get(local) for f, local in _FINDING_EXT.items()}
    values.update({"finding_id": bts["finding"][0], "found_on": _date(e),
                   "inspection_id": _first(bts, "inspection"), "mrn": _first(bts, "mrn")})
    classes = [x for x in _list(e.get("epcList")) if isinstance(x, str)]
    classes += [q["epcClass"] for q in _list(e.get("quantityList")) if isinstance(q, dict) and isinstance(q.get("epcClass"), str)]
    for uri in classes:  # what the product carries: its GTIN and batch
        try:
            epc = gs1.parse(uri)
        except InvalidIdentifier as exc:
            p.warn("epcList", f"{exc}; the finding keeps no GTIN from it", uri)
            continue
        if epc.kind in ("item", "class"):
            values["gtin"] = values["gtin"] or epc.key
            values["batch"] = values["batch"] or epc.lot or None
            break
    where = {"finding_id": "bizTransactionList", "found_on": "eventTime", "inspection_id": "bizTransactionList",
             "mrn": "bizTransactionList", "gtin": "epcList", "batch": "quantityList"}
    where.update({f: "tg:" + local for f, local in _FINDING_EXT.items() if f not in ("gtin", "batch")})
    record = _check(p, "eu-findings", values, where)
    if record is not None:
        p.records.append(("eu-findings", record))


def _keep(doc: Document, e: Any, p: Placed, why: str) -> None:
    """Keep an event tracegraph cannot place, as written, with the reason."""
    p.what = "kept"
    p.warn("", f"kept as written, not placed in the graph: {why}")
    event = dict(e) if isinstance(e, dict) else {"value": e}
    if doc.context is not None and "@context" not in event:
        event["@context"] = doc.context
    text = json.dumps(event, ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_KEPT:
        p.warn("", f"too large to keep ({len(text):,} characters, over {MAX_KEPT:,}): only its summary is kept")
        text = json.dumps({k: event.get(k) for k in ("type", "eventID", "eventTime", "bizStep", "disposition")})
    props: dict[str, Any] = {"event_type": str(event.get("type") or ""), "biz_step": word(event.get("bizStep")),
                             "disposition": word(event.get("disposition")), "event_time": str(event.get("eventTime") or ""),
                             "reason": why, "event": text}
    p.kept = Record(m.EPCIS_EVENT, p.event_id, {k: v for k, v in props.items() if v != ""})


def place(doc: Document, index: int, packed: Mapping[tuple[str, str], list[tuple[int, str]]]) -> Placed:
    """What event ``index`` of ``doc`` becomes (see the module's docstring)."""
    e = doc.events[index]
    line = doc.lines[index] if index < len(doc.lines) else 1
    if not isinstance(e, dict):
        p = Placed(index, line, "")
        p.reject("", f"is a JSON {type(e).__name__}, where an event object is expected")
        return p
    p = Placed(index, line, event_identity(e))
    declared = e.get("errorDeclaration")
    if declared is not None:
        p.withdraws = True
        p.withdrawn_on = str(declared.get("declarationTime") or "") if isinstance(declared, dict) else ""
    kind = e.get("type")
    step = word(e.get("bizStep"))
    bts = _transactions(doc, e, p)
    if kind == "ObjectEvent":
        if bts.get("finding"):
            _finding(doc, e, p, bts)
        elif step in SHIPPING and bts.get("declaration"):
            _shipment(doc, e, p, bts, [c for _, c in packed.get(("declaration", bts["declaration"][0]), ())])
        elif step in RECEIVING and bts.get("mrn"):
            _arrival(doc, e, p, bts, [c for _, c in packed.get(("mrn", bts["mrn"][0]), ())])
        elif step in INSPECTING and bts.get("cert"):
            _certificate(doc, e, p, bts)
        elif step in INSPECTING and bts.get("inspection"):
            _inspection(doc, e, p, bts)
        elif step in SHIPPING:
            _keep(doc, e, p, f"a {step} event is a CN export shipment, which tracegraph knows by its export declaration: "
                             "it has no bizTransaction of type tg:declaration")
        elif step in RECEIVING:
            _keep(doc, e, p, f"a {step} event is an EU arrival, which tracegraph knows by its MRN: "
                             "it has no bizTransaction of type tg:mrn")
        elif step in INSPECTING:
            _keep(doc, e, p, f"an {step} event is a CIQ certificate (bizTransaction cert), an EU inspection (testres) "
                             "or a finding (tg:finding): it has none of them")
        else:
            _keep(doc, e, p, f"bizStep {step or '(none)'} is none tracegraph places (shipping, departing, receiving, "
                             "arriving, inspecting, sampling, or an event with a tg:finding)")
    elif kind == "AggregationEvent":
        parent = e.get("parentID")
        roles = [(r, k) for r in ("declaration", "mrn") for k in bts.get(r, ())]
        try:
            epc = gs1.parse(parent) if isinstance(parent, str) else None
        except InvalidIdentifier:
            epc = None
        placed_in = [rk for rk in roles if any(i != index for i, _ in packed.get(rk, ())) or
                     any(isinstance(x, dict) and x.get("type") == "ObjectEvent" and
                         rk[1] in _transactions(doc, x, Placed(j, 0, "")).get(rk[0], ())
                         for j, x in enumerate(doc.events) if j != index)]
        if epc is not None and epc.kind == "container" and placed_in:
            p.what = "aggregation"
            p.warn("parentID", f"container {epc.key} is added to the consignment "
                               f"{', '.join(k for _, k in placed_in)} of this document")
        else:
            what = f"parent {parent}" if epc is None or epc.kind != "container" else f"container {epc.key}"
            _keep(doc, e, p, f"an AggregationEvent is placed when it packs into a container (urn:epc:id:bic:…) of a "
                             f"consignment (tg:declaration or tg:mrn) shipped or received in the same document; "
                             f"{what} is not")
    else:
        _keep(doc, e, p, f"{'an' if str(kind)[:1] in 'AEIOU' else 'a'} {kind or 'typeless'} event is none tracegraph places (ObjectEvents and AggregationEvents are)")
    return p


def place_all(doc: Document) -> list[Placed]:
    """Every event of ``doc`` placed; an event the document also withdraws (its errorDeclaration,
    same eventID) is withdrawn whatever their order."""
    packed = _aggregations(doc)
    placed = [place(doc, i, packed) for i in range(len(doc.events))]
    withdrawn = {p.event_id for p in placed if p.withdraws}
    for p in placed:
        if p.withdraws and not p.rejected:
            p.what = "withdrawal"
            p.warn("errorDeclaration", f"withdraws event {p.event_id} (declared {p.withdrawn_on or 'at no time given'})")
    for p in placed:
        if not p.withdraws and p.event_id in withdrawn and not p.rejected:
            p.records, p.kept, p.what = [], None, "withdrawn"
            p.warn("", f"withdrawn by an errorDeclaration of event {p.event_id} in the same document")
    first: dict[tuple[str, str], int] = {}
    for p in placed:
        for _, r in p.records:
            earlier = first.setdefault((r.label, r.key), p.index)
            if earlier != p.index:
                p.warn("", f"repeats the key {r.key} ({r.label}) of event {earlier}; this later event updates it")
    return placed


# -- landing ------------------------------------------------------------------------------------------
def _state_nx(g: GraphReader, wanted: dict[str, list[str]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for label, keys in wanted.items():
        for k in keys:
            props = g.nodes.get(m.node_id(label, k))
            if props is not None:
                out.setdefault(label, {})[k] = {f: props.get(f) for f in ("epcis_event", "withdrawn_on")}
    return out


def _state_cypher(db: CypherReader, wanted: dict[str, list[str]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for label, keys in wanted.items():
        if label not in m.LABELS:
            raise ValueError(f"unknown label {label!r}")
        for r in db.rows(f"UNWIND $keys AS k MATCH (n:`{label}` {{key: k}}) "
                         "RETURN k, n.epcis_event AS epcis_event, n.withdrawn_on AS withdrawn_on", keys=keys):
            out.setdefault(label, {})[r["k"]] = {"epcis_event": r["epcis_event"], "withdrawn_on": r["withdrawn_on"]}
    return out


STATE = Query("EPCIS state of nodes", _state_nx, _state_cypher)


def _withdrawn_copy(r: Record, p: Placed) -> Record:
    """A record as withdrawn: its fields less the identifiers linkage joins by, its relationships gone."""
    props = {k: v for k, v in r.props.items() if k not in ("bill_of_lading", "containers")}
    props.update(withdrawn_on=p.withdrawn_on or "unknown", withdrawn_event=p.event_id)
    return Record(r.label, r.key, props, ())


def land(store: Any, placed: Sequence[Placed], source: Callable[[str], Source],
         batch: int = 10_000) -> ApplyResult:
    """Land what ``placed`` events became (``store.apply`` per side, through ``source(side)``).

    An event that an earlier load withdrew (its eventID kept as withdrawn) does not land again; a
    withdrawal re-states the records the withdrawn event stated, if they are still that event's,
    as withdrawn (no relationships, no bill of lading or containers), and keeps the error
    declaration as an ``EpcisEvent``."""
    live = [p for p in placed if not p.rejected and (p.records or p.kept or p.withdraws)]
    ids = sorted({p.event_id for p in live})
    wanted: dict[str, set[str]] = {m.EPCIS_EVENT: set(ids)}
    for p in live:
        if p.withdraws:
            for _, r in p.records:
                wanted.setdefault(r.label, set()).add(r.key)
    state = store.run(STATE, {label: sorted(keys) for label, keys in wanted.items()})
    ledger = state.get(m.EPCIS_EVENT, {})
    by_side: dict[str, list[Record]] = {}
    for p in live:
        if p.withdraws:
            for _, r in p.records:
                now = state.get(r.label, {}).get(r.key)
                if now is None:
                    continue  # not landed (yet): the ledger entry keeps it from landing later
                if now.get("epcis_event") != p.event_id:
                    p.warn("", f"{r.label} {r.key} is now stated by another event or file, so it stays as it is")
                    continue
                by_side.setdefault(SIDE_OF[_type_of(r)], []).append(_withdrawn_copy(r, p))
            event = p.kept or Record(m.EPCIS_EVENT, p.event_id, {"reason": "withdrawn by an errorDeclaration"})
            event.props.update(withdrawn_on=p.withdrawn_on or "unknown")
            by_side.setdefault(KEPT_SIDE, []).append(event)
            continue
        if (ledger.get(p.event_id) or {}).get("withdrawn_on"):
            p.warn("", f"event {p.event_id} was withdrawn by an errorDeclaration loaded earlier; it does not land again")
            p.records, p.kept = [], None
            continue
        for _, r in p.records:
            by_side.setdefault(p.side, []).append(r)
        if p.kept is not None:
            by_side.setdefault(KEPT_SIDE, []).append(p.kept)
    result = ApplyResult()
    for side, records in sorted(by_side.items()):
        for i in range(0, len(records), batch):
            result.add(store.apply(records[i : i + batch], source(side)))
    return result


_TYPE_OF_LABEL = {t.label: name for name, t in RECORD_TYPES.items()}


def _type_of(r: Record) -> str:
    return _TYPE_OF_LABEL[r.label]


# -- writing ------------------------------------------------------------------------------------------
def _time(day: Any) -> str:
    return f"{day}T00:00:00.000Z" if day else "1970-01-01T00:00:00.000Z"


def _tx(kind: str, value: str, typ: str | None = None) -> dict[str, str]:
    return {"type": typ or f"tg:{kind}", "bizTransaction": urn(kind, value)}


def _own_transactions(kind: str, key: str, props: Mapping[str, Any]) -> list[dict[str, str]]:
    """A consignment's own document (declaration or MRN), then its bill of lading if known."""
    txs = [_tx(kind, key)]
    if props.get("bill_of_lading"):
        txs.append(_tx("bol", str(props["bill_of_lading"]), "bol"))
    return txs


def _event_id(label: str, key: str, props: Mapping[str, Any]) -> str:
    given = props.get("epcis_event")
    return str(given) if given else urn("event", label, key)


def _base(label: str, key: str, props: Mapping[str, Any], day: Any, step: str, disposition: str) -> dict[str, Any]:
    return {"type": "ObjectEvent", "eventID": _event_id(label, key, props), "eventTime": _time(day),
            "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizStep": step, "disposition": disposition}


def event_for(label: str, props: Mapping[str, Any], lines: Sequence[Mapping[str, Any]] = (),
              hidden: Iterable[str] = ()) -> dict[str, Any] | None:
    """The EPCIS event of one node (``props`` with ``key``), as :func:`place` reads it back; None
    for a label that has none. ``hidden`` names fields (``Arrival.importer_eori``) left out for
    whoever asks; ``lines`` are a shipment's lines."""
    hide = set(hidden)
    key = str(props["key"])
    if label == m.EPCIS_EVENT:
        try:
            event = json.loads(str(props.get("event") or "{}"))
        except ValueError:
            return None
        return event if isinstance(event, dict) and event.get("type") else None
    if label == m.SHIPMENT:
        e = _base(label, key, props, props.get("departed_on"), "shipping", "in_transit")
        e["epcList"] = [f"urn:epc:id:bic:{c}" for c in props.get("containers") or ()]
        quantities = []
        for line in sorted(lines, key=lambda x: (str(x.get("manufacturer_uscc")), str(x.get("model")), str(x.get("batch") or ""))):
            parts = [str(line["manufacturer_uscc"]), str(line["model"])]
            if line.get("batch") and "ShipmentLine.batch" not in hide:
                parts.append(str(line["batch"]))
            q: dict[str, Any] = {"epcClass": urn("product", *parts)}
            if line.get("quantity") is not None and "ShipmentLine.quantity" not in hide:
                q["quantity"] = line["quantity"]
            quantities.append(q)
        if quantities:
            e["quantityList"] = quantities
        if props.get("port_of_loading"):
            e["readPoint"] = {"id": urn("locode", str(props["port_of_loading"]))}
        e["bizTransactionList"] = _own_transactions("declaration", key, props)
        if props.get("exporter_uscc"):
            e["sourceList"] = [{"type": "owning_party", "source": urn("uscc", str(props["exporter_uscc"]))}]
        if props.get("destination_port"):
            e["destinationList"] = [{"type": "location", "destination": urn("locode", str(props["destination_port"]))}]
        if props.get("destination_country"):
            e["tg:destinationCountry"] = props["destination_country"]
        return e
    if label == m.ARRIVAL:
        e = _base(label, key, props, props.get("arrived_on"), "arriving", "in_progress")
        e["epcList"] = [f"urn:epc:id:bic:{c}" for c in props.get("containers") or ()]
        if props.get("entry_point"):
            e["bizLocation"] = {"id": urn("locode", str(props["entry_point"]))}
        e["bizTransactionList"] = _own_transactions("mrn", key, props)
        if props.get("importer_eori") and "Arrival.importer_eori" not in hide:
            e["destinationList"] = [{"type": "owning_party", "destination": urn("eori", str(props["importer_eori"]))}]
        for f, local in (("consignor_name", "consignorName"), ("consignor_address", "consignorAddress"),
                         ("importer_name", "importerName"), ("country_of_origin", "countryOfOrigin"),
                         ("hs_code", "hsCode"), ("goods_description", "goodsDescription")):
            if props.get(f) and f"Arrival.{f}" not in hide:
                e[f"tg:{local}"] = props[f]
        return e
    if label == m.CERTIFICATE:
        e = _base(label, key, props, props.get("issued_on"), "inspecting",
                  "conformant" if props.get("result") == "pass" else "non_conformant")
        e["bizTransactionList"] = [_tx("cert", key, "cert")] + (
            [_tx("declaration", str(props["declaration_no"]))] if props.get("declaration_no") else [])
        if props.get("issuer"):
            e["tg:issuer"] = props["issuer"]
        if props.get("standards"):
            e["tg:standards"] = list(props["standards"])
        if props.get("tested_models"):
            e["tg:testedModels"] = list(props["tested_models"])
        return e
    if label == m.INSPECTION:
        e = _base(label, key, props, props.get("inspected_on"), "sampling" if props.get("kind") == "laboratory" else "inspecting",
                  "conformant" if props.get("outcome") == "compliant" else "non_conformant")
        e["bizTransactionList"] = [_tx("inspection", key, "testres")] + (
            [_tx("mrn", str(props["mrn"]))] if props.get("mrn") else [])
        for f, local in (("authority", "authority"), ("kind", "inspectionKind")):
            if props.get(f):
                e[f"tg:{local}"] = props[f]
        return e
    if label == m.FINDING:
        e = _base(label, key, props, props.get("found_on"), "inspecting", "non_conformant")
        txs = [_tx("finding", key)]
        if props.get("inspection_id"):
            txs.append(_tx("inspection", str(props["inspection_id"]), "testres"))
        if props.get("mrn"):
            txs.append(_tx("mrn", str(props["mrn"])))
        e["bizTransactionList"] = txs
        gtin, batch = str(props.get("gtin") or ""), "" if "Finding.batch" in hide else str(props.get("batch") or "")
        if gtin and len(gtin) in (13, 14):
            e["quantityList"] = [{"epcClass": gs1.gtin_digital_link(gtin, batch)}]
            gtin = batch = ""
        for f, local in _FINDING_EXT.items():
            value = {"gtin": gtin, "batch": batch}.get(f, props.get(f))
            if value and f"Finding.{f}" not in hide:
                e[f"tg:{local}"] = value
        return e
    return None


def document(events: list[dict[str, Any]], query: str | None = None, created: str = "") -> dict[str, Any]:
    """An ``EPCISDocument`` of ``events``, or with ``query`` (its name) an ``EPCISQueryDocument``."""
    body: dict[str, Any] = ({"eventList": events} if query is None else
                            {"queryResults": {"queryName": query, "resultsBody": {"eventList": events}}})
    return {"@context": CONTEXT, "type": "EPCISQueryDocument" if query else "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": created or "1970-01-01T00:00:00.000Z", "epcisBody": body}


# -- capture ------------------------------------------------------------------------------------------
@dataclass
class Captured:
    """What a capture did: counts, and every note by event."""

    events: int = 0
    landed: int = 0
    kept: int = 0
    rejected: int = 0
    result: ApplyResult = field(default_factory=ApplyResult)
    notes: list[tuple[int, int, Note]] = field(default_factory=list)  # (event index, line, note)


def capture(store: Any, doc: Document, sides: frozenset[str], sender: str) -> Captured:
    """Land a captured document's events under ``<side>:api:<sender>``, refusing each event of a
    side the sender may not write (``sides``: ``cn``, ``eu``); commit, then link what changed."""
    from datetime import datetime, timezone

    from tracegraph.linkage import link

    placed = place_all(doc)
    for p in placed:
        theirs = sorted({_type_of(r) for _, r in p.records if SIDE_OF[_type_of(r)] not in sides})
        if not p.rejected and theirs:
            p.reject("", f"this token may capture {' and '.join(s.upper() for s in sorted(sides))}-side events only; "
                         f"this event {'withdraws' if p.withdraws else 'is'} a {theirs[0]} record "
                         f"({SIDE_OF[theirs[0]].upper()} side)")
            p.records = []
    out = Captured(events=len(placed))
    with store.writing():
        at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        out.result = land(store, placed, lambda side: Source(side, f"api:{sender}", at))
        store.commit()
        if out.result.created or out.result.updated:
            link(store, at, since=at)
        store.checkpoint()
    for p in placed:
        out.rejected += p.rejected
        out.kept += p.what == "kept" and not p.rejected
        out.notes += [(p.index, p.line, n) for n in p.notes]
    out.landed = out.events - out.rejected
    return out
