"""Safety Gate (formerly RAPEX) alerts as users download them: four export formats, one mapping.

The EU publishes its alerts on dangerous non-food products in several exports. Each has a reader
here that yields :class:`RawAlert` items, the alert's values under the shared names of
:data:`FIELDS`; :func:`to_record` maps one to a ``Finding`` record, the same whatever the format:

* ``csv``: the website's CSV export (``alert_number, product_name, product_category, brand, …,
  measures_authorities, notifying_country``) and the search export's CSV (``type_of_alert,
  alert_number, alert_submitted_by, …, barcode, batch_number``), told apart by nothing but their
  column names (:data:`CSV_COLUMNS`);
* ``json``: the open-data export, a list of records each flat or under ``fields`` (OpenDataSoft's
  ``[{"datasetid": …, "recordid": …, "fields": {…}}]``), or an object holding such a list under
  ``records`` or ``results`` (:data:`JSON_FIELDS`);
* ``xml``: the search export, a root ``<notifications>`` with one element per notification
  (:data:`XML_FIELDS`). Expat reads it with document types refused, so no entity expands (an XML
  bomb) and no external one is read.

A file is recognised by its content (:func:`sniff`), whatever it is called.

What a finding gets
-------------------
Key: the alert number, normalised (:func:`parse_alert_number`): ``A12/0912/19`` and
``A12/00912/19`` are one alert, ``A12/00912/19``. ``alert_no`` holds the same; ``source`` says
``safety-gate``.

``risk_level``, by what the export says, strongest first (``risk_level_basis`` names which):

* ``stated``: a risk level field (``risk_level``, ``alert_level``, ``level``): ``Serious risk``
  is serious, ``High risk`` high, and so on;
* ``alert_type``: the type of alert: a serious-risk notification is ``serious``; an other-risk
  (non-serious, GPSD Article 11) one is ``medium``;
* ``alert_number``: the notification type the prefix names: ``A12`` (GPSD Article 12, serious
  risk) and ``SR`` (GPSR serious risk notification, since 13 December 2024) are ``serious``;
  ``A11`` (GPSD Article 11) and ``OR`` (GPSR other risk notification) are ``medium``;
* ``default``: another prefix, with a warning: ``serious``, as nearly every published alert is.

Other-risk notifications say only that the risk is *not serious*: it may be high, medium or low,
and ``medium``, the middle of the three, overstates and understates it the least.

``found_on`` (``found_on_basis`` names which): the alert date where the export gives one
(``alert_date``); else the earliest date of entry into force of its measures (``measures``); else
the earliest date its alert number allows (``alert_number``): 1 January of its year, and for an
``SR`` or ``OR`` alert no earlier than 13 December 2024. Either of the last two with a warning.

Loads of different exports of one alert merge (the records are ``merge`` records): a field an
export leaves empty keeps what another gave. The two derived fields are the exception that needs a
rule, as every export gives them: a value derived on a weaker basis never replaces one on a
stronger basis (:func:`keep_stronger`, with what the store holds read by :func:`settle`), so the
graph does not depend on the order of the loads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Mapping, Sequence
from xml.parsers import expat

import pycountry

from tracegraph.graph.countries import ISO3166_ALPHA2
from tracegraph.graph.errors import InvalidIdentifier
from tracegraph.graph.ids import clean_gtin
from tracegraph.graph.model import FINDING, Record
from tracegraph.graph.reading import CypherReader, GraphReader, Query
from tracegraph.loaders import csv_format
from tracegraph.loaders.jsonl_format import finite_float, reject_constant
from tracegraph.loaders.reader import FileProblem, refuse_utf16
from tracegraph.loaders.rules import MAX_TEXT, FieldError, vocabulary

__all__ = [
    "FORMAT", "FIELDS", "RawAlert", "AlertNumber", "Export", "READERS", "sniff", "detect", "parse_alert_number",
    "country_code", "to_record", "combine", "keep_stronger", "settle",
]

FORMAT = "safety-gate"
SOURCE = "safety-gate"  # the ``source`` field of every finding that came from an alert
GPSR_START = date(2024, 12, 13)  # Regulation (EU) 2023/988 applies; SR/OR numbering starts

# The shared names every reader puts an alert's values under.
FIELDS = (
    "alert_number", "alert_date", "alert_type", "level", "product_name", "category", "brand", "model", "barcode",
    "batch", "description", "origin", "notifying_country", "risk_type", "risk_description", "measures",
    "compulsory_measures", "voluntary_measures",
)

# Each export's names for them; where two names give one field, the first that has a value wins.
CSV_COLUMNS = {
    "alert_number": "alert_number", "alert_date": "alert_date", "type_of_alert": "alert_type",
    "risk_level": "level", "product_name": "product_name", "product_category": "category", "brand": "brand",
    "model_type_number": "model", "barcode": "barcode", "batch_number": "batch", "product_description": "description",
    "country_of_origin": "origin", "notifying_country": "notifying_country", "alert_submitted_by": "notifying_country",
    "risk_type": "risk_type", "risk_description": "risk_description", "measures_authorities": "measures",
    "compulsory_measures": "compulsory_measures", "voluntary_measures": "voluntary_measures",
}
JSON_FIELDS = {
    "alert_number": "alert_number", "alert_date": "alert_date", "alert_type": "alert_type", "risk_level": "level",
    "alert_level": "level", "product_name": "product_name", "product_category": "category", "product_brand": "brand",
    "product_model_type": "model", "product_barcode": "barcode", "product_batch_number": "batch",
    "product_description": "description", "product_country": "origin", "alert_country": "notifying_country",
    "risk_type": "risk_type", "risk_description": "risk_description", "measures_taken": "measures",
    "measures": "measures", "compulsory_measures": "compulsory_measures", "voluntary_measures": "voluntary_measures",
}
XML_FIELDS = {  # element names, compared in lower case
    "casenumber": "alert_number", "alertnumber": "alert_number", "reference": "alert_number",
    "alertdate": "alert_date", "typeofalert": "alert_type", "notificationtype": "alert_type", "alerttype": "alert_type",
    "risklevel": "level", "level": "level", "name": "product_name", "product": "product_name", "category": "category",
    "brand": "brand", "typenumbermodel": "model", "type_numberofmodel": "model", "barcode": "barcode",
    "batchnumber": "batch", "description": "description", "countryoforigin": "origin",
    "notifyingcountry": "notifying_country", "alertsubmittedby": "notifying_country", "risktype": "risk_type",
    "riskdescription": "risk_description", "danger": "risk_description", "measures": "measures",
    "compulsorymeasures": "compulsory_measures", "voluntarymeasures": "voluntary_measures",
}
_MEASURE_TEXTS = ("measures", "compulsory_measures", "voluntary_measures")
_LISTED = ("alert_type", "risk_type", "barcode")  # a list of these is one text, comma-joined


@dataclass(slots=True)
class RawAlert:
    """One alert as a reader found it: its values under the names of :data:`FIELDS`, each with the
    export's own name for it (``names``, for the report), or why it cannot be read."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        v = value.strip()
        return not v or v == "None"
    if isinstance(value, list):
        return all(_empty(x) for x in value)
    return False


