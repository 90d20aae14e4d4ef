"""Header matching: table of headers -> mapping, and the mapping errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import audience_prep as ap
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


def test_equal_standing_phone_columns_are_ambiguous_when_strict() -> None:
    with pytest.raises(AmbiguousColumnsError) as info:
        map_columns(["Mobile", "Mobile Phone"], SCHEMA, source="export.csv", strict=True)
    message = str(info.value)
    assert "'Mobile' and 'Mobile Phone'" in message
    assert "export.csv" in message
    assert "columns={'Mobile': 'phone1'}" in message
    assert info.value.headers == ("Mobile", "Mobile Phone")


def test_two_email_columns_are_ambiguous_when_strict() -> None:
    with pytest.raises(AmbiguousColumnsError, match="'email'"):
        map_columns(["Phone", "Email", "E-mail"], SCHEMA, strict=True)


def test_no_phone_column_lists_headers_and_closest_aliases() -> None:
    with pytest.raises(MissingColumnError) as info:
        ap.prepare(b"Name,Phon,Adress\nDana,x,y\n", region="IL", strict_columns=True)
    error = info.value
    assert error.canonical == "phone1"
    assert error.headers == ("Name", "Phon", "Adress")
    assert "phone" in error.closest
    assert "'Phon'" in str(error)
    assert "<bytes>" in str(error)
    assert "--map" in str(error)


def test_no_phone_column_and_no_phone_values_is_missing_without_strict_too() -> None:
    with pytest.raises(MissingColumnError, match="No column for 'phone1'"):
        ap.prepare(b"Name,Phon,Adress\nDana,x,y\n", region="IL")


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


# --- the headers of real exports (issue 13) ---------------------------------------------------

ISSUE_HEADERS = [
    # (headers, phone sources in reading order)
    (["Order", "Ship To Phone", "Ship To Name"], ("Ship To Phone",)),  # eBay
    (["buyer-phone-number", "ship-phone-number"], ("buyer-phone-number", "ship-phone-number")),
    (["_address_telephone", "_address_city"], ("_address_telephone",)),  # Magento
    (["Phone (Billing)", "Email (Billing)"], ("Phone (Billing)",)),  # WooCommerce
    (["Billing Phone", "Shipping Phone"], ("Billing Phone", "Shipping Phone")),  # Shopify
    (["Name", "Contact Phone Number"], ("Contact Phone Number",)),  # PayPal
    (
        ["Person - Phone - Work", "Person - Phone - Mobile"],
        ("Person - Phone - Mobile", "Person - Phone - Work"),
    ),
    (["Phone 1 - Type", "Phone 1 - Value"], ("Phone 1 - Value",)),  # Google Contacts
    (["Phone Number", "Mobile Phone Number"], ("Mobile Phone Number", "Phone Number")),  # HubSpot
    (["Tu número 📲", "Nombre"], ("Tu número 📲",)),
    (
        ["Contact Number of the Onboarding Member ", "Name"],
        ("Contact Number of the Onboarding Member ",),
    ),
    (["Tél. mobile", "Téléphone"], ("Tél. mobile", "Téléphone")),
    (["Mobiltelefon", "Telefon"], ("Mobiltelefon", "Telefon")),
    (["Celular", "Teléfono"], ("Celular", "Teléfono")),
    (["Телефон"], ("Телефон",)),
    (["هاتف"], ("هاتف",)),
    # decisions instead of refusals
    (
        ["Home Phone", "Business Phone", "Mobile Phone"],
        ("Mobile Phone", "Home Phone", "Business Phone"),
    ),
    (["Work Phone", "Home Phone"], ("Work Phone", "Home Phone")),  # Thunderbird
    (["SMS", "WHATSAPP"], ("SMS", "WHATSAPP")),  # Brevo
    (["Mobile", "Mobile Phone"], ("Mobile", "Mobile Phone")),
    (["Fax", "Pager", "Phone"], ("Phone",)),
]


@pytest.mark.parametrize(("headers", "phones"), ISSUE_HEADERS)
def test_real_export_headers(headers: list[str], phones: tuple[str, ...]) -> None:
    assert map_columns(headers, SCHEMA).phone_sources == phones


def test_country_and_country_code_decide_left_to_right_and_say_so() -> None:
    mapping = map_columns(["Phone", "Country", "Country Code"], SCHEMA)
    assert mapping.renames == {"Country": "country"}
    assert "Country Code" in mapping.extras
    [note] = [n for n in mapping.notes if n.column == "country"]
    assert note.chosen == ("Country",)
    assert note.over == ("Country Code",)
    assert "left to right among equals" in note.rule
    assert note.fix is not None
    assert "columns={'Country Code': 'country'}" in note.fix
    assert '--map "Country Code=country"' in note.fix


def test_an_exact_name_beats_a_word_match_and_the_note_says_so() -> None:
    mapping = map_columns(["Phone", "Billing Email", "Email"], SCHEMA)
    assert mapping.renames == {"Email": "email"}
    [note] = [n for n in mapping.notes if n.column == "email"]
    assert "an exact name before a word match" in note.rule


def test_several_phone_sources_are_one_note_with_their_tiers() -> None:
    mapping = map_columns(["Home Phone", "Cell", "Telephone"], SCHEMA)
    [note] = [n for n in mapping.notes if n.column == "phone1" and n.chosen]
    assert note.chosen == ("Cell", "Telephone", "Home Phone")
    assert "'Cell' (mobile), 'Telephone' (phone), 'Home Phone' (other)" in note.rule
    assert note.fix is not None
    assert "columns={'Cell': 'phone1'}" in note.fix


def test_phone_like_headers_set_aside_are_noted() -> None:
    headers = ["Phone", "Business Fax", "Accepts SMS Marketing", "Phone Verified", "Total"]
    mapping = map_columns(headers, SCHEMA)
    over = {n.over[0]: n for n in mapping.notes if n.over and n.column == "phone1"}
    # a fax column names no phone, so there is nothing to explain; these two name one
    assert set(over) == {"Accepts SMS Marketing", "Phone Verified"}
    assert "accepts sms marketing" in over["Accepts SMS Marketing"].rule
    assert "verified" in over["Phone Verified"].rule


def test_a_header_named_phone2_is_kept_as_phone2_and_backs_up_phone1() -> None:
    mapping = map_columns(["phone1", "phone2", "Name"], SCHEMA)
    assert mapping.phone_sources == ("phone1", "phone2")
    assert mapping.renames == {"phone2": "phone2", "Name": "full_name"}
    assert mapping.as_report("phone1")["phone2"] == "phone2"


def test_google_contacts_pairs_are_read_by_type() -> None:
    headers = ["Name", "Phone 1 - Type", "Phone 1 - Value", "Phone 2 - Type", "Phone 2 - Value"]
    mapping = map_columns(headers, SCHEMA)
    assert mapping.phone_sources == ("Phone 1 - Value", "Phone 2 - Value")
    assert mapping.read_order == (
        ("Phone 1 - Value", "typed first tier"),
        ("Phone 2 - Value", "typed first tier"),
        ("Phone 1 - Value", "typed other"),
        ("Phone 2 - Value", "typed other"),
    )
    assert "Phone 1 - Type" in mapping.extras


@given(st.permutations(["Work Phone", "Mobile", "Home Phone", "Cell", "Phone", "Email", "Fax"]))
@settings(max_examples=200, deadline=None)
def test_reordering_columns_changes_the_sources_only_by_left_to_right(order: list[str]) -> None:
    """The same headers in any order: the same sources, in tier order, and within a tier in
    the order the file has them."""
    mapping = map_columns(order, SCHEMA)
    tier_rank = {t.name: i for i, t in enumerate(SCHEMA.phone_tiers)}
    assert set(mapping.phone_sources) == {"Work Phone", "Mobile", "Home Phone", "Cell", "Phone"}
    ranks = [tier_rank[mapping.tiers[h]] for h in mapping.phone_sources]
    assert ranks == sorted(ranks)
    for tier in tier_rank:
        in_tier = [h for h in mapping.phone_sources if mapping.tiers[h] == tier]
        assert in_tier == [h for h in order if h in in_tier]
