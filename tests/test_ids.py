import pytest

from tracegraph.graph import ids
from tracegraph.graph.errors import InvalidIdentifier
from exchange import BOX1, FACTORY, GTIN, MRN


def test_valid_identifiers_come_back_canonical():
    assert ids.clean_uscc(FACTORY.lower()) == FACTORY
    assert ids.clean_container(f"{BOX1[:4]} {BOX1[4:10]}-{BOX1[10]}") == BOX1
    assert ids.clean_gtin(GTIN) == GTIN
    assert ids.clean_locode(" nlrtm ") == "NLRTM"
    assert ids.clean_mrn(MRN) == MRN
    assert ids.clean_eori("nl 123456789") == "NL123456789"
    assert ids.clean_date("2014-05-21T10:00:00Z") == "2014-05-21"


@pytest.mark.parametrize(
    "clean, value, message",
    [
        (ids.clean_container, "MSCU1234560", "fails the ISO 6346 check digit (expected 6)"),
        (ids.clean_container, "MSC1234566", "is not an ISO 6346 number"),
        (ids.clean_uscc, "91440101MA59ABCD12", "fails the GB 32100 check character (expected D)"),
        (ids.clean_uscc, "9144", "must have 18 characters"),
        (ids.clean_gtin, "4006381333932", "fails the GS1 check digit (expected 1)"),
        (ids.clean_gtin, "40063813", "fails the GS1 check digit"),
        (ids.clean_gtin, "12345", "must be 8, 12, 13 or 14 digits"),
        (ids.clean_locode, "XXRTM", "no ISO 3166 country"),
        (ids.clean_locode, "NLRT1", "must be a country code and 3 letters or digits 2-9"),
        (ids.clean_country, "EU", "not an ISO 3166-1 alpha-2 code"),
        (ids.clean_mrn, MRN[:-1] + str((int(MRN[-1]) + 1) % 10), "fails its check character"),
        (ids.clean_eori, "123", "must be a country code"),
        (ids.clean_date, "21/05/2014", "is not an ISO 8601 date"),
        (ids.clean_date, "2014-02-30", "is not an ISO 8601 date"),
    ],
)
def test_invalid_identifiers_say_why(clean, value, message):
    with pytest.raises(InvalidIdentifier, match=message.replace("(", r"\(").replace(")", r"\)")):
        clean(value)


def test_the_fast_container_check_agrees_with_stdnum():
    import random

    from stdnum import iso6346

    rng = random.Random(1)
    for _ in range(5000):
        body = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + rng.choice("UJZ")
        body += f"{rng.randrange(10**6):06d}"
        assert ids.iso6346_check_digit(body) == iso6346.calc_check_digit(body)
        good = body + iso6346.calc_check_digit(body)
        assert ids.clean_container(good) == good
        bad = body + str((int(good[-1]) + 1) % 10)
        with pytest.raises(InvalidIdentifier):
            ids.clean_container(bad)
