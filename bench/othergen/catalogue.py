"""What the factories make: product types with their category, codes, hazards and standards."""

from __future__ import annotations

from dataclasses import dataclass

TOYS = "Toys"
CHILDCARE = "Childcare articles and children's equipment"
ELECTRICAL = "Electrical appliances and equipment"
LIGHTING = "Lighting equipment"
CHAINS = "Lighting chains"
HOBBY = "Hobby/sports equipment"

# Relative risk of the categories (before category_contrast): lighting chains and hoverboards fill
# Safety Gate out of proportion to their trade.
CATEGORY_RISK: dict[str, float] = {TOYS: 1.0, CHILDCARE: 1.2, ELECTRICAL: 0.9, LIGHTING: 1.1, CHAINS: 2.0,
                                   HOBBY: 2.5}

# How a hazard is usually seen: mechanical hazards show on a physical check, the others need a laboratory.
HAZARD_FAMILY: dict[str, str] = {
    "Choking": "mechanical", "Injuries": "mechanical", "Strangulation": "mechanical", "Suffocation": "mechanical",
    "Entrapment": "mechanical", "Damage to hearing": "mechanical", "Drowning": "mechanical",
    "Chemical": "chemical", "Electric shock": "electrical", "Burns": "electrical", "Fire": "electrical",
}


@dataclass(frozen=True)
class Hazard:
    """One way a product type fails: the standard it breaks and how a notification describes it."""

    hazard: str
    weight: float
    standard: str  # as cited in a finding, clause included
    tested_by: str  # the standard a certificate must list for the test to be able to see it
    description: str
    root_cause: str


@dataclass(frozen=True)
class ProductType:
    """A kind of product, as both sides name it."""

    key: str
    category: str
    cn_names: tuple[str, ...]  # what a Chinese factory calls it in English
    eu_names: tuple[str, ...]  # what an EU inspector calls it
    eu_description: str  # goods description on an import declaration
    hs_cn: str  # China's 10-digit tariff and inspection code
    hs_eu: str  # EU Combined Nomenclature, 8 digits
    standards: tuple[str, ...]  # what a CIQ certificate may list as tested
    hazards: tuple[Hazard, ...]
    risk: float  # relative risk of this product type
    launched: str = "2000-01-01"
    retired: str = "2099-12-31"


def _h(hazard: str, weight: float, standard: str, tested_by: str, description: str, root_cause: str) -> Hazard:
    return Hazard(hazard, weight, standard, tested_by, description, root_cause)


_SMALL_PARTS = ("The product has small parts that detach easily. A young child may put them in the mouth and choke.",
                "Parts insufficiently fixed at assembly")
_DEHP = ("The plastic material contains bis(2-ethylhexyl) phthalate (DEHP), which may harm the reproductive system.",
         "Plasticiser containing DEHP bought from an unqualified raw-material supplier")
_LEAD = ("The paint contains lead above the limit of EN 71-3, which is harmful to health.",
         "Paint bought without a test report")
_SHOCK = ("Live parts are accessible and the insulation is insufficient; the user could get an electric shock.",
          "Insufficient creepage distances and clearances to save cost on the circuit board")
_FIRE = ("The product overheats; it may catch fire.", "Under-rated components and no thermal protection")
_BURNS = ("The accessible surfaces get too hot; the user may get burns.", "Insufficient thermal insulation")

