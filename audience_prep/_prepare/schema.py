"""Audience schemas: load ``schemas/*.toml`` into column declarations and a pandera model.

A schema file declares, with no code:

- ``name`` and ``dedupe_key`` (the phone column that must be unique, ``phone1`` by default);
- ``[[columns]]``: canonical columns with ``name``, ``type`` (``"phone"`` or ``"text"``),
  ``required``, header ``aliases`` (exact names), ``words`` (concepts whose phrases a header may
  hold instead) and ``never`` (concepts that rule a header out); exactly one column has type
  ``"phone"`` and it is the column the pipeline fills with normalised numbers;
- ``[[phone_sources]]``: tiers of headers that can feed the phone column, best first, each by
  ``aliases`` and/or by ``words`` with optional ``with`` and ``without`` concepts;
- ``phone_never``: concepts that keep a header from feeding the phone column by its words;
- ``content_never``: concepts that keep a column from being found as the phone column by its
  values (when no header names a phone);
- ``[words]``: phrases of the schema's own, by concept, added to the built-in vocabulary in
  ``schemas/words/*.json`` (one file per language).

The pandera model of the output is built from the same declarations, so there is one source of
truth for what a valid audience is.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from pandera.polars import DataFrameModel, PolarsData

from audience_prep._errors import SchemaFileError
from audience_prep._prepare.phones.oracle import E164_MAX_DIGITS, check_phone_format
from audience_prep._prepare.words import Vocabulary
from audience_prep._text import header_key

DEFAULT_SCHEMA = "commbox_audience"

#: Output patterns of the phone column, by ``phone_format``: the bound is the oracle's.
PHONE_PATTERNS = {
    "e164": rf"^\+[1-9][0-9]{{5,{E164_MAX_DIGITS - 1}}}$",
    "digits": rf"^[1-9][0-9]{{5,{E164_MAX_DIGITS - 1}}}$",
}

_COLUMN_KEYS = {"name", "type", "required", "aliases", "words", "never"}
_TIER_KEYS = {"tier", "aliases", "words", "with", "without"}
_TOP_KEYS = {
    "name",
    "description",
    "dedupe_key",
    "columns",
    "phone_sources",
    "phone_never",
    "content_never",
    "words",
}
#: The concept of the built-in vocabulary whose words join compounds and mean nothing alone.
FILLER = "filler"
#: A cell longer than this is data, not a header (header search reads it no further).
_MAX_HEADER = 200


@dataclass(frozen=True, slots=True)
class CanonicalColumn:
    """One declared output column."""

    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]
    words: tuple[str, ...] = ()
    never: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PhoneTier:
    """Headers of equal standing that can feed the phone column: by exact ``aliases``, or by
    holding one of ``words`` with one of ``with_`` (when given) and none of ``without``."""

    name: str
    aliases: tuple[str, ...]
    words: tuple[str, ...] = ()
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AudienceSchema:
    """A loaded audience schema."""

    name: str
    origin: str
    columns: tuple[CanonicalColumn, ...]
    phone_tiers: tuple[PhoneTier, ...]
    dedupe_key: str
    phone_never: tuple[str, ...] = ()
    content_never: tuple[str, ...] = ()
    own_words: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def vocabulary(self) -> Vocabulary:
        """The built-in vocabulary with this schema's own phrases added."""
        return _vocabulary(self.own_words)

    @property
    def phone_column(self) -> str:
        """The canonical column that receives normalised phone numbers."""
        return next(c.name for c in self.columns if c.type == "phone")

    @property
    def column_names(self) -> tuple[str, ...]:
        """Canonical column names in declaration order."""
        return tuple(c.name for c in self.columns)

    def is_header(self, cells: Sequence[str]) -> bool:
        """Whether a row of cells looks like this schema's header: a cell matches an alias, or
        at least two cells hold words of the schema's columns (one such cell is often a title)."""
        keys = _alias_keys(self)
        filled = [c for c in cells if c]
        if any(header_key(c) in keys for c in filled):
            return True
        wanted = _column_concepts(self)
        vocabulary = self.vocabulary
        found = 0
        for cell in filled:
            if (
                len(cell) <= _MAX_HEADER
                and not cell.isdigit()
                and vocabulary.match(cell).has_any(wanted)
            ):
                found += 1
                if found == 2:
                    return True
        return False

    def model(self, phone_format: str) -> type[DataFrameModel]:
        """The pandera DataFrameModel of a prepared audience under this schema."""
        check_phone_format(phone_format)
        return _build_model(self, phone_format)


def builtin_dir() -> Path:
    """Where the built-in schemas live: inside the wheel, or at the top of a source checkout."""
    packaged = Path(str(resources.files("audience_prep"))) / "schemas"
    if packaged.is_dir():
        return packaged
    # An editable install imports the package from the checkout, where schemas/ is a sibling.
    return Path(__file__).resolve().parents[2] / "schemas"


