"""Who may see and do what, in one place.

:data:`HIDDEN` lists, once, every field a role may not read, with the reason; :func:`restrict`
puts a permission on each of those fields before the schema is built, and a test walks the whole
schema for each role against this table. A denied field is an error on that field (its value
null, the rest of the answer intact), never a silent null. The roles are those of
:mod:`tracegraph.api.auth`; what each may write is the ``May*`` permissions on the mutations.
"""

from __future__ import annotations

from typing import Any, Iterable

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from tracegraph.api.auth import (EU_ROLES, INTERNAL_DENIED, MAY_DECIDE_LINKS, MAY_RECORD_INVESTIGATIONS,
                                 MAY_REPORT_FINDINGS, MAY_SHARE_CERTIFICATES, ROLES)

NOT_EU = frozenset(ROLES) - EU_ROLES
INTERNAL = "a company-internal field: partner tokens may not read it"
IMPORTERS = "EU importers' identities are visible to EU roles only (eu_authority, analyst, admin)"

# (GraphQL type, field as the Python class names it) -> (the roles that may not read it, why)
HIDDEN: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("Manufacturer", "ciq_registration"): (INTERNAL_DENIED, INTERNAL),
    ("Manufacturer", "address"): (INTERNAL_DENIED, INTERNAL),
    ("Exporter", "address"): (INTERNAL_DENIED, INTERNAL),
    ("ShipmentLine", "quantity"): (INTERNAL_DENIED, INTERNAL),
    ("ShipmentLine", "batch"): (INTERNAL_DENIED, INTERNAL),
    ("Investigation", "root_cause"): (INTERNAL_DENIED, INTERNAL),
    ("Investigation", "measures"): (INTERNAL_DENIED, INTERNAL),
    ("Investigation", "outcomes"): (INTERNAL_DENIED, INTERNAL),
    ("FollowUp", "root_cause"): (INTERNAL_DENIED, INTERNAL),  # China-RAPEX follow-up of an alert, as Investigation
    ("FollowUp", "measures"): (INTERNAL_DENIED, INTERNAL),
    ("FollowUp", "outcomes"): (INTERNAL_DENIED, INTERNAL),
    ("OffenderInvestigations", "measures"): (INTERNAL_DENIED, INTERNAL),
    ("OffenderInvestigations", "root_causes"): (INTERNAL_DENIED, INTERNAL),
    # a finding's batch is the factory's (18 of 20 demo findings' batches equal a CN shipment line's)
    ("Finding", "batch"): (INTERNAL_DENIED, INTERNAL),
    ("Arrival", "consignor_address"): (INTERNAL_DENIED, INTERNAL),
    ("Arrival", "importer_eori"): (NOT_EU, IMPORTERS),
    ("Arrival", "importer_name"): (NOT_EU, IMPORTERS),
    ("Arrival", "importer"): (NOT_EU, IMPORTERS),
    ("Exposure", "importers"): (NOT_EU, IMPORTERS),
    ("ExposureRow", "importer"): (NOT_EU, IMPORTERS),
    ("ExposureRow", "importer_name"): (NOT_EU, IMPORTERS),
}


class _Hidden(BasePermission):
    """The permission :func:`restrict` gives a field of :data:`HIDDEN`."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, roles: frozenset[str], why: str) -> None:
        self.roles = roles
        self.message = why

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.role not in self.roles


def restrict(types: Iterable[type]) -> None:
    """Give every field of :data:`HIDDEN` among ``types`` its permission (once, however often called).

    A field named in the table that no type has is an error: the table and the schema must agree."""
    found = set()
    for cls in types:
        definition = get_object_definition(cls, strict=True)
        for f in definition.fields:
            hidden = HIDDEN.get((definition.name, f.python_name))
            if hidden is None:
                continue
            found.add((definition.name, f.python_name))
            if not any(isinstance(e, PermissionExtension) and any(isinstance(p, _Hidden) for p in e.permissions)
                       for e in f.extensions):
                f.extensions.append(PermissionExtension([_Hidden(*hidden)], use_directives=False))
    missing = set(HIDDEN) - found
    if missing:
        raise RuntimeError(f"permissions.HIDDEN names fields the schema does not have: {sorted(missing)}")


def _may(name: str, roles: frozenset[str], what: str) -> type[BasePermission]:
    def has_permission(self: BasePermission, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.role in roles

    message = f"only {' or '.join(sorted(roles))} tokens may {what}"
    return type(name, (BasePermission,), {"error_extensions": {"code": "FORBIDDEN"}, "message": message,
                                          "has_permission": has_permission})


MayRecordInvestigations = _may("MayRecordInvestigations", MAY_RECORD_INVESTIGATIONS, "record investigations")
MayShareCertificates = _may("MayShareCertificates", MAY_SHARE_CERTIFICATES, "share certificates")
MayReportFindings = _may("MayReportFindings", MAY_REPORT_FINDINGS, "report findings")
MayDecideLinks = _may("MayDecideLinks", MAY_DECIDE_LINKS, "confirm or reject links")