TYPES: tuple[ProductType, ...] = (
    ProductType("plush", TOYS, ("Plush Toy", "Stuffed Animal", "Plush Bear", "Soft Toy"),
                ("Soft toy", "Plush toy", "Teddy bear", "Stuffed toy"), "SOFT TOYS", "9503002100", "95030041",
                ("GB 6675", "EN 71-1", "EN 71-2", "EN 71-3"),
                (_h("Choking", 0.7, "EN 71-1:2014 8.4", "EN 71-1", *_SMALL_PARTS),
                 _h("Suffocation", 0.15, "EN 71-1:2014 6", "EN 71-1",
                    "The plastic packaging bag is too thin; a child may suffocate.", "Packaging bag not to specification"),
                 _h("Chemical", 0.15, "EN 71-3:2013+A1:2014", "EN 71-3", *_LEAD)), 1.2),
    ProductType("doll", TOYS, ("Plastic Doll", "Fashion Doll", "Baby Doll", "Doll Set"),
                ("Doll", "Plastic doll", "Baby doll"), "PLASTIC DOLLS", "9503002100", "95030021",
                ("GB 6675", "EN 71-1", "EN 71-3", "REACH Annex XVII"),
                (_h("Chemical", 0.75, "REACH Annex XVII entry 51", "REACH Annex XVII", *_DEHP),
                 _h("Choking", 0.25, "EN 71-1:2014 5.1", "EN 71-1", *_SMALL_PARTS)), 1.4),
    ProductType("rc_car", TOYS, ("B/O Car", "R/C Racing Car", "Battery Operated Car", "Remote Control Car"),
                ("Remote-controlled car", "Toy car", "Battery-operated car"), "ELECTRIC TOYS", "9503008300", "95030075",
                ("GB 6675", "EN 71-1", "EN 62115", "EN 71-3"),
                (_h("Choking", 0.35, "EN 71-1:2014 5.1", "EN 71-1",
                    "The batteries are easily accessible; a child may swallow them.", "Battery cover without screw"),
                 _h("Burns", 0.25, "EN 62115:2005 9", "EN 62115", *_BURNS),
                 _h("Chemical", 0.2, "REACH Annex XVII entry 23", "REACH Annex XVII",
                    "The solder contains cadmium, which is harmful to health.", "Cheap solder from an unknown supplier"),
                 _h("Injuries", 0.2, "EN 71-1:2014 4.7", "EN 71-1",
                    "Sharp edges on the plastic body may cut the user.", "Worn mould leaves burrs")), 1.0),
    ProductType("blocks", TOYS, ("Building Blocks", "Construction Set", "Bricks Set"),
                ("Building blocks", "Construction toy"), "CONSTRUCTION TOYS", "9503005000", "95030035",
                ("GB 6675", "EN 71-1", "EN 71-3"),
                (_h("Choking", 0.85, "EN 71-1:2014 5.1", "EN 71-1", *_SMALL_PARTS),
                 _h("Chemical", 0.15, "EN 71-3:2013+A1:2014", "EN 71-3", *_LEAD)), 0.6),
    ProductType("rattle", TOYS, ("Baby Rattle", "Rattle Set", "Infant Rattle"), ("Rattle", "Baby rattle"),
                "BABY TOYS", "9503008900", "95030095", ("GB 6675", "EN 71-1", "EN 71-3"),
                (_h("Choking", 0.6, "EN 71-1:2014 8.2", "EN 71-1", *_SMALL_PARTS),
                 _h("Suffocation", 0.15, "EN 71-1:2014 5.8", "EN 71-1",
                    "The rattle can reach the back of the throat and block the airway.", "Design not to EN 71-1"),
                 _h("Chemical", 0.25, "REACH Annex XVII entry 51", "REACH Annex XVII", *_DEHP)), 1.4),
    ProductType("balloons", TOYS, ("Latex Balloons", "Balloon Set", "Party Balloons"), ("Balloons",),
                "BALLOONS", "9503008900", "95030095", ("GB 6675", "EN 71-1", "EN 71-12"),
                (_h("Chemical", 0.7, "EN 71-12:2013", "EN 71-12",
                    "The balloons release N-nitrosamines, which may cause cancer.", "Latex accelerator not controlled"),
                 _h("Choking", 0.3, "EN 71-1:2014 7.3", "EN 71-1",
                    "The balloons lack the warning against choking on uninflated balloons.", "Packaging printed without warning")),
                1.5),
    ProductType("slime", TOYS, ("Slime", "Crystal Mud", "Putty Slime"), ("Slime", "Slime toy"), "TOY SLIME",
                "9503008900", "95030095", ("GB 6675", "EN 71-3"),
                (_h("Chemical", 0.95, "EN 71-3:2013+A1:2014", "EN 71-3",
                    "The slime releases too much boron; exposure may harm the reproductive system.",
                    "Borax content of the formula not controlled"),
                 _h("Choking", 0.05, "EN 71-1:2014 5.1", "EN 71-1", *_SMALL_PARTS)), 4.0, "2016-06-01"),
    ProductType("spinner", TOYS, ("Fidget Spinner", "Hand Spinner", "Finger Spinner"),
                ("Fidget spinner", "Hand spinner"), "FIDGET SPINNERS", "9503008900", "95030095",
                ("GB 6675", "EN 71-1", "EN 71-3", "EN 62115"),
                (_h("Choking", 0.6, "EN 71-1:2014 8.2", "EN 71-1",
                    "The bearings and caps detach easily; a child may swallow them.", "Caps press-fitted without adhesive"),
                 _h("Burns", 0.15, "EN 62115:2005 9", "EN 62115",
                    "The button cells are accessible and may overheat.", "No screw on the battery compartment"),
                 _h("Chemical", 0.25, "EN 71-3:2013+A1:2014", "EN 71-3", *_LEAD)), 3.0, "2017-03-01", "2017-12-31"),
    ProductType("water_gun", TOYS, ("Water Gun", "Toy Gun", "Soft Bullet Gun", "Dart Gun"),
                ("Toy gun", "Water pistol", "Dart blaster"), "PLASTIC TOYS", "9503008900", "95030095",
                ("GB 6675", "EN 71-1", "EN 71-3"),
                (_h("Injuries", 0.5, "EN 71-1:2014 4.17", "EN 71-1",
                    "The projectiles have too much kinetic energy; they may injure the eyes.", "Spring stronger than designed"),
                 _h("Choking", 0.3, "EN 71-1:2014 5.1", "EN 71-1", *_SMALL_PARTS),
                 _h("Chemical", 0.2, "REACH Annex XVII entry 51", "REACH Annex XVII", *_DEHP)), 1.0),
    ProductType("musical", TOYS, ("Musical Toy", "Electronic Keyboard Toy", "Toy Phone"),
                ("Musical toy", "Toy mobile phone", "Toy keyboard"), "ELECTRONIC TOYS", "9503008300", "95030075",
                ("GB 6675", "EN 71-1", "EN 62115", "EN 71-3"),
                (_h("Damage to hearing", 0.35, "EN 71-1:2014 4.20", "EN 71-1",
                    "The sound pressure level is too high; it may damage the child's hearing.", "Louder buzzer fitted"),
                 _h("Choking", 0.35, "EN 71-1:2014 5.1", "EN 71-1", *_SMALL_PARTS),
                 _h("Chemical", 0.3, "REACH Annex XVII entry 51", "REACH Annex XVII", *_DEHP)), 1.1),
    ProductType("wooden", TOYS, ("Wooden Puzzle", "Wooden Toy", "Wooden Train"), ("Wooden toy", "Wooden puzzle"),
                "WOODEN TOYS", "9503006000", "95030039", ("GB 6675", "EN 71-1", "EN 71-3"),
                (_h("Choking", 0.6, "EN 71-1:2014 8.2", "EN 71-1", *_SMALL_PARTS),
                 _h("Chemical", 0.4, "EN 71-3:2013+A1:2014", "EN 71-3", *_LEAD)), 0.8),
    ProductType("soother", CHILDCARE, ("Baby Pacifier", "Soother", "Silicone Pacifier"),
                ("Soother", "Dummy", "Pacifier"), "BABY SOOTHERS", "4014900000", "40149000", ("EN 1400",),
                (_h("Choking", 0.55, "EN 1400:2013+A1:2014 8.4", "EN 1400",
                    "The teat detaches from the shield; a child may choke on it.", "Teat not bonded to the shield"),
                 _h("Suffocation", 0.25, "EN 1400:2013+A1:2014 8.2", "EN 1400",
                    "The shield has no ventilation holes; it may block the airway.", "Shield mould without holes"),
                 _h("Chemical", 0.2, "EN 1400:2013+A1:2014 10", "EN 1400",
                    "The teat releases N-nitrosamines.", "Rubber compound not controlled")), 1.3),
    ProductType("soother_holder", CHILDCARE, ("Pacifier Clip", "Soother Holder", "Dummy Chain"),
                ("Soother holder", "Dummy clip"), "BABY ACCESSORIES", "3926909000", "39269097", ("EN 12586",),
                (_h("Strangulation", 0.55, "EN 12586:2007+A1:2011 5.3", "EN 12586",
                    "The holder is too long; it may strangle a child.", "Cord cut to the customer's length"),
                 _h("Choking", 0.45, "EN 12586:2007+A1:2011 5.5", "EN 12586",
                    "Beads detach from the holder; a child may choke on them.", "Beads threaded on weak cord")), 1.6),
    ProductType("pushchair", CHILDCARE, ("Baby Stroller", "Pushchair", "Baby Pram"), ("Pushchair", "Stroller"),
                "BABY CARRIAGES", "8715000010", "87150010", ("EN 1888",),
                (_h("Injuries", 0.6, "EN 1888-1:2012 8.3", "EN 1888",
                    "The locking mechanism may fail and the pushchair collapse.", "Weak locking rivets"),
                 _h("Entrapment", 0.25, "EN 1888-1:2012 8.2", "EN 1888",
                    "Fingers may be trapped in the folding mechanism.", "Gap sizes not to the standard"),
                 _h("Strangulation", 0.15, "EN 1888-1:2012 8.7", "EN 1888",
                    "Cords on the canopy may strangle a child.", "Decorative cords too long")), 1.0),
    ProductType("cot", CHILDCARE, ("Travel Cot", "Baby Playpen", "Foldable Cot"), ("Travel cot", "Playpen", "Cot"),
                "BABY FURNITURE", "9403200000", "94032080", ("EN 716", "EN 12227"),
                (_h("Entrapment", 0.35, "EN 716-2:2017 5.5", "EN 716",
                    "The gap between the bars may trap a child's head.", "Bar spacing not to the standard"),
                 _h("Injuries", 0.3, "EN 716-2:2017 5.8", "EN 716",
                    "The top rails may fold while in use.", "Weak hinge locks"),
                 _h("Suffocation", 0.2, "EN 716-2:2017 5.9", "EN 716",
                    "The mattress is too thin and leaves a gap where a baby may suffocate.", "Mattress of the wrong size"),
                 _h("Strangulation", 0.15, "EN 716-2:2017 5.6", "EN 716",
                    "Protruding parts may catch clothing and strangle a child.", "Bolt heads protrude")), 1.0),
    ProductType("highchair", CHILDCARE, ("Baby High Chair", "Feeding Chair"), ("High chair", "Children's high chair"),
                "HIGH CHAIRS", "9401790000", "94017900", ("EN 14988",),
                (_h("Injuries", 0.7, "EN 14988:2017 8.4", "EN 14988",
                    "The chair is unstable and may tip over.", "Base narrower than designed"),
                 _h("Entrapment", 0.3, "EN 14988:2017 8.2", "EN 14988",
                    "Fingers may be trapped in holes of the tray.", "Tray mould not to drawing")), 0.9),
    ProductType("carrier", CHILDCARE, ("Baby Carrier", "Baby Sling"), ("Baby carrier", "Baby sling"), "BABY CARRIERS",
                "6307909000", "63079098", ("EN 13209",),
                (_h("Injuries", 0.5, "EN 13209-2:2015 5.3", "EN 13209",
                    "The buckles may open and the baby fall.", "Buckles from an unqualified supplier"),
                 _h("Suffocation", 0.5, "EN 13209-2:2015 5.6", "EN 13209",
                    "The baby's face may be pressed against the wearer and suffocate.", "No warning label")), 1.0),
    ProductType("cup", CHILDCARE, ("Baby Feeding Bottle", "Sippy Cup", "Training Cup"),
                ("Feeding bottle", "Drinking cup", "Sippy cup"), "BABY FEEDING ARTICLES", "3924100000", "39241000",
                ("EN 14350",),
                (_h("Chemical", 0.6, "EN 14350-2:2004 5.2", "EN 14350",
                    "The polycarbonate releases bisphenol A, which is banned in baby bottles.", "Polycarbonate used instead of PP"),
                 _h("Choking", 0.4, "EN 14350-1:2004 5.4", "EN 14350",
                    "The spout detaches; a child may choke on it.", "Spout not welded")), 0.9),
    ProductType("charger", ELECTRICAL, ("USB Charger", "Travel Charger", "Power Adapter"),
                ("USB charger", "Mobile phone charger", "Power supply"), "USB CHARGERS", "8504401490", "85044083",
                ("EN 60950-1", "EN 61558"),
                (_h("Electric shock", 0.85, "EN 60950-1:2006 2.10", "EN 60950-1", *_SHOCK),
                 _h("Fire", 0.1, "EN 60950-1:2006 4.7", "EN 60950-1", *_FIRE),
                 _h("Burns", 0.05, "EN 60950-1:2006 4.5", "EN 60950-1", *_BURNS)), 2.0),
    ProductType("adapter", ELECTRICAL, ("Travel Adapter", "Universal Adaptor", "Plug Adapter"),
                ("Travel adaptor", "Plug adaptor"), "PLUG ADAPTORS", "8536690000", "85366990", ("IEC 60884-1",),
                (_h("Electric shock", 0.8, "IEC 60884-1:2002 10", "IEC 60884-1",
                    "Live pins are accessible while the adaptor is inserted; the user could get an electric shock.",
                    "Universal socket design without shutters"),
                 _h("Fire", 0.2, "IEC 60884-1:2002 19", "IEC 60884-1", *_FIRE)), 2.0),
    ProductType("extension", ELECTRICAL, ("Power Strip", "Extension Socket", "Extension Lead"),
                ("Extension lead", "Power strip", "Multiple socket-outlet"), "EXTENSION LEADS", "8536690000",
                "85366990", ("IEC 60884-1", "EN 60335-1"),
                (_h("Electric shock", 0.55, "IEC 60884-1:2002 10", "IEC 60884-1", *_SHOCK),
                 _h("Fire", 0.45, "IEC 60884-1:2002 19", "IEC 60884-1",
                    "The conductors' cross-section is too small; the lead may overheat and catch fire.",
                    "Copper-clad aluminium wire used instead of copper")), 1.5),
    ProductType("kettle", ELECTRICAL, ("Electric Kettle", "Cordless Kettle"), ("Electric kettle", "Kettle"),
                "ELECTRIC KETTLES", "8516719000", "85167100", ("EN 60335-1", "EN 60335-2-15"),
                (_h("Burns", 0.45, "EN 60335-2-15:2002 15", "EN 60335-2-15",
                    "Hot water may spill when the kettle is tilted; the user may get burns.", "Lid latch too weak"),
                 _h("Electric shock", 0.4, "EN 60335-1:2012 8", "EN 60335-1", *_SHOCK),
                 _h("Fire", 0.15, "EN 60335-2-15:2002 19", "EN 60335-2-15", *_FIRE)), 0.7),
    ProductType("hairdryer", ELECTRICAL, ("Hair Dryer", "Hair Straightener", "Curling Iron"),
                ("Hair dryer", "Hair straightener", "Hair curler"), "HAIR CARE APPLIANCES", "8516310000", "85163100",
                ("EN 60335-1", "EN 60335-2-23"),
                (_h("Electric shock", 0.5, "EN 60335-1:2012 29", "EN 60335-1", *_SHOCK),
                 _h("Burns", 0.35, "EN 60335-2-23:2003 11", "EN 60335-2-23", *_BURNS),
                 _h("Fire", 0.15, "EN 60335-2-23:2003 19", "EN 60335-2-23", *_FIRE)), 0.9),
    ProductType("heater", ELECTRICAL, ("Fan Heater", "Electric Heater", "Oil Heater"), ("Fan heater", "Electric heater"),
                "ELECTRIC HEATERS", "8516299000", "85162999", ("EN 60335-1", "EN 60335-2-30"),
                (_h("Fire", 0.45, "EN 60335-2-30:2009 19", "EN 60335-2-30", *_FIRE),
                 _h("Burns", 0.3, "EN 60335-2-30:2009 11", "EN 60335-2-30", *_BURNS),
                 _h("Electric shock", 0.25, "EN 60335-1:2012 8", "EN 60335-1", *_SHOCK)), 1.1),
    ProductType("toaster", ELECTRICAL, ("Sandwich Maker", "Toaster", "Waffle Maker"), ("Sandwich toaster", "Toaster"),
                "TOASTERS", "8516720000", "85167200", ("EN 60335-1", "EN 60335-2-9"),
                (_h("Burns", 0.55, "EN 60335-2-9:2003 11", "EN 60335-2-9", *_BURNS),
                 _h("Electric shock", 0.45, "EN 60335-1:2012 27", "EN 60335-1",
                    "The earthing is insufficient; the user could get an electric shock.", "Earth wire not connected")),
                0.8),
    ProductType("lamp", LIGHTING, ("LED Desk Lamp", "Table Lamp", "Night Light"), ("Table lamp", "Desk lamp", "Night light"),
                "LAMPS", "9405200000", "94052040", ("EN 60598-1", "EN 60598-2-4"),
                (_h("Electric shock", 0.75, "EN 60598-1:2008 8.2", "EN 60598-1", *_SHOCK),
                 _h("Fire", 0.15, "EN 60598-1:2008 12", "EN 60598-1", *_FIRE),
                 _h("Burns", 0.1, "EN 60598-2-4:1997 4.12", "EN 60598-2-4", *_BURNS)), 1.2),
    ProductType("lightchain", CHAINS, ("LED String Light", "Christmas Light Chain", "Fairy Lights"),
                ("Lighting chain", "Christmas lights", "LED light chain"), "LIGHTING SETS", "9405300000", "94053000",
                ("EN 60598-1", "EN 60598-2-20"),
                (_h("Electric shock", 0.7, "EN 60598-2-20:2010 20.7", "EN 60598-2-20",
                    "The wires are too thin and the insulation insufficient; the user could get an electric shock.",
                    "Thinner wire to save copper"),
                 _h("Fire", 0.3, "EN 60598-2-20:2010 20.12", "EN 60598-2-20", *_FIRE)), 2.0),
    ProductType("hoverboard", HOBBY, ("Self Balancing Scooter", "Smart Balance Wheel", "Hoverboard"),
                ("Hoverboard", "Self-balancing scooter"), "SELF-BALANCING SCOOTERS", "8711600090", "87116010",
                ("EN 60335-1", "EN 62133", "EN 60950-1"),
                (_h("Fire", 0.6, "EN 62133:2013 8", "EN 62133",
                    "The battery pack has no protection circuit; it may overheat and catch fire.",
                    "Battery cells from an uncertified supplier"),
                 _h("Burns", 0.15, "EN 60335-1:2012 11", "EN 60335-1", *_BURNS),
                 _h("Injuries", 0.15, "EN 60335-1:2012 20", "EN 60335-1",
                    "The self-balancing control may fail and throw the rider off.", "Firmware not validated"),
                 _h("Electric shock", 0.1, "EN 60950-1:2006 2.10", "EN 60950-1", *_SHOCK)), 5.0,
                "2015-06-01", "2016-12-31"),
)

BY_CATEGORY: dict[str, tuple[ProductType, ...]] = {}
for _t in TYPES:
    BY_CATEGORY[_t.category] = BY_CATEGORY.get(_t.category, ()) + (_t,)

# Factories' main line: the share of factories in each category.
CATEGORY_SHARES: tuple[tuple[str, float], ...] = (
    (TOYS, 0.46), (CHILDCARE, 0.14), (ELECTRICAL, 0.22), (LIGHTING, 0.08), (CHAINS, 0.06), (HOBBY, 0.04))

# Categories under EU customs risk profiles (the seasonal toy operations, lighting chains before Christmas).
PROFILED = frozenset({TOYS, CHILDCARE, CHAINS})

MEASURES_BORDER = ("Import rejected at the border", "Destruction of the product", "Import rejected at the border")
MEASURES_MARKET = ("Withdrawal of the product from the market", "Recall of the product from end users",
                   "Stop of sales", "Withdrawal of the product from the market", "Destruction of the product")
CN_MEASURES = ("Production rectification ordered; raw-material supplier replaced",
               "Export of the model suspended; remaining stock destroyed",
               "Enhanced inspection of subsequent consignments", "CIQ registration of the factory suspended",
               "Warning issued; quality staff retrained")
