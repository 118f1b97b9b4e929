"""The generator's knobs, their defaults and the named presets that change them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Callable


def _knob(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    """Every assumption the generator makes that a reader might want to change."""

    # -- time
    start: str = _knob("2014-01-01", "first departure date from China")
    end: str = _knob("2017-12-31", "data extract date: nothing later than this is in any file")
    seasonality: float = _knob(0.3, "amplitude of the yearly cycle of departures (peak Jul-Oct, Christmas stock)")

    # -- population
    shipments_per_trader: float = _knob(30.0, "shipments per trading company: traders = shipments / this")
    shipments_per_factory: float = _knob(10.0, "shipments per factory: factories = shipments / this")
    shipments_per_importer: float = _knob(20.0, "shipments per EU importer: importers = shipments / this")
    volume_skew: float = _knob(1.1, "sigma of the lognormal trade volume of each company (a few big, many small)")
    suppliers_per_trader: float = _knob(6.0, "mean number of factories a trading company buys from")
    models_per_factory: float = _knob(10.0, "mean number of product models a factory has over the period")
    company_turnover: float = _knob(0.2, "share of companies that start or stop trading inside the period")

    # -- names: how the EU declarant writes the Chinese consignor
    factory_name_en_share: float = _knob(0.5, "share of manufacturers with an English name in the CN data")
    exporter_name_en_share: float = _knob(0.85, "share of trading companies with an English name in the CN data")
    trade_name_en_share: float = _knob(0.12, "share of companies whose English name translates the trade name (金星 → Golden Star)")
    name_use_cn_english: float = _knob(0.55, "chance the EU spelling starts from the CN name_en, where one exists")
    name_copy_exact: float = _knob(0.5, "chance a declarant starting from the CN name_en copies it word for word (case aside)")
    name_pinyin_spaced: float = _knob(0.3, "chance a romanised trade name is written syllable by syllable (Hua Mei, not Huamei)")
    name_cantonese: float = _knob(0.35, "chance a Pearl River Delta company is romanised in Cantonese (Wing Hong, not Yonghong)")
    name_short: float = _knob(0.1, "chance of a short trade form: trade name and trade only (Tong Ye Toys)")
    name_city_paren: float = _knob(0.1, "chance the city moves into parentheses at the end (XINGDA TOYS FTY (SHANTOU))")
    name_city_drop: float = _knob(0.2, "chance the city (and district) is left out")
    name_suffix_variant: float = _knob(0.5, "chance the legal suffix is written another way (CO LTD, CO.,LTD, LIMITED …)")
    name_industry_variant: float = _knob(0.4, "chance the trade words are abbreviated (IMP & EXP, I/E, FTY, ELEC.)")
    name_truncate: float = _knob(0.1, "chance the declarant's system cuts the name to its 35-character field")
    name_upper: float = _knob(0.55, "chance the declarant types the name in capitals")
    name_lower: float = _knob(0.02, "chance the declarant types the name in lower case")
    name_spaces: float = _knob(0.05, "chance of doubled, missing or trailing spaces")
    name_typo: float = _knob(0.07, "chance an importer's master-data spelling carries a typing error")
    name_typo_per_declaration: float = _knob(0.02, "chance one declaration adds a fresh typing error")
    name_sticky: float = _knob(0.85, "chance a declaration reuses the importer's stored spelling of the consignor")
    old_romanisation: float = _knob(0.03, "chance a city is written in postal romanisation (Swatow, Canton, Amoy)")
    address_missing: float = _knob(0.3, "share of declarations without a consignor address")
    hk_affiliate: float = _knob(0.03, "share of declarations naming the exporter's Hong Kong affiliate as consignor")
    consignor_factory_via_trader: float = _knob(0.06, "chance the declarant names the factory although a trader exported")

    # -- who declares the export
    self_export_share: float = _knob(0.2, "share of shipments declared by the factory itself")
    self_exporter_listed: float = _knob(0.75, "chance a self-exporting factory is also in cn-exporters")
    self_export_buys_in: float = _knob(0.1, "chance a self-exporting factory's shipment carries another factory's goods")
    agent_share: float = _knob(0.04, "share of shipments declared by a foreign-trade service agent for small factories")
    agent_consignor_factory: float = _knob(0.7, "chance the EU consignor of an agent's shipment is the factory, not the agent")

    # -- risk: where non-compliance comes from
    base_rate: float = _knob(0.06, "per-line non-compliance of an ordinary factory's ordinary product")
    category_contrast: float = _knob(1.0, "exponent on the categories' relative risk (0 = all categories alike)")
    line_effect: float = _knob(1.0, "exponent on the product types' relative risk (0 = all product types alike)")
    bad_model_share: float = _knob(0.02, "share of models with a design fault, whoever makes them")
    bad_model_mult: float = _knob(6.0, "risk multiplier of a faulty design")
    factory_effect: float = _knob(1.0, "exponent on each factory's own multiplier (0 = factories do not matter)")
    factory_sigma: float = _knob(0.6, "sigma of the lognormal multiplier of ordinary factories")
    bad_factory_share: float = _knob(0.08, "share of factories that are bad")
    bad_factory_mult: float = _knob(8.0, "median risk multiplier of a bad factory")
    small_bad_bias: float = _knob(1.0, "how much more often small workshops are the bad ones (0 = size does not matter)")
    bad_onset_share: float = _knob(0.3, "share of bad factories that turn bad during the period (new material supplier …)")
    drift: float = _knob(0.25, "yearly sigma of the random walk of each factory's log multiplier")
    trend: float = _knob(0.0, "yearly change of the log risk of everyone (negative: the trade improves)")
    improvement_after_measures: float = _knob(0.4, "factor on a factory's risk once an investigation took measures")
    importer_qc_share: float = _knob(0.3, "share of EU importers that have their orders tested before shipment")
    importer_qc_effect: float = _knob(0.4, "factor on the risk of orders placed by such importers")
    trader_cheap_share: float = _knob(0.25, "share of traders that buy from the cheapest (often bad) factories")
    mould_sharing: float = _knob(0.06, "share of models also made, under the same model number, by a neighbouring factory")
    risk_cap: float = _knob(0.9, "upper bound of any line's probability of non-compliance")

    # -- CIQ export inspection
    cert_share: float = _knob(0.6, "share of EU-bound shipments with a CIQ certificate at the start")
    cert_trend: float = _knob(-0.07, "yearly change of that share (the legal-inspection list shrank after 2014)")
    ciq_sensitivity: float = _knob(0.35, "mean chance an office fails an unsafe line it tested the right standard for")
    ciq_sensitivity_spread: float = _knob(0.2, "offices' sensitivities spread uniformly ± this around the mean")
    ciq_false_alarm: float = _knob(0.02, "mean chance an office fails a safe consignment")
    ciq_test_coverage: float = _knob(0.6, "chance each relevant standard is tested on a certificate")
    ciq_class_i_leniency: float = _knob(0.5, "factor on sensitivity for registered (class I) factories: mostly paper checks")
    ciq_fail_rework: float = _knob(0.7, "after a fail: share reworked and certified again")
    ciq_fail_withdrawn: float = _knob(0.25, "after a fail: share never shipped (the rest ships anyway)")
    ciq_rework_effect: float = _knob(0.3, "factor on the risk of a reworked consignment")
    ciq_followup: float = _knob(1.0, "after measures against a factory, its next year of shipments is always certified (0 = no follow-up)")

    # -- EU import control
    eu_coverage: float = _knob(0.92, "share of EU-bound shipments whose import declaration is in eu-arrivals")
    non_eu_share: float = _knob(0.12, "share of CN shipments to countries outside the EU")
    unmatched_arrival_share: float = _knob(0.05, "arrivals of Chinese goods with no CN declaration in the data (via Hong Kong …)")
    entry_points: str = _knob("", "override of the entry points, e.g. 'NLRTM:0.5,DEHAM:0.5' (empty: by importer country)")
    inspection_lag: int = _knob(30, "days before the extract date from which checks are not yet reported (none in the files)")
    check_rate: float = _knob(0.04, "base share of arrivals checked")
    port_check_spread: float = _knob(1.0, "exponent on the ports' own check-rate factors (0 = all ports alike)")
    targeting: float = _knob(3.0, "factor on the check chance when the importer or consignor spelling had a finding in the last year")
    profile_boost: float = _knob(1.5, "factor on the check chance of goods under a risk profile (toys, childcare, lighting chains)")
    campaign_boost: float = _knob(1.5, "factor on the check chance in Sep-Nov (pre-Christmas toy operations)")
    first_physical: float = _knob(0.55, "share of checks that start physical (the rest start documentary)")
    escalate: float = _knob(0.35, "chance a check escalates (documentary → physical → laboratory) without suspicion")
    escalate_suspicious: float = _knob(0.85, "chance it escalates when the check saw a problem")
    detect_documentary: float = _knob(0.15, "chance a documentary check sees an unsafe product (missing DoC, CE marking)")
    detect_physical: float = _knob(0.6, "chance a physical check sees a mechanical hazard (small parts, cords)")
    detect_physical_other: float = _knob(0.2, "chance a physical check sees a chemical or electrical hazard")
    detect_lab: float = _knob(0.9, "chance a laboratory test finds a non-compliance")
    eu_false_alarm: float = _knob(0.01, "chance a check finds a compliant consignment non-compliant")
    finding_rate: float = _knob(0.85, "chance a non-compliant check is written up as a finding")
    market_finding_rate: float = _knob(0.12, "chance an unsafe product that got through is later found on the market")
    foreign_findings_share: float = _knob(0.05, "findings about products of factories the CN data does not know (truth factory null)")
    investigation_rate: float = _knob(0.7, "share of Safety Gate-notified findings AQSIQ investigates (a fifth of that for the rest)")
    investigation_misattribution: float = _knob(0.05, "chance AQSIQ records the exporter instead of the factory")
    finding_gtin_printed: float = _knob(0.7, "chance a finding gives the barcode where the product carries one")
    finding_model_printed: float = _knob(0.75, "chance a finding gives the factory's model number")
    importer_article: float = _knob(0.15, "chance the 'model' on a finding is the importer's article number instead")
    finding_batch: float = _knob(0.3, "chance a finding gives the batch")

    # -- logistics
    bl_missing: float = _knob(0.08, "share of EU declarations without a bill of lading")
    bl_house: float = _knob(0.1, "share giving the forwarder's house bill instead of the carrier's master bill")
    bl_prefix_dropped: float = _knob(0.05, "share giving the master bill without its carrier prefix")
    container_one_side: float = _knob(0.04, "chance a container of a multi-container shipment is listed on one side only")
    container_swapped: float = _knob(0.02, "chance the EU side lists another (valid) container: goods re-stuffed on the way")
    split_arrivals: float = _knob(0.04, "chance a multi-container shipment is declared as several arrivals")
    consolidation: float = _knob(0.03, "chance a shipment is declared together with another exporter's in one arrival")
    lcl_share: float = _knob(0.08, "share of shipments that share a container with other shipments (LCL)")
    transhipment: float = _knob(0.1, "share of shipments transhipped or rerouted: later, sometimes at another entry point")
    transit_jitter: float = _knob(3.0, "sigma in days of the transit time around the route's mean")
    container_pool: float = _knob(1.0, "containers in circulation per shipment (lower: the same box comes back more often)")


PRESETS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "noisy-names": {
        "factory_name_en_share": 0.25, "exporter_name_en_share": 0.6, "name_use_cn_english": 0.25,
        "name_copy_exact": 0.1, "name_truncate": 0.25,
        "name_pinyin_spaced": 0.45, "name_short": 0.25, "name_city_paren": 0.2, "name_city_drop": 0.35,
        "name_suffix_variant": 0.85, "name_industry_variant": 0.7, "name_spaces": 0.15, "name_typo": 0.25,
        "name_typo_per_declaration": 0.1, "name_sticky": 0.5, "old_romanisation": 0.08, "address_missing": 0.5,
    },
    "clean-names": {
        "factory_name_en_share": 0.9, "exporter_name_en_share": 1.0, "name_use_cn_english": 0.95,
        "name_copy_exact": 0.9, "name_truncate": 0.0,
        "name_short": 0.0, "name_city_paren": 0.0, "name_city_drop": 0.0, "name_suffix_variant": 0.1,
        "name_industry_variant": 0.05, "name_spaces": 0.0, "name_typo": 0.0, "name_typo_per_declaration": 0.0,
        "old_romanisation": 0.0, "hk_affiliate": 0.0, "consignor_factory_via_trader": 0.0,
    },
    "self-exporting": {
        "self_export_share": 0.55, "self_exporter_listed": 0.6, "consignor_factory_via_trader": 0.15,
        "agent_share": 0.08,
    },
    "few-bad-factories": {"bad_factory_share": 0.02, "bad_factory_mult": 15.0},
    "many-bad-factories": {"bad_factory_share": 0.3, "bad_factory_mult": 4.0, "factory_sigma": 0.8},
    "line-risk": {
        "bad_factory_share": 0.0, "factory_sigma": 0.2, "factory_effect": 0.5, "line_effect": 1.6,
        "bad_model_share": 0.08, "bad_model_mult": 10.0, "mould_sharing": 0.25, "small_bad_bias": 0.0,
    },
    "category-risk": {
        "bad_factory_share": 0.02, "factory_sigma": 0.3, "category_contrast": 2.5, "line_effect": 0.3,
        "bad_model_share": 0.0,
    },
    "drifting-risk": {"drift": 0.8, "bad_onset_share": 0.7, "trend": 0.15, "improvement_after_measures": 0.2},
    "weak-ciq": {
        "ciq_sensitivity": 0.1, "ciq_sensitivity_spread": 0.08, "ciq_false_alarm": 0.05, "ciq_test_coverage": 0.3,
        "ciq_fail_withdrawn": 0.05, "ciq_rework_effect": 0.8, "ciq_followup": 0.0,
    },
    "strong-ciq": {
        "cert_share": 0.9, "cert_trend": 0.0, "ciq_sensitivity": 0.8, "ciq_sensitivity_spread": 0.1,
        "ciq_false_alarm": 0.01, "ciq_test_coverage": 0.95, "ciq_class_i_leniency": 0.9, "ciq_rework_effect": 0.1,
    },
    "mostly-uncertified": {"cert_share": 0.15, "cert_trend": -0.02},
    "low-sampling": {"check_rate": 0.01, "targeting": 1.5},
    "random-checks": {"targeting": 1.0, "profile_boost": 1.0, "campaign_boost": 1.0, "port_check_spread": 0.0},
    "market-surveillance": {"check_rate": 0.015, "market_finding_rate": 0.25, "finding_gtin_printed": 0.5,
                            "finding_model_printed": 0.55, "importer_article": 0.3},
    "messy-logistics": {
        "bl_missing": 0.3, "bl_house": 0.3, "bl_prefix_dropped": 0.15, "container_one_side": 0.15,
        "container_swapped": 0.08, "split_arrivals": 0.12, "consolidation": 0.1, "lcl_share": 0.25,
        "transhipment": 0.3, "transit_jitter": 6.0, "container_pool": 0.15, "unmatched_arrival_share": 0.12,
    },
    "hong-kong-traders": {"hk_affiliate": 0.2, "unmatched_arrival_share": 0.12, "agent_share": 0.1},
}


def knob_docs() -> list[tuple[str, Any, str]]:
    """Return (name, default, description) for every knob, in declaration order."""
    return [(f.name, f.default, f.metadata["doc"]) for f in fields(Settings)]


def markdown() -> str:
    """Return the knobs (name, default, meaning) and the presets (what each changes) as Markdown."""
    out = ["| knob | default | meaning |", "| --- | --- | --- |"]
    out += [f"| `{name}` | `{default!r}` | {doc} |" for name, default, doc in knob_docs()]
    out += ["", "| preset | changes |", "| --- | --- |"]
    for preset, changes in PRESETS.items():
        text = ", ".join(f"`{k}={v!r}`" for k, v in changes.items()) or "nothing: the defaults"
        out.append(f"| `{preset}` | {text} |")
    return "\n".join(out)


def _parse(name: str, raw: str) -> Any:
    kinds: dict[str, Callable[[str], Any]] = {f.name: type(f.default) for f in fields(Settings)}
    if name not in kinds:
        raise SystemExit(f"unknown knob {name!r}; the knobs are listed in bench/othergen/README.md")
    kind = kinds[name]
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"knob {name} takes a {getattr(kind, '__name__', kind)}, not {raw!r}") from None


def resolve(setting: str = "baseline", overrides: dict[str, Any] | None = None) -> Settings:
    """Return the settings of a preset with some knobs overridden (strings are converted)."""
    if setting not in PRESETS:
        raise SystemExit(f"unknown setting {setting!r}; choose one of: {', '.join(PRESETS)}")
    values: dict[str, Any] = dict(PRESETS[setting])
    for name, value in (overrides or {}).items():
        values[name] = _parse(name, value) if isinstance(value, str) else value
    unknown = [n for n in values if n not in {f.name for f in fields(Settings)}]
    if unknown:
        raise SystemExit(f"unknown knob(s) {', '.join(unknown)}; the knobs are listed in bench/othergen/README.md")
    return dataclasses.replace(Settings(), **values)
