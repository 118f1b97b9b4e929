"""GS1 identifiers as EPCIS writes them: EPC URNs (Tag Data Standard) and GS1 Digital Link URIs.

:func:`parse` turns ``urn:epc:id:sgtin:0614141.107346.2017``, ``urn:epc:class:lgtin:4012345.012345.998877``,
``urn:epc:idpat:sgtin:4012345.098765.*``, ``urn:epc:id:sscc:…``, ``urn:epc:id:sgln:…``,
``urn:epc:id:pgln:…``, ``urn:epc:id:bic:CSQU3054383`` (an ISO 6346 container) and Digital Link URIs
(``https://id.gs1.org/01/09521234543213/10/ABC/21/7``, any host) into an :class:`Epc`, its GS1 key
with the check digit computed (python-stdnum's) and checked. No library on PyPI that is kept up
reads the EPC URNs (python-stdnum checks the digits; biip reads barcodes, not URNs), so the
few lines of syntax are here.

A GTIN comes back as GTIN-13 when its indicator digit is 0 (as the exchange files and Safety Gate
write it), else as GTIN-14.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from stdnum import ean

from tracegraph.graph.errors import InvalidIdentifier
from tracegraph.graph.ids import clean_container, clean_gtin

__all__ = ["Epc", "parse", "gtin_digital_link", "short_gtin"]


@dataclass(frozen=True)
class Epc:
    """What an identifier names: ``kind`` is ``item`` (a GTIN with a serial), ``class`` (a GTIN,
    with a lot or not), ``sscc`` (a logistic unit), ``location`` (a GLN and extension), ``party``
    (a GLN) or ``container`` (ISO 6346)."""

    kind: str
    key: str  # the GTIN, SSCC, GLN or container number
    serial: str = ""
    lot: str = ""
    extension: str = ""


def short_gtin(gtin14: str) -> str:
    """A GTIN-14 as GTIN-13 when its indicator digit is 0 (``0690…`` → ``690…``)."""
    return gtin14[1:] if len(gtin14) == 14 and gtin14[0] == "0" else gtin14


def _key(prefix: str, reference: str, total: int, what: str, uri: str, indicator_first: bool = True) -> str:
    """The GS1 key of a company prefix and a reference (indicator or extension digit first), with its check digit."""
    if not (prefix.isascii() and prefix.isdigit() and reference.isascii() and reference.isdigit()):
        raise InvalidIdentifier(f"{what} {uri!r}: company prefix and reference must be digits")
    if len(prefix) + len(reference) != total - 1:
        raise InvalidIdentifier(f"{what} {uri!r}: company prefix and reference must have {total - 1} digits together, "
                                f"not {len(prefix) + len(reference)}")
    body = reference[0] + prefix + reference[1:] if indicator_first else prefix + reference
    return body + ean.calc_check_digit(body)


def _part(text: str) -> str:
    return unquote(text)


_URN = re.compile(r"^urn:epc:(id|class|idpat):([a-z0-9]+):(.+)$", re.IGNORECASE)


def _from_urn(uri: str) -> Epc:
    m = _URN.match(uri)
    if not m:
        raise InvalidIdentifier(f"{uri!r} is not an EPC URN (urn:epc:id:…, urn:epc:class:…)")
    space, scheme, rest = m.group(1).lower(), m.group(2).lower(), m.group(3)
    parts = rest.split(".")
    if scheme == "bic" and space == "id":
        return Epc("container", clean_container(rest))
    if scheme == "sgtin" and len(parts) == 3:
        gtin = short_gtin(_key(parts[0], parts[1], 14, "SGTIN", uri))
        if space == "id":
            return Epc("item", gtin, serial=_part(parts[2]))
        if space == "idpat" and parts[2] == "*":
            return Epc("class", gtin)
    if scheme == "lgtin" and space == "class" and len(parts) == 3:
        return Epc("class", short_gtin(_key(parts[0], parts[1], 14, "LGTIN", uri)), lot=_part(parts[2]))
    if scheme == "sscc" and space == "id" and len(parts) == 2:
        return Epc("sscc", _key(parts[0], parts[1], 18, "SSCC", uri))
    if scheme == "sgln" and space == "id" and len(parts) == 3:
        return Epc("location", _key(parts[0], parts[1], 13, "SGLN", uri, indicator_first=False), extension=_part(parts[2]))
    if scheme == "pgln" and space == "id" and len(parts) == 2:
        return Epc("party", _key(parts[0], parts[1], 13, "PGLN", uri, indicator_first=False))
    raise InvalidIdentifier(f"{uri!r}: tracegraph reads sgtin, lgtin, sscc, sgln, pgln and bic EPCs, not this one")


# Digital Link: the primary key's Application Identifier and its qualifiers, as path segments.
_DL_KEYS = {"01": "gtin", "00": "sscc", "414": "gln", "417": "party"}


def _from_digital_link(uri: str) -> Epc:
    segments = [s for s in urlsplit(uri).path.split("/") if s]
    for i, seg in enumerate(segments):
        if seg in _DL_KEYS and i + 1 < len(segments):
            value = _part(segments[i + 1])
            qualifiers = dict(zip(segments[i + 2 :: 2], (_part(s) for s in segments[i + 3 :: 2])))
            kind = _DL_KEYS[seg]
            if kind == "gtin":
                gtin = short_gtin(clean_gtin(value).zfill(14))
                if "21" in qualifiers:
                    return Epc("item", gtin, serial=qualifiers["21"], lot=qualifiers.get("10", ""))
                return Epc("class", gtin, lot=qualifiers.get("10", ""))
            if kind == "sscc":
                if not (len(value) == 18 and value.isdigit()) or ean.calc_check_digit(value[:-1]) != value[-1]:
                    raise InvalidIdentifier(f"SSCC {value!r} of {uri!r} must be 18 digits with a valid GS1 check digit")
                return Epc("sscc", value)
            if not (len(value) == 13 and value.isdigit()) or ean.calc_check_digit(value[:-1]) != value[-1]:
                raise InvalidIdentifier(f"GLN {value!r} of {uri!r} must be 13 digits with a valid GS1 check digit")
            return Epc("location" if kind == "gln" else "party", value, extension=qualifiers.get("254", ""))
    raise InvalidIdentifier(f"{uri!r} is a web URI but no GS1 Digital Link (…/01/<GTIN>, …/00/<SSCC>, …/414/<GLN>)")


def parse(uri: str) -> Epc:
    """The GS1 key an EPC URN or a GS1 Digital Link URI names (raises InvalidIdentifier)."""
    text = uri.strip()
    if text[:8].lower() == "urn:epc:":
        return _from_urn(text)
    if text[:7].lower() == "http://" or text[:8].lower() == "https://":
        return _from_digital_link(text)
    raise InvalidIdentifier(f"{uri!r} is neither an EPC URN nor a GS1 Digital Link URI")


def gtin_digital_link(gtin: str, lot: str = "", serial: str = "") -> str:
    """The GS1 Digital Link URI of a GTIN (at GS1's resolver), with its lot and serial."""
    from urllib.parse import quote

    uri = f"https://id.gs1.org/01/{gtin.zfill(14)}"
    if lot:
        uri += "/10/" + quote(lot, safe="")
    if serial:
        uri += "/21/" + quote(serial, safe="")
    return uri