def _pick(line: int, given: Mapping[str, Any], names: Mapping[str, str]) -> RawAlert:
    """The alert of ``given`` (an export's names and values): for each field, the value of the
    first of its names in ``names`` that has one."""
    alert = RawAlert(line)
    for name, canon in names.items():
        value = given.get(name)
        if canon not in alert.values and not _empty(value):
            alert.values[canon] = value
            alert.names[canon] = name
    return alert


# -- recognising an export by its content ----------------------------------------------------------
_HEAD = 1 << 16
_FIRST_ELEMENT = re.compile(r"<(?![?!])([^\s/>]+)")


def _head(path: str | Path) -> str:
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: decoded to recognise it; its reader reads (XML) or refuses it
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8-sig", errors="replace")


def sniff(path: str | Path) -> str | None:
    """Return which reader of :data:`READERS` a Safety Gate export needs, by its content, or ``None``
    for a file that is none: an XML whose root is ``notifications``, JSON that names ``alert_number``,
    a CSV whose header has ``alert_number`` and at least two more Safety Gate columns."""
    try:
        text = _head(path).lstrip()
    except OSError:
        return None
    if text.startswith("<"):
        root = _FIRST_ELEMENT.search(text)
        return "xml" if root and root.group(1).rpartition(":")[2] == "notifications" else None
    if text[:1] in ("[", "{"):
        return "json" if '"alert_number"' in text else None
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return None
    names = {h.strip().lower() for h in header}
    return "csv" if "alert_number" in names and len(names & CSV_COLUMNS.keys()) >= 3 else None