def builtin_schemas() -> list[str]:
    """Names of the schemas shipped with audience_prep."""
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def load_schema(schema: str | Path | AudienceSchema | None = None) -> AudienceSchema:
    """Load a schema by built-in name, by path, or pass an already loaded one through."""
    if isinstance(schema, AudienceSchema):
        return schema
    if schema is None:
        schema = DEFAULT_SCHEMA
    text = str(schema)
    if isinstance(schema, str) and not text.endswith(".toml") and "/" not in text:
        path = builtin_dir() / f"{text}.toml"
        if not path.is_file():
            known = ", ".join(builtin_schemas())
            raise SchemaFileError(text, f"no built-in schema of that name (known: {known}).")
        return _load_path(path)
    return _load_path(Path(schema))


def _load_path(path: Path) -> AudienceSchema:
    try:
        stat = path.stat()
    except OSError as exc:
        raise SchemaFileError(str(path), "file not found.") from exc
    # Keyed by modification time and size, so an edited file is read again.
    return _load_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _load_cached(path: Path, _mtime_ns: int, _size: int) -> AudienceSchema:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaFileError(str(path), "file not found.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaFileError(str(path), f"cannot read it ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SchemaFileError(str(path), f"not valid TOML ({exc}).") from exc
    return _parse(raw, str(path))


def _parse(raw: dict[str, Any], origin: str) -> AudienceSchema:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise SchemaFileError(origin, f"unknown top-level keys {sorted(unknown)}.")
    columns = tuple(_parse_column(c, origin) for c in _table_list(raw, "columns", origin))
    tiers = tuple(
        _parse_tier(i, t, origin)
        for i, t in enumerate(_table_list(raw, "phone_sources", origin, required=False))
    )
    phones = [c.name for c in columns if c.type == "phone"]
    schema = AudienceSchema(
        name=str(raw.get("name", Path(origin).stem)),
        origin=origin,
        columns=columns,
        phone_tiers=tiers,
        dedupe_key=str(raw.get("dedupe_key", phones[0] if phones else "")),
        phone_never=_names(raw, "phone_never", origin),
        content_never=_names(raw, "content_never", origin),
        own_words=_own_words(raw.get("words", {}), origin),
    )
    _check_consistency(schema)
    _check_concepts(schema)
    return schema


def _table_list(
    raw: dict[str, Any], key: str, origin: str, *, required: bool = True
) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SchemaFileError(origin, f"'{key}' must be an array of tables ([[{key}]]).")
    if required and not value:
        raise SchemaFileError(origin, f"declares no [[{key}]].")
    return value


def _aliases(table: dict[str, Any], origin: str) -> tuple[str, ...]:
    aliases = table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SchemaFileError(origin, f"'aliases' must be a list of strings in {table}.")
    return tuple(aliases)


def _names(table: dict[str, Any], key: str, origin: str) -> tuple[str, ...]:
    """A list of concept names under ``key`` (absent: none)."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchemaFileError(origin, f"'{key}' must be a list of concept names, in {table}.")
    return tuple(value)


def _own_words(value: Any, origin: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[words]``: concept -> phrases, or concept -> {language -> phrases}."""
    if not isinstance(value, dict):
        raise SchemaFileError(origin, "'words' must be a table of concept = [phrases].")
    out: list[tuple[str, tuple[str, ...]]] = []
    for concept, phrases in value.items():
        groups = phrases.values() if isinstance(phrases, dict) else [phrases]
        items: list[str] = []
        for group in groups:
            if not isinstance(group, list) or not all(isinstance(p, str) for p in group):
                raise SchemaFileError(origin, f"words.{concept} must be a list of phrases.")
            items.extend(group)
        out.append((str(concept), tuple(items)))
    return tuple(out)


def _parse_tier(index: int, table: dict[str, Any], origin: str) -> PhoneTier:
    unknown = set(table) - _TIER_KEYS
    if unknown:
        raise SchemaFileError(origin, f"unknown keys {sorted(unknown)} in phone_sources {table}.")
    tier = PhoneTier(
        str(table.get("tier", f"tier{index}")),
        _aliases(table, origin),
        words=_names(table, "words", origin),
        with_=_names(table, "with", origin),
        without=_names(table, "without", origin),
    )
    if not tier.aliases and not tier.words:
        raise SchemaFileError(origin, f"phone_sources tier {tier.name!r} has no aliases or words.")
    return tier


def _parse_column(table: dict[str, Any], origin: str) -> CanonicalColumn:
    unknown = set(table) - _COLUMN_KEYS
    if unknown:
        raise SchemaFileError(origin, f"unknown keys {sorted(unknown)} in column {table}.")
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise SchemaFileError(origin, f"a column has no name: {table}.")
    kind = table.get("type", "text")
    if kind not in ("phone", "text"):
        raise SchemaFileError(origin, f"column {name!r}: type must be 'phone' or 'text'.")
    required = table.get("required", False)
    if not isinstance(required, bool):
        raise SchemaFileError(origin, f"column {name!r}: required must be true or false.")
    return CanonicalColumn(
        name,
        kind,
        required,
        (name, *_aliases(table, origin)),
        words=_names(table, "words", origin),
        never=_names(table, "never", origin),
    )


def _check_concepts(schema: AudienceSchema) -> None:
    """Every concept a schema names has phrases (a typo would silently match nothing)."""
    known = schema.vocabulary.concepts
    named = [*schema.phone_never, *schema.content_never]
    for column in schema.columns:
        named += [*column.words, *column.never]
    for tier in schema.phone_tiers:
        named += [*tier.words, *tier.with_, *tier.without]
    unknown = sorted(set(named) - known)
    if unknown:
        raise SchemaFileError(
            schema.origin,
            f"unknown word concepts {unknown} (known: {', '.join(sorted(known))}); add their "
            "phrases in a [words] table.",
        )


def _words_dir() -> Path:
    return builtin_dir() / "words"


@cache
def _builtin_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every language file's phrases, by concept, in file order (``schemas/words/*.json``)."""
    merged: dict[str, list[str]] = {}
    for path in sorted(_words_dir().glob("*.json")):
        try:
            table = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise SchemaFileError(str(path), f"cannot read the word list ({exc}).") from exc
        for concept, phrases in table.items():
            merged.setdefault(concept, []).extend(phrases)
    return tuple((k, tuple(v)) for k, v in merged.items())


@cache
def _vocabulary(own: tuple[tuple[str, tuple[str, ...]], ...]) -> Vocabulary:
    phrases: dict[str, list[str]] = {}
    for concept, items in (*_builtin_words(), *own):
        phrases.setdefault(concept, []).extend(items)
    fillers = phrases.pop(FILLER, [])
    return Vocabulary(phrases, fillers=fillers)


@cache
def _column_concepts(schema: AudienceSchema) -> frozenset[str]:
    """The concepts that make a cell look like a header of this schema."""
    concepts = {w for c in schema.columns for w in c.words}
    concepts |= {w for t in schema.phone_tiers for w in t.words}
    return frozenset(concepts)


def _check_consistency(schema: AudienceSchema) -> None:
    phones = [c.name for c in schema.columns if c.type == "phone"]
    if len(phones) != 1:
        raise SchemaFileError(
            schema.origin, f"exactly one column must have type 'phone' (found {phones})."
        )
    if schema.dedupe_key != phones[0]:
        raise SchemaFileError(
            schema.origin, f"dedupe_key must name the phone column {phones[0]!r}."
        )
    seen: dict[str, str] = {}
    owners = [(c.name, c.aliases) for c in schema.columns]
    owners += [(f"phone source tier {t.name!r}", t.aliases) for t in schema.phone_tiers]
    for owner, aliases in owners:
        for alias in aliases:
            key = header_key(alias)
            if not key:
                raise SchemaFileError(schema.origin, f"{owner}: alias {alias!r} is empty.")
            if seen.get(key, owner) != owner:
                raise SchemaFileError(
                    schema.origin, f"alias {alias!r} is declared by both {seen[key]} and {owner}."
                )
            seen[key] = owner


@cache
def _alias_keys(schema: AudienceSchema) -> frozenset[str]:
    aliases = [a for c in schema.columns for a in c.aliases]
    aliases += [a for t in schema.phone_tiers for a in t.aliases]
    return frozenset(header_key(a) for a in aliases)


#: The name of the dedupe key's check (pandera's own name for ``unique=True``).
UNIQUENESS = "field_uniqueness"


def _unique(cls: type, data: PolarsData) -> pl.LazyFrame | bool:
    """The dedupe key holds no value twice: ``Field(unique=True)``, which flags each
    duplicated row, made cheap for the common case. Counting distinct values (one hash pass,
    no per-row output) settles a key that is unique; only a key that is not gets pandera's
    per-row verdict, so its failure cases name the duplicated values."""
    key = pl.col(data.key)
    counts = data.lazyframe.select(key.n_unique().alias("distinct"), pl.len().alias("rows"))
    distinct, rows = counts.collect().row(0)
    if distinct == rows:
        return True
    return data.lazyframe.select(~key.is_duplicated())


@cache
def _build_model(schema: AudienceSchema, phone_format: str) -> type[DataFrameModel]:
    # pandera is imported here, on first validation: its top level imports its pandas API,
    # which costs about 0.6 s of every `import audience_prep` when pandas is installed
    import pandera.polars as pa

    annotations: dict[str, Any] = {}
    attrs: dict[str, Any] = {"__annotations__": annotations}
    for column in schema.columns:
        if column.type == "phone":
            annotations[column.name] = str
            attrs[column.name] = pa.Field(nullable=False, str_matches=PHONE_PATTERNS[phone_format])
        else:
            annotations[column.name] = str | None if not column.required else str
            attrs[column.name] = pa.Field(nullable=not column.required)
    key = schema.dedupe_key
    if any(c.name == key and c.type == "phone" for c in schema.columns):
        check = f"{key} is unique"
        while check in attrs:  # a column of that name
            check += " (check)"
        attrs[check] = pa.check(key, name=UNIQUENESS)(_unique)
    attrs["Config"] = type("Config", (), {"strict": False, "coerce": False, "name": schema.name})
    class_name = "".join(part.title() for part in schema.name.split("_")) + "Model"
    return type(class_name, (pa.DataFrameModel,), attrs)
