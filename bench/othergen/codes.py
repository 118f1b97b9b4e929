"""Identifiers of both sides, each with its check character computed by its own rule."""

from __future__ import annotations

import random
import string

from stdnum import ean, iso6346
from stdnum.cn import uscc as stdnum_uscc

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(rng: random.Random, recent: bool) -> str:
    """Return a GB 11714 organisation code (8 characters and its check character).

    Companies registered after the 2015 reform got codes beginning ``MA``; older ones kept their
    numeric organisation code inside the USCC.
    """
    if recent:
        body = "MA" + "".join(rng.choice(_USCC_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    else:
        body = str(rng.randint(10_000_000, 79_999_999))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(rng: random.Random, region: str, individual: bool, recent: bool) -> str:
    """Return a Unified Social Credit Code: authority 9, entity type, region, organisation code, check."""
    head = "9" + ("2" if individual else "1") + region + _org_code(rng, recent)
    return head + stdnum_uscc.calc_check_digit(head)


def gtin13(rng: random.Random, company_prefix: str) -> str:
    """Return a GTIN-13 under a GS1 company prefix, with its check digit."""
    body = company_prefix + "".join(rng.choice(string.digits) for _ in range(12 - len(company_prefix)))
    return body + ean.calc_check_digit(body)


def container(rng: random.Random, owner: str) -> str:
    """Return an ISO 6346 freight container number of an owner code (``MSCU``), check digit included."""
    body = owner + f"{rng.randint(0, 999_999):06d}"
    return body + iso6346.calc_check_digit(body)


def _iso6346_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    value = ord(c) - ord("A") + 10
    return value + (value - 1) // 10  # 11, 22 and 33 are skipped


def mrn_check_character(body: str) -> str:
    """Return the check character of a Movement Reference Number's first 17 characters.

    The EU customs rule (DDNTA / UCC annex B) computes it with the ISO 6346 algorithm: letters take
    the values 10..38 without the multiples of 11, position i is weighted 2**i, and the check is the
    remainder of the sum by 11, taken modulo 10.

    >>> mrn_check_character("15ITQ1V1T0240456E")
    '9'
    """
    return str(sum(_iso6346_value(c) * 2**i for i, c in enumerate(body)) % 11 % 10)


def mrn(rng: random.Random, year: int, country: str) -> str:
    """Return an 18-character import MRN: year, declaring country, 13 characters, check character."""
    office = f"{rng.randint(0, 9999):04d}"
    serial = "".join(rng.choice(string.digits + string.digits + "ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(9))
    body = f"{year % 100:02d}{country}{office}{serial}"
    return body + mrn_check_character(body)


_EORI_DIGITS = {"NL": 9, "DE": 7, "GB": 12, "FR": 14, "BE": 10, "IT": 11, "ES": 9, "PL": 15, "AT": 10, "CZ": 8,
                "DK": 8, "SE": 12, "HU": 10, "SI": 8, "GR": 9, "PT": 9, "IE": 8}


def eori(rng: random.Random, country: str) -> str:
    """Return an EORI number in the usual national shape (NL + 9 digits, GB + VAT + 000, BE + 0 + 9 …)."""
    n = _EORI_DIGITS.get(country, 10)
    if country == "GB":
        return f"GB{rng.randint(100_000_000, 999_999_999)}000"
    if country == "BE":
        return f"BE0{rng.randint(200_000_000, 999_999_999)}"
    if country == "ES":
        return f"ES{rng.choice('ABX')}{rng.randint(10_000_000, 99_999_999)}"
    if country == "PL":
        return f"PL{rng.randint(1_000_000_000, 9_999_999_999)}00000"
    return country + str(rng.randint(10 ** (n - 1), 10**n - 1))


def declaration_no(rng: random.Random, customs_code: str, year: int) -> str:
    """Return an 18-digit China customs declaration number: customs, year, export flag, serial."""
    return f"{customs_code}{year}0{rng.randint(0, 999_999_999):09d}"


def certificate_no(office_code: str, year: int, serial: int) -> str:
    """Return a 15-digit CIQ certificate number: office, year, outbound flag, serial."""
    return f"{office_code}{year % 100:02d}2{serial:06d}"
