"""Audience schemas: loading, validation of the schema file, header keys and the pandera model."""

from __future__ import annotations

from pathlib import Path

import pandera.errors
import polars as pl
import pytest

from audience_prep import AudiencePrepError, AudienceSchema, SchemaFileError, load_schema
from audience_prep._errors import ConfigurationError
from audience_prep._prepare.columns import map_columns
from audience_prep._prepare.schema import DEFAULT_SCHEMA, PhoneTier, builtin_schemas
from audience_prep._text import INVISIBLE, header_key, strip_text

BUILTIN_PATH = Path(__file__).resolve().parent.parent / "schemas" / "commbox_audience.toml"

TINY = """\
name = "tiny"
dedupe_key = "phone1"

[[columns]]
name = "phone1"
type = "phone"
required = true
aliases = ["phone 1"]

[[columns]]
name = "email"
required = true
aliases = ["e-mail address"]

[[columns]]
name = "city"
aliases = ["town"]

[[phone_sources]]
tier = "mobile"
aliases = ["mobile", "cell"]

[[phone_sources]]
aliases = ["phone"]
"""


def write(tmp_path: Path, text: str, name: str = "schema.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- loading -----------------------------------------------------------------------------


def test_default_schema() -> None:
    schema = load_schema()

    assert schema.name == DEFAULT_SCHEMA == "commbox_audience"
    assert schema.phone_column == "phone1"
    assert schema.dedupe_key == "phone1"
    assert schema.column_names == (
        "phone1",
        "phone2",
        "email",
        "first_name",
        "last_name",
        "full_name",
        "country",
        "city",
        "gender",
        "birthday",
        "language",
        "external_id",
    )
    assert [t.name for t in schema.phone_tiers] == [
        "mobile",
        "mobile_other",
        "primary",
        "phone",
        "other",
    ]
    assert Path(schema.origin).name == "commbox_audience.toml"


def test_default_schema_by_name_and_by_path_are_the_same() -> None:
    by_default = load_schema()

    assert load_schema("commbox_audience") == by_default
    assert load_schema(BUILTIN_PATH) == by_default
    assert load_schema(str(BUILTIN_PATH)) == by_default


def test_loaded_schema_passes_through() -> None:
    schema = load_schema()

    assert load_schema(schema) is schema


def test_builtin_schemas_lists_the_default() -> None:
    assert DEFAULT_SCHEMA in builtin_schemas()


def test_unknown_builtin_name_lists_known_names() -> None:
    with pytest.raises(SchemaFileError) as info:
        load_schema("commbox_audiences")

    assert info.value.path == "commbox_audiences"
    assert "no built-in schema" in info.value.reason
    assert "commbox_audience" in info.value.reason
    assert all(name in info.value.reason for name in builtin_schemas())


def test_schema_file_error_is_an_audience_prep_error() -> None:
    with pytest.raises(AudiencePrepError):
        load_schema("nope")


def test_custom_schema_by_path(tmp_path: Path) -> None:
    path = write(tmp_path, TINY)

    schema = load_schema(path)

    assert isinstance(schema, AudienceSchema)
    assert schema.name == "tiny"
    assert schema.origin == str(path)
    assert schema.column_names == ("phone1", "email", "city")
    assert schema.phone_column == "phone1"
    assert schema.dedupe_key == "phone1"
    assert [(c.name, c.type, c.required) for c in schema.columns] == [
        ("phone1", "phone", True),
        ("email", "text", True),
        ("city", "text", False),
    ]
    # A column's own name is always its first alias.
    assert schema.columns[0].aliases == ("phone1", "phone 1")
    assert schema.phone_tiers == (
        PhoneTier("mobile", ("mobile", "cell")),
        PhoneTier("tier1", ("phone",)),
    )


def test_custom_schema_by_str_path(tmp_path: Path) -> None:
    path = write(tmp_path, TINY)

    assert load_schema(str(path)).name == "tiny"


def test_schema_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace('name = "tiny"\n', "", 1), name="my_account.toml")

    assert load_schema(path).name == "my_account"


