"""How EU declarants write the consignor: each importer keeps its own spelling of each supplier."""

from __future__ import annotations

import random

from . import names
from .names import Address, CompanyName
from .places import Place
from .settings import Settings


class Consignors:
    """The importers' master data: one stored spelling (and address) per importer and company."""

    def __init__(self, rng: random.Random, s: Settings) -> None:
        self.rng, self.s = rng, s
        self.master: dict[tuple[str, str], tuple[str, str]] = {}
        self.affiliates: dict[str, str] = {}
        self.used: dict[str, list[str]] = {}

    def _fresh(self, name: CompanyName, official: bool) -> str:
        rng, s = self.rng, self.s
        text = name.spelling(rng, s, official and rng.random() < s.name_use_cn_english)
        return self._finish(text)

    def _finish(self, text: str) -> str:
        rng, s = self.rng, self.s
        r = rng.random()
        if r < s.name_upper:
            text = text.upper()
        elif r < s.name_upper + s.name_lower:
            text = text.lower()
        if len(text) > 35 and rng.random() < s.name_truncate:
            text = text[:35].rstrip()
        if rng.random() < s.name_typo:
            text = names.typo(text, rng)
            if rng.random() < 0.2:
                text = names.typo(text, rng)
        if rng.random() < s.name_spaces:
            text = names.spaces(text, rng)
        return text

    def write(self, importer: str, key: str, name: CompanyName, official: bool, address: Address,
              place: Place) -> tuple[str, str]:
        """Return (consignor_name, consignor_address) as this importer declares this company."""
        rng, s = self.rng, self.s
        stored = self.master.get((importer, key))
        if stored is None:
            stored = (self._fresh(name, official), address.en(place, rng))
            self.master[(importer, key)] = stored
            text = stored[0]
        elif rng.random() < s.name_sticky:
            text = stored[0]
        else:
            text = self._fresh(name, official)
        if rng.random() < s.name_typo_per_declaration:
            text = names.typo(text, rng)
        self.used.setdefault(key, [])
        if text not in self.used[key]:
            self.used[key].append(text)
        return text, "" if rng.random() < s.address_missing else stored[1]

    def affiliate(self, importer: str, key: str, name: CompanyName) -> tuple[str, str]:
        """Return the consignor text naming the company's Hong Kong affiliate."""
        if key not in self.affiliates:
            self.affiliates[key] = name.hk_affiliate(self.rng)
        text = self.affiliates[key]
        if self.rng.random() < self.s.name_typo_per_declaration:
            text = names.typo(text, self.rng)
        address = "" if self.rng.random() < 0.5 else self.rng.choice(
            ("FLAT 1203, 12/F, KWUN TONG, KOWLOON, HONG KONG", "RM 8, 9/F, TSIM SHA TSUI, KOWLOON, HK",
             "UNIT 2, 21/F, WAN CHAI, HONG KONG"))
        return text, address
