"""Header matching: table of headers -> mapping, and the mapping errors."""

from __future__ import annotations

import pytest

from audience_prep import AmbiguousColumnsError, MappingError, MissingColumnError, load_schema
from audience_prep._prepare.columns import map_columns

SCHEMA = load_schema()

MAPPING_TABLE = [
    # (headers, expected phone sources in priority order, expected renames)
    (["Phone"], ("Phone",), {}),
    (["phone1"], ("phone1",), {}),
    (["\ufeffMobile Phone ", "E-Mail"], ("\ufeffMobile Phone ",), {"E-Mail": "email"}),
    (
        ["mobile_phone", "first name", "LAST-NAME"],
        ("mobile_phone",),
        {"first name": "first_name", "LAST-NAME": "last_name"},
    ),
    (
        ["טלפון נייד", "שם פרטי", 'דוא"ל'],
        ("טלפון נייד",),
        {"שם פרטי": "first_name", 'דוא"ל': "email"},
    ),
    (["נייד", "מייל"], ("נייד",), {"מייל": "email"}),
    (["Home Phone", "Telephone", "Cell"], ("Cell", "Telephone", "Home Phone"), {}),
    (["Work Phone", "WhatsApp"], ("WhatsApp", "Work Phone"), {}),
    (["phone1", "Mobile"], ("phone1", "Mobile"), {}),
    (
        ["Tel", "Given Name", "Surname", "Notes"],
        ("Tel",),
        {"Given Name": "first_name", "Surname": "last_name"},
    ),
]


@pytest.mark.parametrize(("headers", "phones", "renames"), MAPPING_TABLE)
def test_mapping_table(
    headers: list[str], phones: tuple[str, ...], renames: dict[str, str]
) -> None:
    mapping = map_columns(headers, SCHEMA)
    assert mapping.phone_sources == phones
    assert dict(mapping.renames) == renames
    assert set(mapping.extras) == set(headers) - set(phones) - set(renames)


def test_extras_keep_source_order() -> None:
    mapping = map_columns(["Z note", "Phone", "A note", "B note"], SCHEMA)
    assert mapping.extras == ("Z note", "A note", "B note")


def test_explicit_override_wins_and_replaces_automatic_phone_detection() -> None:
    mapping = map_columns(["Cell #", "Mobile", "Mail"], SCHEMA, overrides={"Cell #": "phone1"})
    assert mapping.phone_sources == ("Cell #",)
    assert "Mobile" in mapping.extras
    assert mapping.renames == {"Mail": "email"}


def test_override_matches_header_by_key() -> None:
    mapping = map_columns(["Cell #", "X"], SCHEMA, overrides={"cell": "phone1", "x": "email"})
    assert mapping.phone_sources == ("Cell #",)
    assert mapping.renames == {"X": "email"}


def test_override_order_is_phone_priority() -> None:
    mapping = map_columns(["A", "B"], SCHEMA, overrides={"B": "phone1", "A": "phone1"})
    assert mapping.phone_sources == ("B", "A")


def test_override_resolves_an_ambiguity() -> None:
    mapping = map_columns(["Mobile", "Mobile Phone"], SCHEMA, overrides={"Mobile": "phone1"})
    assert mapping.phone_sources == ("Mobile",)
    assert mapping.extras == ("Mobile Phone",)


def test_equal_standing_phone_columns_are_ambiguous() -> None:
    with pytest.raises(AmbiguousColumnsError) as info:
        map_columns(["Mobile", "Mobile Phone"], SCHEMA, source="export.csv")
    message = str(info.value)
    assert "'Mobile' and 'Mobile Phone'" in message
    assert "export.csv" in message
    assert "columns={'Mobile': 'phone1'}" in message
    assert info.value.headers == ("Mobile", "Mobile Phone")


def test_two_email_columns_are_ambiguous() -> None:
    with pytest.raises(AmbiguousColumnsError, match="'email'"):
        map_columns(["Phone", "Email", "E-mail"], SCHEMA)


def test_no_phone_column_lists_headers_and_closest_aliases() -> None:
    with pytest.raises(MissingColumnError) as info:
        map_columns(["Name", "Phon", "Adress"], SCHEMA, source="crm.csv")
    error = info.value
    assert error.canonical == "phone1"
    assert error.headers == ("Name", "Phon", "Adress")
    assert "phone" in error.closest
    assert "'Phon'" in str(error)
    assert "crm.csv" in str(error)
    assert "--map" in str(error)


def test_override_to_unknown_canonical() -> None:
    with pytest.raises(MappingError, match="Did you mean phone1"):
        map_columns(["Cell #"], SCHEMA, overrides={"Cell #": "phone"})


def test_override_naming_a_missing_header() -> None:
    with pytest.raises(MappingError, match=r"no such header.*'Cell #'"):
        map_columns(["Cell #"], SCHEMA, overrides={"Cel": "phone1"})


def test_two_overrides_to_one_text_column_are_ambiguous() -> None:
    with pytest.raises(AmbiguousColumnsError):
        map_columns(["Phone", "A", "B"], SCHEMA, overrides={"A": "email", "B": "email"})


def test_report_mapping() -> None:
    mapping = map_columns(["Cell", "Tel", "Mail", "Other"], SCHEMA)
    assert mapping.as_report("phone1") == {"Cell": "phone1", "Tel": "phone1", "Mail": "email"}