def detect(path: str | Path) -> str:
    """Return the reader for a file that must be a Safety Gate export (``--format safety-gate``):
    by its content where it is recognised, else by its first character or name, else CSV."""
    found = sniff(path)
    if found:
        return found
    try:
        first = _head(path).lstrip()[:1]
    except OSError:
        first = ""
    suffix = Path(path).suffix.lower()
    if first == "<" or suffix == ".xml":
        return "xml"
    if first in ("[", "{") or suffix == ".json":
        return "json"
    return "csv"


@dataclass(frozen=True)
class Export:
    """A file to read as a Safety Gate export, with the reader of :data:`READERS` it needs."""

    reader: str
    name: str = FORMAT


# -- the readers -----------------------------------------------------------------------------------
_CSV_FIELDS = tuple(CSV_COLUMNS)


def read_csv(raw: BinaryIO) -> Iterator[RawAlert]:
    """Yield the alerts of a website or search-export CSV (see :func:`tracegraph.loaders.csv_format.read`)."""
    for row in csv_format.read(raw, _CSV_FIELDS, ("alert_number",)):
        if row.error:
            yield RawAlert(row.line, error=row.error)
        else:
            yield _pick(row.line, dict(zip(_CSV_FIELDS, row.values)), CSV_COLUMNS)


_WS = re.compile(r"[ \t\n\r]*")
_RECORD_LISTS = ("records", "results")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_constant=reject_constant, parse_float=finite_float)


def _skip(text: str, i: int) -> int:
    """The index of the first character at or after ``i`` that is not JSON whitespace."""
    return _WS.match(text, i).end()  # type: ignore[union-attr]  # (``*`` always matches)


def _items(text: str, at: int, decoder: json.JSONDecoder) -> Iterator[tuple[int, Any]]:
    """The elements of the (valid) JSON array that starts at ``at``, each with its line."""
    line, counted = 1, 0
    i = _skip(text, at + 1)
    while text[i] != "]":
        line += text.count("\n", counted, i)
        counted = i
        value, i = decoder.raw_decode(text, i)
        yield line, value
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)


def _records(text: str, root: Any, decoder: json.JSONDecoder) -> Iterator[tuple[int, Any]]:
    """The records of a (valid) JSON export, each with the line it starts on."""
    start = _skip(text, 0)
    if isinstance(root, list):
        yield from _items(text, start, decoder)
        return
    if not isinstance(root, dict):
        raise FileProblem(1, "", f"the JSON is a {type(root).__name__}, where a list of Safety Gate records is expected")
    if "alert_number" in root or isinstance(root.get("fields"), dict):
        yield 1 + text.count("\n", 0, start), root
        return
    # {"records": [...]} (OpenDataSoft): find where the list starts, to give each record its line
    i = _skip(text, start + 1)
    while text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        value, end = decoder.raw_decode(text, i)
        if key in _RECORD_LISTS and isinstance(value, list):
            yield from _items(text, i, decoder)
            return
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)
    raise FileProblem(1, "", "the JSON is an object without alerts: a Safety Gate export is a list of records "
                             "(each flat or under \"fields\"), or an object with such a list under \"records\"")


