"""Identifiers shared by both sides, with their validation.

Each ``clean_*`` function returns the identifier in its canonical form or raises
:class:`~tracegraph.graph.errors.InvalidIdentifier` with a message a person can act on.
Check digits are verified with python-stdnum where it knows the scheme.
"""

from __future__ import annotations

import re
from operator import mul
from datetime import date
from functools import lru_cache

from stdnum import ean, iso6346
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from tracegraph.graph.countries import ISO3166_ALPHA2
from tracegraph.graph.errors import InvalidIdentifier

__all__ = [
    "clean_uscc",
    "clean_container",
    "clean_gtin",
    "clean_locode",
    "clean_country",
    "clean_mrn",
    "clean_eori",
    "clean_bill_of_lading",
    "clean_date",
    "mrn_check_digit",
]

_SPACES = re.compile(r"[\s\-./]")


def _compact(value: str) -> str:
    return _SPACES.sub("", value).upper()


@lru_cache(maxsize=1 << 16)  # identifiers repeat across rows: check each once
def clean_uscc(value: str) -> str:
    """Return the 18-character Unified Social Credit Code (GB 32100-2015) after checking it."""
    number = _compact(value)
    try:
        return uscc.validate(number)
    except InvalidChecksum:
        expected = uscc.calc_check_digit(number[:17])
        raise InvalidIdentifier(
            f"USCC {value!r} fails the GB 32100 check character (expected {expected})"
        ) from None
    except InvalidLength:
        raise InvalidIdentifier(f"USCC {value!r} must have 18 characters (spaces and dashes aside), not {len(number)}") from None
    except ValidationError as exc:
        raise InvalidIdentifier(f"USCC {value!r} is not a valid Unified Social Credit Code ({exc})") from None


_CONTAINER = re.compile(r"^[A-Z]{3}[UJZ][0-9]{7}$")  # ASCII digits: \d takes any script's


def clean_container(value: str) -> str:
    """Return an ISO 6346 container number (``MSCU1234566``) after checking its check digit."""
    # Fast path for the usual well-formed number (millions a load), as written or once compacted;
    # stdnum explains the others.
    if _CONTAINER.match(value) and iso6346_check_digit(value[:10]) == value[10]:
        return value
    number = _compact(value)
    if _CONTAINER.match(number) and iso6346_check_digit(number[:10]) == number[10]:
        return number
    try:
        return iso6346.validate(number)
    except InvalidChecksum:
        expected = iso6346.calc_check_digit(number[:10])
        raise InvalidIdentifier(
            f"container {value!r} fails the ISO 6346 check digit (expected {expected})"
        ) from None
    except (InvalidLength, InvalidFormat, InvalidComponent, ValueError):  # stdnum fails on digits of other scripts with a bare ValueError
        raise InvalidIdentifier(
            f"container {value!r} is not an ISO 6346 number (4 letters ending in U, J or Z, 6 digits, 1 check digit)"
        ) from None


@lru_cache(maxsize=1 << 16)  # identifiers repeat across rows: check each once
def clean_gtin(value: str) -> str:
    """Return a GTIN-8/12/13/14 after checking its GS1 check digit."""
    number = _compact(value)
    if not (number.isascii() and number.isdigit()) or len(number) not in (8, 12, 13, 14):
        raise InvalidIdentifier(f"GTIN {value!r} must be 8, 12, 13 or 14 digits")
    try:
        return ean.validate(number)
    except InvalidChecksum:
        expected = ean.calc_check_digit(number[:-1])
        raise InvalidIdentifier(f"GTIN {value!r} fails the GS1 check digit (expected {expected})") from None


_LOCODE = re.compile(r"^([A-Z]{2})([A-Z2-9]{3})$")


@lru_cache(maxsize=1 << 16)  # identifiers repeat across rows: check each once
def clean_locode(value: str) -> str:
    """Return a UN/LOCODE (``NLRTM``): an ISO 3166 country and three letters or digits 2–9."""
    code = _compact(value)
    match = _LOCODE.match(code)
    if not match:
        raise InvalidIdentifier(f"UN/LOCODE {value!r} must be a country code and 3 letters or digits 2-9, like NLRTM")
    if match.group(1) not in ISO3166_ALPHA2:
        raise InvalidIdentifier(f"UN/LOCODE {value!r} starts with {match.group(1)}, which is no ISO 3166 country")
    return code


