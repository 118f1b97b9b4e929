"""One matcher of company names, used by consignor linkage and by search.

A name is reduced to its trade-name core (:mod:`tracegraph.linkage.names`): no legal suffix, trade
or goods word, place or Hong Kong affiliate mark, in either script (Chinese through pypinyin, every
reading of a character that has several). Words one typing error away from such a word go too
(``FSCTORY``, ``TRADINGG``), unless they are syllables of the indexed names. Companies are indexed
by their cores; a query core meets the companies whose core it equals, or, blocked by the first and
the last three letters (one typing error changes at most one end of a core of seven letters or
more), those whose core rapidfuzz scores close to it. The matcher abstains when the best score is
weak or a second company scores about as high.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

import zhconv
from cantoroman import Cantonese
from pypinyin import Style, pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from tracegraph.linkage.names import GOODS, LEGAL, WORD, _ZH_PLACE, core_zh, place_names_zh

# Trade and goods words an EU declarant writes around the trade name (beside names.LEGAL/GOODS).
TRADE = frozenset(
    "prods prod appliance appliances electric electrical elec lighting light lights lamp lamps baby babies kids kid "
    "children childrens child infant infants plush wooden wood art arts handicraft handicrafts commerce commercial "
    "service services foreign comprehensive ft technology tech science sci household houseware housewares hardware "
    "stationery sports sport garment garments textile textiles metal metals furniture daily necessities manufactory "
    "manufacture manufacturer mfy mfr ltda corporation cooperative branch shop workshop electronics novelty novelties "
    "gmbh sa srl bv ag pte joint stock smart intelligent hk hongkong h k".split()
)
STOP = LEGAL | GOODS | TRADE
_FUZZY_STOP = tuple(w for w in STOP if len(w) >= 4)
# postal and other old spellings of cities an EU declarant may still write
OLD_PLACES = frozenset("swatow canton amoy peking tientsin foochow hangchow soochow nanking tsingtao chungking chungshan "
                       "kwangchow shuntak tungkun".split())
PART = 0.95  # a core that leaves out a name's first or last words scores this share of its match
_ZH = re.compile(r"[\u4e00-\u9fff]")
MAX_READINGS = 8  # cores of a name whose characters have several readings (乐: le, yue), at most


_HONG_KONG = re.compile(r"\bho?n?g\s*kong\b")


def tokens(name: str) -> list[str]:
    """The words of a Latin-script name, folded: ``XINGDA TOY FTY (H.K.)`` → xingda, toy, fty, h, k."""
    text = _HONG_KONG.sub(" hongkong ", unicodedata.normalize("NFKC", name).casefold()).replace("i/e", " ie ").replace("'", "")
    return WORD.findall(text)


def _words(name: str) -> set[str]:
    """The words of a Latin-script name; the pairs of characters of a Chinese one."""
    if _ZH.search(name):
        han = "".join(_ZH.findall(name))
        return {han[i:i + 2] for i in range(len(han) - 1)} or {han}
    return set(tokens(name))


_CANTONESE: list[Cantonese] = []


def _readings(chars: str) -> list[list[str]]:
    """Each character's readings: pinyin (pypinyin, every reading), then Cantonese in the Hong Kong
    government's romanisation (Wing Hong, not Yonghong), as Guangdong and Hong Kong companies write it."""
    if not _CANTONESE:
        _CANTONESE.append(Cantonese())
    out = []
    for ch, canto in zip(chars, _CANTONESE[0].getRoman(zhconv.convert(chars, "zh-hk"))):
        pin = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
        mine = pin[0][:2] if pin else []
        out.append(mine + [c for c in canto[:3] if c not in mine])
    return out


def zh_cores(name_zh: str) -> set[str]:
    """The trade-name cores of a Chinese name: pinyin, every reading (乐利 → leli, yueli), and Cantonese
    (群力 → kwanlik), at most a few of each."""
    core = core_zh(name_zh)
    if not core:
        return set()
    plain = _ZH_PLACE.sub("", name_zh.strip())
    # the core is the pinyin of the name's first characters: find how many
    n, acc = 0, ""
    for n, ch in enumerate(plain, 1):
        acc += "".join(r[0] for r in pinyin(ch, style=Style.NORMAL, errors="ignore"))
        if len(acc) >= len(core):
            break
    out = {core}
    if acc != core:
        return out
    readings = _readings(plain[:n])
    if any(not r for r in readings):
        return out
    out.update("".join(c) for c in itertools.islice(itertools.product(*(r[:2] for r in readings)), MAX_READINGS))
    out.update("".join(c) for c in itertools.islice(itertools.product(*(r[2:] or r[:1] for r in readings)), MAX_READINGS))
    return out


