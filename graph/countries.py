"""ISO 3166-1 alpha-2 country codes, from pycountry (kept current with the ISO tables)."""

import pycountry

ISO3166_ALPHA2: frozenset[str] = frozenset(country.alpha_2 for country in pycountry.countries)