def test_missing_schema_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"

    with pytest.raises(SchemaFileError, match="file not found") as info:
        load_schema(path)
    assert info.value.path == str(path)


def test_schema_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(TINY.replace("tiny", "t\xe9").encode("latin-1"))

    with pytest.raises(SchemaFileError, match="cannot read it"):
        load_schema(path)


# --- malformed schema files --------------------------------------------------------------

PHONE_COLUMN = '[[columns]]\nname = "phone1"\ntype = "phone"\n'
EMAIL_COLUMN = '[[columns]]\nname = "email"\n'

MALFORMED = [
    # (id, toml text, fragment expected in the reason)
    ("not-toml", 'name = "tiny\n', "not valid TOML"),
    (
        "unknown-top-key",
        f'dedupe_key = "phone1"\ndedupe = "x"\n{PHONE_COLUMN}',
        "unknown top-level keys ['dedupe']",
    ),
    (
        "unknown-column-key",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}alias = ["mobile"]\n',
        "unknown keys ['alias']",
    ),
    ("no-columns", 'dedupe_key = "phone1"\n', "declares no [[columns]]"),
    (
        "columns-not-tables",
        'dedupe_key = "phone1"\ncolumns = ["phone1"]\n',
        "must be an array of tables",
    ),
    (
        "no-phone-column",
        f'dedupe_key = "phone1"\n{EMAIL_COLUMN}',
        "exactly one column must have type 'phone' (found [])",
    ),
    (
        "two-phone-columns",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}[[columns]]\nname = "phone2"\ntype = "phone"\n',
        "exactly one column must have type 'phone' (found ['phone1', 'phone2'])",
    ),
    (
        "dedupe-key-not-phone",
        f'dedupe_key = "email"\n{PHONE_COLUMN}{EMAIL_COLUMN}',
        "dedupe_key must name the phone column 'phone1'",
    ),
    (
        "alias-in-two-columns",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}{EMAIL_COLUMN}'
        '[[columns]]\nname = "work_email"\naliases = ["E-mail"]\n',
        "alias 'E-mail' is declared by both email and work_email",
    ),
    (
        "alias-in-column-and-tier",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}'
        '[[phone_sources]]\ntier = "mobile"\naliases = ["Phone_1"]\n',
        "alias 'Phone_1' is declared by both phone1 and phone source tier 'mobile'",
    ),
    (
        "alias-in-two-tiers",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}'
        '[[phone_sources]]\ntier = "a"\naliases = ["Cell"]\n'
        '[[phone_sources]]\ntier = "b"\naliases = ["CELL "]\n',
        "alias 'CELL ' is declared by both phone source tier 'a' and phone source tier 'b'",
    ),
    (
        "bad-type",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}{EMAIL_COLUMN}type = "number"\n',
        "type must be 'phone' or 'text'",
    ),
    (
        "required-not-bool",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}required = "yes"\n',
        "required must be true or false",
    ),
    (
        "column-without-name",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}[[columns]]\ntype = "text"\n',
        "a column has no name",
    ),
    (
        "aliases-not-a-list",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}aliases = "mobile"\n',
        "'aliases' must be a list of strings",
    ),
    (
        "aliases-not-strings",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}[[phone_sources]]\naliases = [1, 2]\n',
        "'aliases' must be a list of strings",
    ),
    (
        "empty-alias",
        f'dedupe_key = "phone1"\n{PHONE_COLUMN}aliases = ["--"]\n',
        "alias '--' is empty",
    ),
]


@pytest.mark.parametrize(("text", "fragment"), [pytest.param(t, f, id=i) for i, t, f in MALFORMED])
def test_malformed_schema(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(SchemaFileError) as info:
        load_schema(path)

    assert info.value.path == str(path)
    assert fragment in info.value.reason
    assert str(info.value) == f"Schema {path}: {info.value.reason}"


def test_malformed_toml_keeps_the_cause(tmp_path: Path) -> None:
    import tomllib

    with pytest.raises(SchemaFileError) as info:
        load_schema(write(tmp_path, "[[columns]\n"))
    assert isinstance(info.value.__cause__, tomllib.TOMLDecodeError)


def test_dedupe_key_defaults_to_phone1(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, TINY.replace('dedupe_key = "phone1"\n', "")))

    assert schema.dedupe_key == "phone1"