@dataclass
class Company:
    """One company (a USCC) as the matcher knows it: its labels, names and city."""

    key: str
    labels: set[str] = field(default_factory=set)
    name_zh: str | None = None
    name_en: str | None = None
    city: str | None = None
    names: list[str] = field(default_factory=list)
    cores: dict[str, str] = field(default_factory=dict)  # core -> the name it comes from


@dataclass(frozen=True)
class Match:
    """A company a name matched: ``score`` 0-100 (rapidfuzz ratio of the cores) and why, in words."""

    key: str
    score: float
    core: str
    name: str

    @property
    def why(self) -> str:
        how = "same trade name" if self.score >= 100 else f"trade name {self.score:.0f}% alike"
        return f"{how}: {self.core} in {self.name}"


class NameIndex:
    """Companies indexed by the trade-name cores of their names, for names written by anyone."""

    def __init__(self, companies: list[dict[str, Any]]) -> None:
        """``companies``: dicts with ``key`` (USCC), ``label``, ``name_zh``, ``name_en``, ``city``;
        registrations of one USCC under several labels are one company."""
        self.companies: dict[str, Company] = {}
        for c in companies:
            co = self.companies.setdefault(c["key"], Company(c["key"]))
            co.labels.add(c["label"])
            co.name_zh = co.name_zh or c.get("name_zh")
            co.name_en = co.name_en or c.get("name_en")
            co.city = co.city or c.get("city")
            co.names += [n for n in (c.get("name_zh"), c.get("name_en")) if n and n not in co.names]
        places: set[str] = set(OLD_PLACES)
        self.syllables: set[str] = set()
        for co in self.companies.values():
            places.update(WORD.findall((co.city or "").casefold()))
            for n in co.names:
                if _ZH.search(n):
                    places.update(place_names_zh(n))
                    self.syllables.update(p for r in _readings(n) for p in r)
                    for core in zh_cores(n):
                        co.cores.setdefault(core, n)
        places.discard("")
        self.places = frozenset(places)
        for co in self.companies.values():
            for n in co.names:
                if not _ZH.search(n):
                    for core in self.cores(n):
                        co.cores.setdefault(core, n)
        # each word of a Latin-script name, each two characters of a Chinese one: the companies it is in
        self.words: dict[str, set[str]] = {}
        for co in self.companies.values():
            for n in co.names:
                for w in _words(n):
                    self.words.setdefault(w, set()).add(co.key)
        self.by_core: dict[str, set[str]] = {}
        for co in self.companies.values():
            for core in co.cores:
                self.by_core.setdefault(core, set()).add(co.key)
        self._ends: dict[str, set[str]] = {}
        for core in self.by_core:
            for end in (f"<{core[:3]}", f">{core[-3:]}"):
                self._ends.setdefault(end, set()).add(core)

    # -- names to cores ----------------------------------------------------------------------------
    def _typo_of_stop(self, word: str) -> bool:
        """Whether ``word`` is one typing error from a trade word or place (and not a syllable of a name)."""
        if len(word) < 4 or word in self.syllables or word.isdigit():
            return False
        return any(OSA.distance(word, w, score_cutoff=1) <= 1 for w in _FUZZY_STOP) or (
            len(word) >= 5 and any(OSA.distance(word, p, score_cutoff=1) <= 1 for p in self.places if len(p) >= 5))

    def cores(self, name: str) -> set[str]:
        """The trade-name cores a name may have: ``Sahntou Junqiruixin Intl Trade Corp.`` →
        ``sahntoujunqiruixin``, ``junqiruixin`` (words one typing error from a place or trade word
        dropped or kept); a Chinese name's readings (:func:`zh_cores`)."""
        if _ZH.search(name):
            return zh_cores(name)
        words = tokens(name)
        if len(words) > 1 and len(words[-1]) >= 2 and any(w.startswith(words[-1]) for w in STOP):
            words = words[:-1]  # a name cut short in the middle of its legal form: LIMI, CORPORA
        strict = [w for w in words if w not in STOP and w not in self.places]
        loose = [w for w in strict if not self._typo_of_stop(w)]
        out = {"".join(strict), "".join(loose)} - {""}
        return out or {"".join(words)} - {""}

    def part_cores(self, name: str) -> set[str]:
        """Cores of a name without its first or its last words (a place or trade word misspelt past
        recognition, a name cut short: ``Cheng Hong Import and Export (Shant``), of 4 letters or more."""
        if _ZH.search(name):
            return set()
        words = [w for w in tokens(name) if w not in STOP and w not in self.places and not self._typo_of_stop(w)]
        parts = {"".join(words[:k]) for k in range(1, len(words))} | {"".join(words[k:]) for k in range(1, len(words))}
        return {p for p in parts if len(p) >= 4} - self.cores(name)

    def core(self, name: str) -> str:
        """The trade-name core of a name in either script (the shortest of :meth:`cores`)."""
        return min(self.cores(name), key=lambda c: (len(c), c), default="")

    # -- matching ----------------------------------------------------------------------------------
    def _near(self, core: str, cutoff: float) -> dict[str, float]:
        """Indexed cores scored against ``core`` (rapidfuzz ratio, at least ``cutoff``)."""
        if core in self.by_core:
            found = {core: 100.0}
        else:
            found = {}
        blocked = self._ends.get(f"<{core[:3]}", set()) | self._ends.get(f">{core[-3:]}", set())
        for other in blocked:
            s = fuzz.ratio(core, other, score_cutoff=cutoff)
            if s:
                found[other] = max(found.get(other, 0.0), s)
        return found

    def match(self, name: str, cutoff: float = 70.0, limit: int = 10) -> list[Match]:
        """The companies ``name`` may be, best first: one per company, its best core's score."""
        best: dict[str, Match] = {}
        # In sorted order, so that of equal scores the same core wins in every process (sets of
        # strings iterate in an order that changes with each process's hash seed).
        weighed = [(q, 1.0) for q in sorted(self.cores(name))] + [(q, PART) for q in sorted(self.part_cores(name))]
        for q, share in weighed:
            for other, s in sorted(self._near(q, cutoff / share).items()):
                s *= share
                for key in sorted(self.by_core[other]):
                    m = best.get(key)
                    if m is None or s > m.score:
                        best[key] = Match(key, s, other, self.companies[key].cores[other])
        return sorted(best.values(), key=lambda m: (-m.score, m.key))[:limit]

    def with_words(self, text: str) -> set[str]:
        """The companies whose names have every word of ``text`` (``Straße``, ``toys``), or, in
        Chinese, contain it (``实业有限公司``)."""
        words = sorted(_words(text), key=lambda w: len(self.words.get(w, ())))
        if not words:
            return set()
        found = set(self.words.get(words[0], ()))
        for w in words[1:]:
            found &= self.words.get(w, set())
        if _ZH.search(text):
            text = "".join(text.split())
            found = {k for k in found if any(text in n for n in self.companies[k].names)}
        return found

    def decide(self, name: str, prefer: Iterable[str] = ()) -> tuple[Match | None, list[Match]]:
        """The one company ``name`` is, or None (abstain), and the matches weighed (:func:`choose`)."""
        found = self.match(name, cutoff=WEAK - MARGIN)
        return choose(found, prefer), found


STRONG = 95.0  # a match this good links on its own ...
WEAK = 80.0  # ... one this good only when the consignment itself names the company
MARGIN = 6.0  # and no other company comes this close


def choose(found: list[Match], prefer: Iterable[str] = ()) -> Match | None:
    """The match that decides, or None (abstain): the best of ``found`` if it scores ``STRONG`` or
    more and no other company comes within ``MARGIN``; else the best of those among ``prefer`` (the
    companies the consignment itself names: the exporter and the factories of its shipment) if it
    scores ``WEAK`` or more, about as well as the best, and no other of them comes as close."""
    if not found:
        return None
    top = found[0]
    if top.score >= STRONG and not [m for m in found[1:] if m.score > top.score - MARGIN]:
        return top
    preferred = set(prefer)
    mine = [m for m in found if m.key in preferred]
    if (mine and mine[0].score >= WEAK and mine[0].score >= top.score - MARGIN
            and not [m for m in mine[1:] if m.score > mine[0].score - MARGIN]):
        return mine[0]
    return None