@lru_cache(maxsize=1 << 16)  # identifiers repeat across rows: check each once
def clean_country(value: str) -> str:
    """Return an ISO 3166-1 alpha-2 country code."""
    code = value.strip().upper()
    if code not in ISO3166_ALPHA2:
        raise InvalidIdentifier(f"country {value!r} is not an ISO 3166-1 alpha-2 code (like CN, NL, DE)")
    return code


# Letter values of ISO 6346, which the EU MRN check character uses as well (no multiples of 11).
_LETTER_VALUES = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:
        _value += 1
    _LETTER_VALUES[_letter] = _value
    _value += 1
_LETTER_VALUES.update({str(d): d for d in range(10)})
_WEIGHTS = tuple(1 << i for i in range(17))

_MRN = re.compile(r"^([0-9]{2})([A-Z]{2})([A-Z0-9]{13})([A-Z0-9])$")


# The letter values as a byte translation table: ``body.encode().translate(_VALUE_BYTES)`` gives them
# all in one C call (255 for a character that has no value).
_VALUE_BYTES = bytes(_LETTER_VALUES.get(chr(i), 255) for i in range(256))


def iso6346_check_digit(body: str) -> str:
    """Return the ISO 6346 check digit of ``body`` (letters valued 10-38 skipping multiples of 11,
    weights 2**position, sum mod 11 mod 10); tests hold it equal to python-stdnum's. ``body`` is
    digits and capital letters A-Z (callers match it first)."""
    values = body.encode("ascii").translate(_VALUE_BYTES)  # C loops: millions a load
    if 255 in values:
        raise ValueError(f"{body!r} has a character with no ISO 6346 value")
    return str(sum(map(mul, values, _WEIGHTS)) % 11 % 10)


def mrn_check_digit(first17: str) -> str:
    """Return the check character of an EU Movement Reference Number (the ISO 6346 method)."""
    return iso6346_check_digit(first17)


def clean_mrn(value: str) -> str:
    """Return an 18-character EU Movement Reference Number after checking its check character."""
    match = _MRN.match(value)  # as written, the usual case; else once compacted
    mrn = value if match else _compact(value)
    match = match or _MRN.match(mrn)
    if not match:
        raise InvalidIdentifier(
            f"MRN {value!r} must have 18 characters: 2 digits of year, 2 letters of country, 13 letters or digits, 1 check character"
        )
    if match.group(2) not in ISO3166_ALPHA2:
        raise InvalidIdentifier(f"MRN {value!r} names country {match.group(2)}, which is no ISO 3166 country")
    expected = mrn_check_digit(mrn[:17])
    if mrn[17] != expected:
        raise InvalidIdentifier(f"MRN {value!r} fails its check character (expected {expected})")
    return mrn


_EORI = re.compile(r"^([A-Z]{2})([A-Z0-9]{1,15})$")


@lru_cache(maxsize=1 << 16)  # identifiers repeat across rows: check each once
def clean_eori(value: str) -> str:
    """Return an EORI number: an ISO 3166 country code and up to 15 letters or digits."""
    eori = _compact(value)
    match = _EORI.match(eori)
    if not match or match.group(1) not in ISO3166_ALPHA2:
        raise InvalidIdentifier(f"EORI {value!r} must be a country code and up to 15 letters or digits, like NL123456789")
    return eori


_BOL = re.compile(r"^[A-Z0-9]{4,35}$")


def clean_bill_of_lading(value: str) -> str:
    """Return a bill-of-lading number in canonical form (upper case, no spaces or dashes)."""
    if _BOL.match(value):  # as written, the usual case
        return value
    bol = _compact(value)
    if not _BOL.match(bol):
        raise InvalidIdentifier(f"bill of lading {value!r} must be 4 to 35 letters or digits")
    return bol


@lru_cache(maxsize=1 << 16)  # identifiers repeat across rows: check each once
def clean_date(value: str) -> str:
    """Return an ISO 8601 calendar date (``2014-05-21``) as text."""
    text = value.strip()
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] == "T" else text).isoformat()
    except ValueError:
        raise InvalidIdentifier(f"date {text!r} is not an ISO 8601 date like 2014-05-21") from None