def test_unknown_key_in_phone_sources(tmp_path: Path) -> None:
    text = f'dedupe_key = "phone1"\n{PHONE_COLUMN}[[phone_sources]]\ntier = "m"\nalias = ["cell"]\n'

    with pytest.raises(SchemaFileError, match="unknown keys"):
        load_schema(write(tmp_path, text))


def test_edited_schema_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, TINY)
    assert load_schema(path).name == "tiny"

    path.write_text(TINY.replace('name = "tiny"', 'name = "edited"'), encoding="utf-8")

    assert load_schema(path).name == "edited"


# --- the default schema's aliases --------------------------------------------------------


def owner(header: str) -> str | None:
    """Where a header goes on its own: the canonical column it is named as, else the phone tier
    its words give ('tier:<name>'), else the column its words give; None for none."""
    schema = load_schema()
    mapping = map_columns([header], schema)
    if header in mapping.renames and header_key(header) in {
        header_key(a) for c in schema.columns for a in c.aliases
    }:
        return mapping.renames[header]
    tier = mapping.tiers.get(header)
    if tier is not None:
        return "phone1" if tier == "phone1" else f"tier:{tier}"
    return mapping.renames.get(header)


DEFAULT_ALIASES = [
    # (a header as found in exports, expected canonical column or phone tier)
    ("phone1", "phone1"),
    ("Phone 1", "phone1"),
    ("PHONE_1", "phone1"),
    ("Primary Phone", "tier:primary"),
    ("Phone", "tier:phone"),
    ("Phone Number", "tier:phone"),
    ("Tel.", "tier:phone"),
    ("Telephone", "tier:phone"),
    ("טלפון", "tier:phone"),
    ('טל"', "tier:phone"),
    ("מס' טלפון", "tier:phone"),
    ("Mobile", "tier:mobile"),
    ("Mobile-Phone", "tier:mobile"),
    ("Cell", "tier:mobile"),
    ("Cell Phone", "tier:mobile"),
    ("CellPhone", "tier:mobile"),
    ("WhatsApp", "tier:mobile"),
    ("נייד", "tier:mobile"),
    ("טלפון נייד", "tier:mobile"),
    ("פלאפון", "tier:mobile"),
    ("Home Phone", "tier:other"),
    ("Work Phone", "tier:other"),
    ("טלפון בבית", "tier:other"),
    ("Phone 2", "phone2"),
    ("טלפון נוסף", "tier:other"),
    ("Email", "email"),
    ("E-mail", "email"),
    ("E-Mail Address", "email"),
    ('דוא"ל', "email"),
    ("דואל", "email"),
    ("מייל", "email"),
    ("First Name", "first_name"),
    ("first_name", "first_name"),
    ("שם פרטי", "first_name"),
    ("Surname", "last_name"),
    ("שם משפחה", "last_name"),
    ("Name", "full_name"),
    ("Full Name", "full_name"),
    ("שם", "full_name"),
    ("שם מלא", "full_name"),
    ("City", "city"),
    ("עיר", "city"),
    ("Country Code", "country"),
    ("Date of Birth", "birthday"),
    ("DOB", "birthday"),
    ("Gender", "gender"),
    ("Preferred Language", "language"),
    ("Customer ID", "external_id"),
    ("ID", "external_id"),
    ("\ufeffPhone", "tier:phone"),
    ("ＰＨＯＮＥ", "tier:phone"),
]


@pytest.mark.parametrize(("header", "expected"), DEFAULT_ALIASES)
def test_default_schema_aliases(header: str, expected: str) -> None:
    assert owner(header) == expected


@pytest.mark.parametrize("header", ["Notes", "Address", "Fax", "Zip", "Pager", "SMS Opt-in"])
def test_headers_the_default_schema_does_not_claim(header: str) -> None:
    assert owner(header) is None


