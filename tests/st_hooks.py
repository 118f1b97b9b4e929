"""Schemathesis hooks: strategies for the API's own scalars, valid and invalid values alike (an
invalid one must be refused by validation, never fail on the server). Loaded by
tests/test_api_conformance.py through SCHEMATHESIS_HOOKS."""

import base64

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


def _cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"o:{n}".encode()).decode()


schemathesis.graphql.scalar("Locode", st.one_of(st.sampled_from(["NLRTM", "DEHAM", "BEANR", "nlrtm"]),
                                                st.text(max_size=8)).map(nodes.String))
schemathesis.graphql.scalar("Date", st.one_of(st.dates().map(str), st.text(max_size=12)).map(nodes.String))
schemathesis.graphql.scalar("PageSize", st.integers(-5, 150).map(nodes.Int))
schemathesis.graphql.scalar("Cursor", st.one_of(st.integers(0, 60).map(_cursor), st.text(max_size=12)).map(nodes.String))
schemathesis.graphql.scalar("Quarter", st.one_of(st.sampled_from(["2015Q1", "2015-Q2", "2024q3", "2024Q5"]),
                                                 st.text(max_size=8)).map(nodes.String))
