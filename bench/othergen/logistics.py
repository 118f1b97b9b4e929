"""Boxes and papers: carriers, a circulating pool of containers, bills of lading, transit times."""

from __future__ import annotations

import heapq
import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from . import codes
from .places import CN_PORTS, ENTRY_POINTS, TRANSIT_DAYS


@dataclass(frozen=True)
class Carrier:
    """An ocean carrier: its container owner codes and the shape of its bill-of-lading numbers."""

    name: str
    owners: tuple[str, ...]
    scac: str
    share: float


CARRIERS: tuple[Carrier, ...] = (
    Carrier("MSC", ("MSCU", "MEDU"), "MEDU", 0.2), Carrier("Maersk", ("MSKU", "MRKU", "MAEU"), "MAEU", 0.18),
    Carrier("CMA CGM", ("CMAU", "CGMU", "ECMU"), "CMDU", 0.14), Carrier("COSCO", ("CBHU", "CSNU", "CCLU"), "COSU", 0.16),
    Carrier("Hapag-Lloyd", ("HLXU", "HLBU", "HAMU"), "HLCU", 0.08), Carrier("OOCL", ("OOLU",), "OOLU", 0.08),
    Carrier("Evergreen", ("EGHU", "EISU", "EMCU"), "EGLV", 0.1), Carrier("Yang Ming", ("YMLU",), "YMLU", 0.06),
)
LESSORS = ("TGHU", "TCNU", "TCLU", "CAIU", "TRLU", "SEGU", "GESU", "FCIU", "BMOU", "TEMU", "CRXU", "BEAU", "DFSU")
FORWARDERS = ("KNSZ", "DSVA", "SNKO", "EXPD", "DHLG", "PANA", "YUSE", "CEVA", "KWEU", "APEX", "JASF", "TOPO")


class ContainerPool:
    """Containers in circulation: a box is free again one round trip after it left, so numbers recur."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng = rng
        self.caps = {c.name: max(4, int(size * c.share * 0.65)) for c in CARRIERS}
        self.caps["lessor"] = max(4, int(size * 0.35))
        self.busy: dict[str, list[tuple[int, str]]] = {k: [] for k in self.caps}
        self.free: dict[str, list[str]] = {k: [] for k in self.caps}
        self.count: dict[str, int] = {k: 0 for k in self.caps}
        self.seen: set[str] = set()

    def _new(self, pool: str, carrier: Carrier) -> str:
        while True:
            owner = self.rng.choice(LESSORS if pool == "lessor" else carrier.owners)
            number = codes.container(self.rng, owner)
            if number not in self.seen:
                self.seen.add(number)
                self.count[pool] += 1
                return number

    def take(self, carrier: Carrier, day: date) -> str:
        """Return a container free on the day and mark it away for a round trip."""
        pool = "lessor" if self.rng.random() < 0.35 else carrier.name
        busy, free, now = self.busy[pool], self.free[pool], day.toordinal()
        while busy and busy[0][0] <= now:
            free.append(heapq.heappop(busy)[1])
        # a young pool mostly grows; a full one reuses whatever box is back
        if free and self.rng.random() < self.count[pool] / self.caps[pool]:
            number = free.pop(self.rng.randrange(len(free)))
        else:
            number = self._new(pool, carrier)
        heapq.heappush(busy, (now + self.rng.randint(70, 120), number))
        return number

    def spare(self, carrier: Carrier) -> str:
        """Return a container number that is not in circulation: a box goods were re-stuffed into."""
        return self._new("lessor", carrier)


def pick_carrier(rng: random.Random) -> Carrier:
    """Return a carrier, by market share."""
    return rng.choices(CARRIERS, weights=[c.share for c in CARRIERS])[0]


def master_bill(rng: random.Random, carrier: Carrier, port: str, day: date) -> str:
    """Return a carrier's bill-of-lading number in that carrier's usual shape."""
    d = string.digits
    origin = port[2:]
    body = {
        "MEDU": lambda: origin[:2] + "".join(rng.choices(d, k=6)),
        "MAEU": lambda: "".join(rng.choices(d, k=9)),
        "CMDU": lambda: origin + "".join(rng.choices(d, k=7)),
        "COSU": lambda: "".join(rng.choices(d, k=10)),
        "HLCU": lambda: origin + day.strftime("%y%m") + "".join(rng.choices(string.ascii_uppercase + d, k=5)),
        "OOLU": lambda: "".join(rng.choices(d, k=10)),
        "EGLV": lambda: "".join(rng.choices(d, k=12)),
        "YMLU": lambda: rng.choice("BEW") + "".join(rng.choices(d, k=9)),
    }[carrier.scac]()
    return carrier.scac + body


def house_bill(rng: random.Random, port: str, day: date) -> str:
    """Return a forwarder's house bill number."""
    return f"{rng.choice(FORWARDERS)}{port[2:]}{day:%y%m}{rng.randint(0, 99999):05d}"


def rail_terminal(port: str) -> str:
    """Return the inland rail terminal goods from this coast go to Europe by train from."""
    return {"east": "CNYIW", "south": "CNCKG"}.get(CN_PORTS[port][1], "CNCGO")


def transit_days(rng: random.Random, port: str, entry: str, jitter: float) -> int:
    """Return the days from departure to arrival at the entry point."""
    mean = TRANSIT_DAYS[(CN_PORTS[port][1] if CN_PORTS[port][1] != "rail" else "east", ENTRY_POINTS[entry].sea)]
    return max(12, round(rng.gauss(mean, jitter)))


def container_count(rng: random.Random) -> int:
    """Return how many containers a full-container-load shipment fills."""
    return rng.choices((1, 2, 3, 4), weights=(0.72, 0.18, 0.06, 0.04))[0]


def days(d: date, n: int) -> date:
    """Return the date n days later."""
    return d + timedelta(days=n)