def test_every_column_is_an_alias_of_itself() -> None:
    for column in load_schema().columns:
        assert column.aliases[0] == column.name


# --- header_key and strip_text -----------------------------------------------------------

HEADER_KEYS = [
    # (header, key)
    ("Mobile Phone", "mobilephone"),
    ("mobile_phone", "mobilephone"),
    (" MOBILE-PHONE ", "mobilephone"),
    ("\ufeffmobilephone", "mobilephone"),
    ("Mobile\u00a0Phone\u200f", "mobilephone"),
    ('דוא"ל', "דואל"),
    ("דוא״ל", "דואל"),  # gershayim, the Hebrew double-quote mark
    ("\u200fטלפון נייד\u200f", "טלפוןנייד"),
    ("ＰＨＯＮＥ", "phone"),
    ("ﬁrst name", "firstname"),
    ("STRASSE", "strasse"),
    ("Straße", "strasse"),
    ("Phone 1", "phone1"),
    ("Phone #1", "phone1"),
    ("E-Mail", "email"),
    ("e.mail", "email"),
    ("", ""),
    (" -_. ", ""),
]


@pytest.mark.parametrize(("header", "key"), HEADER_KEYS)
def test_header_key(header: str, key: str) -> None:
    assert header_key(header) == key


STRIP_TEXT = [
    # (value, stripped)
    ("  phone  ", "phone"),
    ("\u00a0phone\u00a0", "phone"),
    ("\u200bphone\u200b", "phone"),
    ("\ufeffphone", "phone"),
    ("\u200fטלפון\u200f", "טלפון"),
    ("\u202bטלפון\u202c", "טלפון"),
    ("\t\u200e\u00a0 \ufeffphone\r\n\u2060", "phone"),
    ("mobile\u00a0phone", "mobile\u00a0phone"),
    ("mobile\u200bphone", "mobile\u200bphone"),
    ("ab\ufeffcd", "ab\ufeffcd"),
    ("a\u200fb", "a\u200fb"),
    ("\u00a0\u200b\ufeff\u200f", ""),
    ("", ""),
]


@pytest.mark.parametrize(("value", "expected"), STRIP_TEXT)
def test_strip_text(value: str, expected: str) -> None:
    assert strip_text(value) == expected


@pytest.mark.parametrize("mark", sorted(INVISIBLE))
def test_strip_text_removes_every_invisible_mark_at_the_ends_only(mark: str) -> None:
    assert strip_text(f"{mark}a{mark}b{mark}") == f"a{mark}b"


# --- the pandera model -------------------------------------------------------------------


def audience(phones: list[str | None], **extra: list[str | None]) -> pl.DataFrame:
    """A prepared audience under the default schema: every canonical column, as text."""
    schema = load_schema()
    columns = {name: [None] * len(phones) for name in schema.column_names}
    columns |= {"phone1": phones, **extra}
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


def failed_checks(exc: pandera.errors.SchemaErrors) -> set[tuple[str, str]]:
    cases = exc.failure_cases
    return {(str(c), str(k).split("(")[0]) for c, k in cases.select("column", "check").rows()}


def test_model_name() -> None:
    assert load_schema().model("e164").__name__ == "CommboxAudienceModel"


@pytest.mark.parametrize(
    ("phone_format", "phones"),
    [
        ("e164", ["+972501234567", "+972507654321", "+14155552671"]),
        ("digits", ["972501234567", "972507654321", "14155552671"]),
    ],
)
def test_model_accepts_a_valid_audience(phone_format: str, phones: list[str | None]) -> None:
    frame = audience(phones, email=["a@b.co", None, "c@d.co"], notes=["x", "y", "z"])

    validated = load_schema().model(phone_format).validate(frame, lazy=True)

    assert validated.equals(frame)  # the extra 'notes' column is allowed and kept