def read_json(raw: BinaryIO) -> Iterator[RawAlert]:
    """Yield the alerts of an open-data JSON export; a record that is no object is an error row."""
    data = raw.read()
    refuse_utf16(data[:2])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblem(line, "", f"the file is not valid UTF-8 (line {line}); save it as UTF-8") from None
    decoder = _decoder()
    try:
        root = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(exc.lineno, "", f"the file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise FileProblem(1, "", "the JSON nests arrays or objects too deep to read") from None
    except ValueError as exc:  # NaN, 1e999, an integer of thousands of digits
        raise FileProblem(1, "", f"the file is not valid JSON ({exc})") from None
    for line, record in _records(text, root, decoder):
        if not isinstance(record, dict):
            yield RawAlert(line, error=f"is a JSON {type(record).__name__}, where an object with the fields of an alert is expected")
            continue
        fields = record.get("fields")
        if isinstance(fields, dict):
            record = fields
        yield _pick(line, {str(k).strip().lower(): v for k, v in record.items()}, JSON_FIELDS)


def read_xml(raw: BinaryIO) -> Iterator[RawAlert]:
    """Yield the alerts of a search XML export, read by expat with document types refused; each
    element's text is all the text inside it, and an element repeated is one value of several."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    done: list[RawAlert] = []
    texts: list[list[str]] = []  # the text of each open element inside a notification
    values: dict[str, list[str]] = {}  # the texts of each element name (in lower case) inside the notification
    written: dict[str, str] = {}  # each name as the file writes it, for the report
    depth = 0
    start_line = 0

    def refuse(*_: Any) -> None:
        raise FileProblem(parser.CurrentLineNumber, "", "the XML declares a document type (<!DOCTYPE …>): Safety Gate "
                          "exports have none, and its entities could expand without end or read other files; refused")

    def start(name: str, _attrs: Any) -> None:
        nonlocal depth, start_line
        depth += 1
        if depth == 1:
            if name.rpartition(":")[2] != "notifications":
                raise FileProblem(parser.CurrentLineNumber, "", f"the XML's root element is <{name}>, where a Safety Gate "
                                  "export has <notifications>")
        elif depth == 2:
            start_line = parser.CurrentLineNumber
            values.clear()
            written.clear()
            texts.append([])
        else:
            texts.append([])

    def end(name: str) -> None:
        nonlocal depth
        if depth >= 3:
            text = "".join(texts.pop())
            texts[-1].append(text)  # an element's text is all the text inside it
            local = name.rpartition(":")[2]
            values.setdefault(local.lower(), []).append(text)
            written[local.lower()] = local
        elif depth == 2:
            texts.pop()
            alert = _pick(start_line, values, XML_FIELDS)
            alert.names = {canon: written[name] for canon, name in alert.names.items()}
            done.append(alert)
        depth -= 1

    def chars(data: str) -> None:
        if texts:
            texts[-1].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    chunk = raw.read(_HEAD)  # (expat reads UTF-16 by its byte-order mark, as XML may be)
    try:
        while chunk:
            parser.Parse(chunk, False)
            yield from done
            done.clear()
            chunk = raw.read(_HEAD)
        try:
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise FileProblem(exc.lineno, "", "the XML ends before its elements are closed (is the file cut short?): "
                              f"{expat.ErrorString(exc.code)} at line {exc.lineno}, column {exc.offset + 1}") from None
    except expat.ExpatError as exc:
        raise FileProblem(exc.lineno, "", f"the file is not well-formed XML: {expat.ErrorString(exc.code)} "
                          f"at line {exc.lineno}, column {exc.offset + 1}") from None
    yield from done


READERS: dict[str, Callable[[BinaryIO], Iterator[RawAlert]]] = {"csv": read_csv, "json": read_json, "xml": read_xml}


# -- alert numbers -----------------------------------------------------------------------------------
_ALERT_NUMBER = re.compile(r"^([A-Z]{1,4}[0-9]{0,2})[/\-]([0-9]{1,6})[/\-]([0-9]{2}|20[0-9]{2})$", re.ASCII)

# The notification types an alert number's prefix names, and the risk level each implies.
NOTIFICATION_TYPES = {
    "A12": "serious",  # GPSD 2001/95/EC Article 12: a product posing a serious risk (to 12 Dec 2024)
    "A11": "medium",  # GPSD Article 11: measures against a risk other than serious
    "SR": "serious",  # GPSR (EU) 2023/988 and Delegated Regulation 2024/3173: serious risk notification
    "OR": "medium",  # GPSR: other risk notification
}
GPSR_PREFIXES = ("SR", "OR")


@dataclass(frozen=True, slots=True)
class AlertNumber:
    """An alert number: its notification type ``prefix`` (``A12``, ``SR`` …), sequence and year."""

    prefix: str
    sequence: int
    year: int

    @property
    def key(self) -> str:
        """The normalised number: ``A12/00912/19`` (five digits at least, two of the year)."""
        return f"{self.prefix}/{self.sequence:05d}/{self.year % 100:02d}"

    def earliest(self) -> date:
        """The earliest day an alert of this number can have been notified."""
        first = date(self.year, 1, 1)
        return max(first, GPSR_START) if self.prefix in GPSR_PREFIXES else first


def parse_alert_number(text: str) -> AlertNumber | None:
    """Return the alert number written in ``text`` (``A12/01390/23``, ``A12/0912/19``, ``sr/3781/2024``,
    ``A12-01390-23``), or ``None`` for text that is none."""
    match = _ALERT_NUMBER.match(re.sub(r"\s+", "", text).upper())
    if not match:
        return None
    year = int(match.group(3))
    return AlertNumber(match.group(1), int(match.group(2)), year if year >= 2000 else 2000 + year)


# -- values ------------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _text(value: Any, name: str, notes: list[FieldError], joiner: str = "\n") -> str | None:
    """The value as clean text (``None`` for empty or ``None``), with a note for what was changed."""
    if isinstance(value, list):
        parts = [t for t in (_text(v, name, notes, joiner) for v in value) if t]
        return joiner.join(parts) or None
    if isinstance(value, bool) or isinstance(value, dict):
        notes.append(FieldError(name, f"holds a JSON {'object' if isinstance(value, dict) else 'boolean'}, where text is expected; left out"))
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text or text == "None":
        return None
    if len(text) > MAX_TEXT:
        notes.append(FieldError(name, f"is {len(text):,} characters long, over the limit of {MAX_TEXT:,}; left out"))
        return None
    if _SURROGATE.search(text):
        notes.append(FieldError(name, "is not valid UTF-8 (save the file as UTF-8); the bytes that are not were replaced by \ufffd"))
        text = _SURROGATE.sub("\ufffd", text)
    if _CONTROL.search(text):
        notes.append(FieldError(name, "contains control characters; they were removed"))
        text = _CONTROL.sub("", text)
    return text or None


def _date(text: str) -> str | None:
    """An ISO date from ``2023-06-09`` (a time after it ignored), ``09/06/2023``, ``09.06.2023`` or ``09-06-2023``."""
    t = text.strip()
    if len(t) > 10 and t[10] in "T ":
        t = t[:10]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(t, fmt).date().isoformat()
        except ValueError:
            continue
    return None


# Country names Safety Gate exports use that pycountry does not know, by :func:`_country_key`.
COUNTRY_ALIASES = {
    "peoples republic of china": "CN", "pr china": "CN", "prc": "CN", "china prc": "CN", "mainland china": "CN",
    "hong kong sar": "HK", "hong kong china": "HK", "macau": "MO", "republic of china": "TW", "south korea": "KR",
    "republic of korea": "KR", "turkey": "TR", "russia": "RU", "uk": "GB", "great britain": "GB", "england": "GB",
    "czech republic": "CZ", "the netherlands": "NL", "holland": "NL", "usa": "US", "united states": "US",
    "vietnam": "VN", "moldova": "MD", "macedonia": "MK", "north macedonia": "MK", "iran": "IR", "syria": "SY",
    "laos": "LA", "ivory coast": "CI", "cape verde": "CV", "swaziland": "SZ", "burma": "MM",
}


def _country_key(text: str) -> str:
    t = text.casefold().replace("\u2019", "'").replace("\u2018", "'").replace("'", "").replace(".", "")
    return " ".join(t.replace(",", " ").split())


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a country as an export names it (``People's Republic of
    China``, ``Peoples Republic of China``, ``China``, ``CN``, ``CHN`` …), or ``None``."""
    t = " ".join(text.split())
    if t.upper() in ISO3166_ALPHA2:
        return t.upper()
    alias = COUNTRY_ALIASES.get(_country_key(t))
    if alias:
        return alias
    try:
        code = pycountry.countries.lookup(t).alpha_2
    except LookupError:
        return None
    return code if code in ISO3166_ALPHA2 else None


_MEASURE_LABELS = (
    ("operator", re.compile(r"^\s*type of economic operator[^:]*:\s*(.*)$", re.I)),
    ("category", re.compile(r"^\s*category of measures?(?:\(s\))?[^:]*:\s*(.*)$", re.I)),
    ("date", re.compile(r"^\s*date of entry into force[^:]*:\s*(.*)$", re.I)),
)
_UNKNOWN_DATES = ("", "unknown", "not known", "n/a", "none")


def _measures(text: str, name: str, notes: list[FieldError]) -> tuple[list[str], list[str], list[str]]:
    """The measures of a measures text, as three aligned lists: the economic operator, the category
    of measure and the date of entry into force (ISO, or ``""`` where unknown). A block starts
    with any of its three lines; a line of a kind the block has already starts the next block."""
    blocks: list[dict[str, str]] = []
    for line in text.split("\n"):
        for slot, pattern in _MEASURE_LABELS:
            match = pattern.match(line)
            if match:
                if not blocks or slot in blocks[-1]:
                    blocks.append({})
                blocks[-1][slot] = match.group(1).strip()
                break
    dates = []
    for b in blocks:
        raw = b.get("date", "")
        iso = _date(raw) if raw.casefold() not in _UNKNOWN_DATES else None
        if iso is None and raw.casefold() not in _UNKNOWN_DATES:
            notes.append(FieldError(name, f"date of entry into force {raw!r} is not a date like 09/06/2023; left out"))
        dates.append(iso or "")
    return [b.get("operator", "") for b in blocks], [b.get("category", "") for b in blocks], dates


_LEVELS = ("serious", "high", "medium", "low")
_NOT_SERIOUS = re.compile(r"other risk|other than serious|non[- ]?serious|not serious|less than serious", re.I)
_ARTICLE = re.compile(r"\bart(?:icle|\.)?\s*(11|12|22)\b", re.I)


def level_of(text: str) -> str | None:
    """The risk level a risk level or type of alert text names (``Serious risk``, ``Products with a
    risk level other than serious``, ``Art. 12 notification`` …), or ``None``."""
    t = text.casefold()
    words = set(re.findall(r"[a-z]+", t))
    if _NOT_SERIOUS.search(t):
        return "medium"
    for level in _LEVELS:
        if level in words:
            return level
    article = _ARTICLE.search(t)
    if article:  # GPSD Art. 12 and Regulation 765/2008 Art. 22 notified serious risks; GPSD Art. 11 others
        return "medium" if article.group(1) == "11" else "serious"
    return None


# -- the mapping -------------------------------------------------------------------------------------
# The fields derived from others, with the bases each can be derived on, weakest first. A value the
# store holds without a basis (an eu-findings row) outranks every derivation.
DERIVED = {
    "found_on": ("found_on_basis", ("alert_number", "measures", "alert_date")),
    "risk_level": ("risk_level_basis", ("default", "alert_number", "alert_type", "stated")),
}


def to_record(alert: RawAlert) -> tuple[Record | None, list[FieldError], FieldError | None]:
    """Map one alert to a ``Finding`` merge record; return it, the warnings about its values, and
    the error that rejects it (only an alert without a usable alert number is rejected)."""
    notes: list[FieldError] = []
    names = alert.names
    v: dict[str, str] = {}
    for key, raw in alert.values.items():
        text = _text(raw, names[key], notes, ", " if key in _LISTED else "\n\n" if key in _MEASURE_TEXTS else "\n")
        if text:
            v[key] = text
    number_name = names.get("alert_number", "alert_number")
    if "alert_number" not in v:
        return None, notes, FieldError(number_name, "is required but empty: an alert is known by its alert number")
    number = parse_alert_number(v["alert_number"])
    if number is None:
        return None, notes, FieldError(number_name, f"{v['alert_number']!r} is not a Safety Gate alert number "
                                                    "(like A12/01390/23, A12/0912/19 or SR/03781/24)")
    key = number.key
    props: dict[str, Any] = {"finding_id": key, "alert_no": key, "source": SOURCE}
    for name in ("product_name", "brand", "model", "batch", "description", "risk_description", "alert_type"):
        if name in v:
            props[name] = v[name]
    if "category" in v:
        props["category"] = vocabulary(v["category"])
    if "barcode" in v:
        _barcode(v["barcode"], names["barcode"], props, notes)
    if "risk_type" in v:
        hazards = tuple(dict.fromkeys(vocabulary(h) for h in re.split(r"[,;\n]", v["risk_type"]) if h.strip()))
        if hazards:
            props["hazard"], props["hazards"] = hazards[0], hazards
    for field_name, canon in (("country_of_origin", "origin"), ("notifying_country", "notifying_country")):
        if canon in v:
            code = country_code(v[canon])
            if code is None:
                notes.append(FieldError(names[canon], f"country {v[canon]!r} is not recognised; kept as text"))
            props[field_name] = code or v[canon]
    measure_dates: list[str] = []
    given = [k for k in _MEASURE_TEXTS if k in v]
    if given:
        props["measure"] = "\n\n".join(v[k] for k in given)
        operators, categories, measure_dates = _measures(props["measure"], names[given[0]], notes)
        if operators:
            props["measure_operators"], props["measure_categories"] = tuple(operators), tuple(categories)
            props["measure_dates"] = tuple(measure_dates)
    _risk_level(number, v, names, props, notes)
    _found_on(number, v, names, measure_dates, props, notes)
    return Record(FINDING, key, props, merge=True), notes, None


def _barcode(raw: str, name: str, props: dict[str, Any], notes: list[FieldError]) -> None:
    """``gtin`` (and ``gtins`` when there are several) where the barcodes are valid GTINs; the text
    as written in ``barcode``, with a warning, where any is not."""
    good, bad = [], []
    for part in re.split(r"[,;|\n]+", raw):
        if part.strip():
            try:
                good.append(clean_gtin(part))
            except InvalidIdentifier as exc:
                bad.append(str(exc))
    good = list(dict.fromkeys(good))
    if good:
        props["gtin"] = good[0]
        if len(good) > 1:
            props["gtins"] = tuple(good)
    if bad:
        props["barcode"] = raw
        notes.append(FieldError(name, f"{'; '.join(bad)}: kept as text in barcode"))


def _risk_level(number: AlertNumber, v: Mapping[str, str], names: Mapping[str, str], props: dict[str, Any],
                notes: list[FieldError]) -> None:
    for basis, key in (("stated", "level"), ("alert_type", "alert_type")):
        if key in v:
            level = level_of(v[key])
            if level:
                props["risk_level"], props["risk_level_basis"] = level, basis
                return
            if key == "level":
                notes.append(FieldError(names[key], f"risk level {v[key]!r} is none of {', '.join(_LEVELS)}"))
    level = NOTIFICATION_TYPES.get(number.prefix)
    if level:
        props["risk_level"], props["risk_level_basis"] = level, "alert_number"
        return
    props["risk_level"], props["risk_level_basis"] = "serious", "default"
    notes.append(FieldError(names.get("alert_number", "alert_number"),
                            f"notification type {number.prefix} is unknown (known: {', '.join(NOTIFICATION_TYPES)}) and the "
                            "export gives no risk level or type of alert: risk_level is serious, as for most alerts"))


def _found_on(number: AlertNumber, v: Mapping[str, str], names: Mapping[str, str], measure_dates: list[str],
              props: dict[str, Any], notes: list[FieldError]) -> None:
    if "alert_date" in v:
        day = _date(v["alert_date"])
        if day:
            props["found_on"], props["found_on_basis"] = day, "alert_date"
            return
        notes.append(FieldError(names["alert_date"], f"alert date {v['alert_date']!r} is not a date like 2023-06-09"))
    known = [d for d in measure_dates if d]
    if known:
        props["found_on"], props["found_on_basis"] = min(known), "measures"
        notes.append(FieldError("found_on", f"the export gives no alert date: found_on is {min(known)}, the earliest "
                                            "date of entry into force of its measures"))
        return
    day = number.earliest().isoformat()
    props["found_on"], props["found_on_basis"] = day, "alert_number"
    notes.append(FieldError("found_on", f"the export gives no alert date and no date of a measure: found_on is {day}, "
                                        f"the earliest date alert number {number.key} allows"))


def _rank(name: str, basis: Any) -> int:
    order = DERIVED[name][1]
    return order.index(basis) if basis in order else len(order)


def keep_stronger(props: dict[str, Any], held: Mapping[str, Any]) -> None:
    """Leave out of ``props`` each derived field (:data:`DERIVED`) whose basis is weaker than that
    of the value ``held`` already (an earlier record of the alert, or its node in the store)."""
    for name, (basis, _) in DERIVED.items():
        if name in props and held.get(name) is not None and _rank(name, props.get(basis)) < _rank(name, held.get(basis)):
            del props[name]
            props.pop(basis, None)


def combine(earlier: Record, later: Record) -> Record:
    """One record of two of the same alert (in one file): the later one's fields over the earlier's,
    but for a derived field on a weaker basis."""
    props = dict(later.props)
    keep_stronger(props, earlier.props)
    return Record(FINDING, later.key, {**earlier.props, **props}, merge=True)


_HELD = tuple(name for name in DERIVED) + tuple(basis for basis, _ in DERIVED.values())


def _held_nx(g: GraphReader, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for key in keys:
        node = g.nodes.get(f"{FINDING}:{key}")
        if node is not None:
            out[key] = {name: node.get(name) for name in _HELD}
    return out


def _held_cypher(db: CypherReader, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    returns = ", ".join(f"f.{name} AS {name}" for name in _HELD)
    rows = db.rows(f"UNWIND $keys AS k MATCH (f:{FINDING} {{key: k}}) RETURN k, {returns}", keys=list(keys))
    return {r["k"]: {name: r[name] for name in _HELD} for r in rows}


HELD = Query("derived fields of findings held", _held_nx, _held_cypher)
_READ_BATCH = 10_000


def settle(store: Any, records: Sequence[Record]) -> list[Record]:
    """``records`` with each derived field left out where the store holds it on a stronger basis
    (``store`` may be ``None``, or a writer that cannot be read: then ``records`` as they are)."""
    run = getattr(store, "run", None)
    if run is None:
        return list(records)
    out = []
    for i in range(0, len(records), _READ_BATCH):
        chunk = records[i : i + _READ_BATCH]
        held = run(HELD, [r.key for r in chunk])
        for r in chunk:
            if r.key in held:
                props = dict(r.props)
                keep_stronger(props, held[r.key])
                r = Record(r.label, r.key, props, r.edges, r.merge)
            out.append(r)
    return out