REJECTED = [
    # (phone_format, phone1 values, expected (column, check) failures)
    ("e164", ["+972501234567", "+972501234567"], {("phone1", "field_uniqueness")}),
    ("e164", ["972501234567", "+972507654321"], {("phone1", "str_matches")}),
    ("e164", ["+0501234567", "+972507654321"], {("phone1", "str_matches")}),
    ("e164", ["+97250", "+972507654321"], {("phone1", "str_matches")}),
    ("e164", ["+972 50 123 4567", "+972507654321"], {("phone1", "str_matches")}),
    ("e164", [None, "+972507654321"], {("phone1", "not_nullable")}),
    ("digits", ["+972501234567", "972507654321"], {("phone1", "str_matches")}),
    ("digits", ["0501234567", "972507654321"], {("phone1", "str_matches")}),
    ("digits", ["972501234567", "972501234567"], {("phone1", "field_uniqueness")}),
    ("digits", [None, "972507654321"], {("phone1", "not_nullable")}),
]


@pytest.mark.parametrize(("phone_format", "phones", "failures"), REJECTED)
def test_model_rejects(
    phone_format: str, phones: list[str | None], failures: set[tuple[str, str]]
) -> None:
    model = load_schema().model(phone_format)

    with pytest.raises(pandera.errors.SchemaErrors) as info:
        model.validate(audience(phones), lazy=True)

    assert failed_checks(info.value) == failures


def test_model_collects_every_failure_lazily() -> None:
    frame = audience(["+972501234567", "+972501234567", "0501234567", None])

    with pytest.raises(pandera.errors.SchemaErrors) as info:
        load_schema().model("e164").validate(frame, lazy=True)

    assert failed_checks(info.value) == {
        ("phone1", "field_uniqueness"),
        ("phone1", "str_matches"),
        ("phone1", "not_nullable"),
    }


def test_uniqueness_failures_name_every_duplicated_row() -> None:
    frame = audience(["+972501234567", "+972507654321", "+972501234567"])

    with pytest.raises(pandera.errors.SchemaErrors) as info:
        load_schema().model("e164").validate(frame, lazy=True)

    cases = info.value.failure_cases.filter(pl.col("check") == "field_uniqueness")
    assert cases.select("failure_case", "index").rows() == [
        ("+972501234567", 0),
        ("+972501234567", 2),
    ]


def test_uniqueness_check_survives_a_column_named_like_it(tmp_path: Path) -> None:
    text = TINY.replace(
        'aliases = ["town"]', 'aliases = ["town"]\n\n[[columns]]\nname = "phone1 is unique"', 1
    )
    model = load_schema(write(tmp_path, text)).model("e164")
    frame = pl.DataFrame(
        {
            "phone1": ["+972501234567", "+972501234567"],
            "email": ["a@b.c", "d@e.f"],
            "phone1 is unique": ["x", "y"],
        }
    )

    with pytest.raises(pandera.errors.SchemaErrors) as info:
        model.validate(frame, lazy=True)

    assert ("phone1", "field_uniqueness") in failed_checks(info.value)


def test_model_of_a_custom_schema_enforces_required_text_columns(tmp_path: Path) -> None:
    model = load_schema(write(tmp_path, TINY)).model("e164")
    frame = pl.DataFrame(
        {
            "phone1": ["+972501234567", "+972507654321"],
            "email": ["a@b.co", None],
            "city": [None, None],
        },
        schema=dict.fromkeys(["phone1", "email", "city"], pl.String),
    )

    with pytest.raises(pandera.errors.SchemaErrors) as info:
        model.validate(frame, lazy=True)

    assert failed_checks(info.value) == {("email", "not_nullable")}


def test_model_of_a_custom_schema_accepts_nulls_in_optional_columns(tmp_path: Path) -> None:
    model = load_schema(write(tmp_path, TINY)).model("e164")
    frame = pl.DataFrame(
        {"phone1": ["+972501234567"], "email": ["a@b.co"], "city": [None]},
        schema=dict.fromkeys(["phone1", "email", "city"], pl.String),
    )

    assert model.validate(frame, lazy=True).equals(frame)


def test_model_with_unknown_phone_format() -> None:
    with pytest.raises(ConfigurationError):
        load_schema().model("E164")
