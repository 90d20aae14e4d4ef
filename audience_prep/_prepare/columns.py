"""Map a source's headers onto the canonical columns of an audience schema, and say why.

Headers are read two ways: by exact name (an *alias*: :func:`audience_prep._text.header_key`
ignores case, spaces, punctuation, quotes and BOMs) and by the concepts their words hold
(:mod:`audience_prep._prepare.words`, phrases in many languages from ``schemas/words/``).

Rules, in order:

- Explicit ``columns={source header: canonical}`` overrides win. A header may be named by its
  exact text or anything with the same key. Several headers mapped to the phone column are read
  in the order given.
- Phone sources, without an override for the phone column: a header named like the phone
  column itself (``phone1``), then each ``[[phone_sources]]`` tier of the schema in order (an
  exact alias of the tier, or its ``words`` with one of ``with`` and none of ``without``). A
  header holding a ``phone_never`` concept (fax, pager, a column *about* a phone, another
  person's phone, an amount or an identifier) is never a source by its words. Sources are
  ordered by tier, then exact alias before word match, then left to right; all are used, and
  per row the first valid number wins.
- Structured pairs: a value header with a type header for the same phone (Google Contacts'
  ``Phone 1 - Type`` / ``Phone 1 - Value``) is read per row by its type cell: a value whose type
  belongs to the first tier (``Mobile``) is read in that tier, one typed as something else
  (``Home``, ``Work``) in the value header's own tier, one typed as a ``phone_never`` concept
  (``Home Fax``, ``Pager``) never.
- Every other canonical column takes one header: an exact alias before a word match of the
  column's ``words`` (ruled out by its ``never``); among equals, one holding no other column's
  words before one that does; then left to right. The other candidates stay extra columns.
- A header both named as another column (``phone2``) and phone-like is renamed to it and also
  read as a phone source in its tier.
- Every choice between competing headers, and every phone-like header set aside, is written
  down as a :class:`MappingNote` with the ``columns=`` that would change it. With
  ``strict=True`` a choice between equals raises :class:`AmbiguousColumnsError` instead.
- Headers that match nothing are extras. A missing required column raises
  :class:`MissingColumnError`; a missing phone column is decided later, by the values
  (:mod:`audience_prep._prepare.evidence`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from audience_prep._errors import AmbiguousColumnsError, MappingError, MissingColumnError
from audience_prep._prepare.schema import AudienceSchema, CanonicalColumn, PhoneTier
from audience_prep._prepare.words import Vocabulary, WordMatch
from audience_prep._text import header_key

__all__ = [
    "CONTENT_TIER",
    "TYPED_FIRST",
    "TYPED_OTHER",
    "WHOLE",
    "ColumnMapping",
    "MappingNote",
    "PhonePair",
    "closest_aliases",
    "fix_hint",
    "map_columns",
    "missing_phone_error",
    "tier_of",
    "type_class",
]

#: The tier of sources named in ``columns=``, and of a header named like the phone column.
OVERRIDE_TIER = "columns="
OWN_TIER = "phone1"
#: The tier of a source found by its values (no header named a phone).
CONTENT_TIER = "content"
#: Concepts a pair's type cell may hold that say its value is a mobile, or is never a phone.
_TYPE_WORDS = ("type", "label", "kind")


@dataclass(frozen=True, slots=True)
class MappingNote:
    """One decision of the mapping: which header(s) a column took, over which, and why."""

    column: str
    chosen: tuple[str, ...]
    over: tuple[str, ...]
    rule: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The note as JSON-ready values."""
        return {
            "column": self.column,
            "chosen": list(self.chosen),
            "over": list(self.over),
            "rule": self.rule,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class PhonePair:
    """A phone value header and the header that says its type, per row."""

    value: str
    type: str


#: How a phone source is read: its whole column, or, for a pair's value header, only the rows
#: whose type is of the first tier (TYPED_FIRST) or of no tier (TYPED_OTHER).
WHOLE, TYPED_FIRST, TYPED_OTHER = "", "typed first tier", "typed other"


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where each source header goes, how each phone source was found, and the notes.

    ``read_order`` is the phone stage's order: (header, part) with part WHOLE, or TYPED_FIRST /
    TYPED_OTHER for the value header of a pair (see the module rules).
    """

    phone_sources: tuple[str, ...]
    renames: Mapping[str, str]
    extras: tuple[str, ...]
    tiers: Mapping[str, str] = field(default_factory=dict)
    by_words: frozenset[str] = frozenset()
    pairs: tuple[PhonePair, ...] = ()
    read_order: tuple[tuple[str, str], ...] = ()
    notes: tuple[MappingNote, ...] = ()

    def without_source(self, header: str, note: MappingNote) -> ColumnMapping:
        """The mapping with ``header`` set aside as a phone source (it becomes an extra)."""
        return replace(
            self,
            phone_sources=tuple(h for h in self.phone_sources if h != header),
            extras=(*self.extras, header) if header not in self.renames else self.extras,
            read_order=tuple((h, p) for h, p in self.read_order if h != header),
            pairs=tuple(p for p in self.pairs if p.value != header),
            by_words=self.by_words - {header},
            notes=(*self.notes, note),
        )

    def with_content_sources(self, headers: Sequence[str], note: MappingNote) -> ColumnMapping:
        """The mapping with ``headers`` (extras) as its phone sources, in that order, found by
        content."""
        return replace(
            self,
            phone_sources=tuple(headers),
            extras=tuple(h for h in self.extras if h not in headers),
            read_order=tuple((h, WHOLE) for h in headers),
            tiers=dict.fromkeys(headers, CONTENT_TIER),
            notes=(*self.notes, note),
        )

    def as_report(self, phone_column: str) -> dict[str, str]:
        """Source header -> canonical name, for every mapped header."""
        mapped = dict.fromkeys(self.phone_sources, phone_column)
        mapped.update(self.renames)
        return mapped


def fix_hint(mapping: Mapping[str, str]) -> str:
    """The ``columns=`` (and CLI ``--map``) that would make a mapping explicit."""
    pairs = ", ".join(f"{h!r}: {c!r}" for h, c in mapping.items())
    flags = " ".join(f'--map "{h}={c}"' for h, c in mapping.items())
    return f"columns={{{pairs}}} (CLI: {flags})"


def map_columns(
    headers: Sequence[str],
    schema: AudienceSchema,
    *,
    overrides: Mapping[str, str] | None = None,
    source: str = "<source>",
    strict: bool = False,
) -> ColumnMapping:
    """Decide the mapping for ``headers`` under ``schema`` (see the module rules)."""
    explicit = _resolve_overrides(headers, schema, overrides or {}, source)
    phone = schema.phone_column
    reader = _Reader(headers, schema, source, strict)
    notes: list[MappingNote] = []
    explicit_phones = tuple(h for h, c in explicit.items() if c == phone)
    if explicit_phones:
        sources = _Sources(
            explicit_phones,
            dict.fromkeys(explicit_phones, OVERRIDE_TIER),
            order=tuple((h, WHOLE) for h in explicit_phones),
        )
    else:
        sources = reader.phone_sources(set(explicit))
        notes += sources.notes
    renames = {h: c for h, c in explicit.items() if c != phone}
    taken = set(explicit) | (set(sources.headers) - reader.named_elsewhere)
    auto, column_notes = reader.renames(taken, set(renames.values()))
    renames.update(auto)
    notes += column_notes
    mapping = ColumnMapping(
        phone_sources=sources.headers,
        renames=renames,
        extras=tuple(h for h in headers if h not in sources.headers and h not in renames),
        tiers=sources.tiers,
        by_words=frozenset(sources.by_words),
        pairs=sources.pairs,
        read_order=sources.order,
        notes=tuple(notes),
    )
    _check_required(headers, schema, mapping, source)
    return mapping


_Rank = tuple[int, int, int]


@dataclass(slots=True)
class _Sources:
    headers: tuple[str, ...]
    tiers: dict[str, str]
    by_words: set[str] = field(default_factory=set)
    pairs: tuple[PhonePair, ...] = ()
    notes: list[MappingNote] = field(default_factory=list)
    order: tuple[tuple[str, str], ...] = ()


class _Reader:
    """Reads one file's headers against a schema: phone sources and the other columns."""

    def __init__(
        self, headers: Sequence[str], schema: AudienceSchema, source: str, strict: bool
    ) -> None:
        self.headers = list(headers)
        self.schema = schema
        self.source = source
        self.strict = strict
        vocabulary: Vocabulary = schema.vocabulary
        self.words = {h: vocabulary.match(h) for h in headers}
        self.keys = {h: header_key(h) for h in headers}
        elsewhere = {k for c in schema.columns if c.type != "phone" for k in _keys(c.aliases)}
        self.named_elsewhere = {h for h in headers if self.keys[h] in elsewhere}

    # --- the phone column ---------------------------------------------------------------------

    def phone_sources(self, taken: set[str]) -> _Sources:
        ranked: list[tuple[_Rank, str, str]] = []
        by_words: set[str] = set()
        set_aside: list[str] = []
        own = _keys(next(c.aliases for c in self.schema.columns if c.type == "phone"))
        for position, header in enumerate(self.headers):
            if header in taken:
                continue
            if self.keys[header] in own:
                ranked.append(((0, 0, position), header, OWN_TIER))
                continue
            found = self._tier(header)
            if found is None:
                if self._phone_like(self.words[header]):
                    set_aside.append(header)
                continue
            index, tier, kind = found
            ranked.append(((index + 1, kind, position), header, tier.name))
            if kind:
                by_words.add(header)
        pairs = self._pairs([h for _, h, _ in ranked], set_aside)
        reads = sorted(_pair_reads(ranked, {p.value for p in pairs}))
        if self.strict:
            self._refuse_equals(reads)
        headers = tuple(dict.fromkeys(h for _, (h, _), _ in reads))
        tiers = {h: t for _, h, t in ranked}
        paired_types = {p.type for p in pairs}
        notes = self._phone_notes(headers, tiers, [h for h in set_aside if h not in paired_types])
        notes += [self._pair_note(pair) for pair in pairs]
        order = tuple(read for _, read, _ in reads)
        return _Sources(headers, tiers, by_words, pairs, notes, order)

    def _tier(self, header: str) -> tuple[int, PhoneTier, int] | None:
        return tier_of(self.schema, self.keys[header], self.words[header])

    def _phone_like(self, words: WordMatch) -> bool:
        """Whether a header holds a phone word, even one a longer phrase hides."""
        wanted = {w for t in self.schema.phone_tiers for w in t.words}
        return bool(wanted & {*words.concepts, *words.hidden})

    def _pairs(self, sources: list[str], set_aside: list[str]) -> tuple[PhonePair, ...]:
        """Value headers whose type header sits beside them: same words but the last."""
        typed = {}
        for header in set_aside:
            words = self.words[header]
            if words.phrases and words.phrases[-1] in _TYPE_WORDS:
                typed[_stem(header)] = header
        return tuple(PhonePair(h, typed[_stem(h)]) for h in sources if _stem(h) in typed)

    def _pair_note(self, pair: PhonePair) -> MappingNote:
        return MappingNote(
            self.schema.phone_column,
            (pair.value,),
            (),
            f"{pair.value!r} is read per row by {pair.type!r}: a value typed as a mobile in the "
            "first tier, other types in its own tier, fax and pager never",
            None,
        )

    def _refuse_equals(self, reads: list[tuple[_Rank, tuple[str, str], str]]) -> None:
        by_rank: dict[tuple[int, int], list[str]] = {}
        for (tier, kind, _), (header, _), _ in reads:
            by_rank.setdefault((tier, kind), []).append(header)
        for equals in by_rank.values():
            if len(equals) > 1:
                raise AmbiguousColumnsError(self.source, self.schema.phone_column, equals)

    def _phone_notes(
        self, headers: tuple[str, ...], tiers: dict[str, str], set_aside: list[str]
    ) -> list[MappingNote]:
        phone = self.schema.phone_column
        notes = []
        if len(headers) > 1:
            order = ", ".join(f"{h!r} ({tiers[h]})" for h in headers)
            notes.append(
                MappingNote(
                    phone,
                    headers,
                    (),
                    f"per row, the first valid number of {order}: by tier (mobile first), then "
                    "exact name before word match, then left to right",
                    f"to read only one: {fix_hint({headers[0]: phone})}",
                )
            )
        for header in set_aside:
            why = ", ".join(
                p
                for p, c in zip(self.words[header].phrases, self._concepts(header), strict=True)
                if c
            )
            notes.append(
                MappingNote(
                    phone,
                    (),
                    (header,),
                    f"not a phone source: its header says {why or 'it is not a number to call'}",
                    f"to read it anyway: {fix_hint({header: phone})}",
                )
            )
        return notes

    def _concepts(self, header: str) -> list[bool]:
        """For each phrase of the header: whether it is one that rules a phone source out."""
        vocabulary = self.schema.vocabulary
        never = set(self.schema.phone_never)
        return [bool(never & set(vocabulary.concepts_of(p))) for p in self.words[header].phrases]

    # --- the other columns --------------------------------------------------------------------

    def renames(
        self, taken: set[str], claimed: set[str]
    ) -> tuple[dict[str, str], list[MappingNote]]:
        renames: dict[str, str] = {}
        notes: list[MappingNote] = []
        for column in self.schema.columns:
            if column.type == "phone" or column.name in claimed:
                continue
            ranked = self._candidates(column, taken | set(renames))
            if not ranked:
                continue
            best = ranked[0]
            equals = [h for r, h in ranked if r[:2] == best[0][:2]]
            if self.strict and len(equals) > 1:
                raise AmbiguousColumnsError(self.source, column.name, equals)
            renames[best[1]] = column.name
            if len(ranked) > 1:
                notes.append(self._column_note(column.name, ranked))
        return renames, notes

    def _candidates(self, column: CanonicalColumn, taken: set[str]) -> list[tuple[_Rank, str]]:
        aliases = _keys(column.aliases)
        others = {w for c in self.schema.columns if c is not column for w in c.words}
        ranked = []
        for position, header in enumerate(self.headers):
            if header in taken:
                continue
            words = self.words[header]
            if self.keys[header] in aliases:
                ranked.append(((0, 0, position), header))
            elif column.words and words.has_any(column.words) and not words.has_any(column.never):
                ranked.append(((1, int(words.has_any(others)), position), header))
        return sorted(ranked)

    def _column_note(self, column: str, ranked: list[tuple[_Rank, str]]) -> MappingNote:
        (best_rank, best), (second_rank, second) = ranked[0], ranked[1]
        if best_rank[0] < second_rank[0]:
            rule = "an exact name before a word match"
        elif best_rank[1] < second_rank[1]:
            rule = "a header naming only this column before one that names others too"
        else:
            rule = "left to right among equals"
        return MappingNote(
            column,
            (best,),
            tuple(h for _, h in ranked[1:]),
            f"took {best!r} ({rule}); the others stay extra columns",
            f"to take another: {fix_hint({second: column})}",
        )


def tier_of(
    schema: AudienceSchema, key: str, words: WordMatch
) -> tuple[int, PhoneTier, int] | None:
    """The first phone tier a header (its key and words) belongs to, with 0 for an exact alias
    and 1 for a word match; None when it feeds no tier."""
    never = words.has_any(schema.phone_never)
    for index, tier in enumerate(schema.phone_tiers):
        if key in _keys(tier.aliases):
            return index, tier, 0
        if never or not words.has_any(tier.words):
            continue
        if tier.with_ and not words.has_any(tier.with_):
            continue
        if not words.has_any(tier.without):
            return index, tier, 1
    return None


def type_class(schema: AudienceSchema, text: str) -> str | None:
    """How a pair's type cell reads its value: TYPED_FIRST when the text belongs to the first
    phone tier (``Mobile``), None when it holds a ``phone_never`` concept (``Home Fax``), else
    TYPED_OTHER (``Home``, ``Work``, an empty or unknown type)."""
    words = schema.vocabulary.match(text)
    if words.has_any(schema.phone_never):
        return None
    found = tier_of(schema, header_key(text), words)
    return TYPED_FIRST if found is not None and found[0] == 0 else TYPED_OTHER


def _pair_reads(
    ranked: list[tuple[_Rank, str, str]], paired: set[str]
) -> list[tuple[_Rank, tuple[str, str], str]]:
    """Each source's reads: a whole column at its rank; a pair's value column twice, its rows
    typed as the first tier at that tier's rank, its other rows at its own rank."""
    reads = []
    for (tier, kind, position), header, name in ranked:
        if header in paired:
            reads.append(((1, kind, position), (header, TYPED_FIRST), name))
            reads.append(((tier, kind, position), (header, TYPED_OTHER), name))
        else:
            reads.append(((tier, kind, position), (header, WHOLE), name))
    return reads


def _stem(header: str) -> str:
    """A header's key without its last word (``Phone 1 - Value`` and ``Phone 1 - Type``)."""
    words = header.replace("-", " ").replace("_", " ").split()
    return header_key(" ".join(words[:-1])) if len(words) > 1 else ""


@cache
def _keys(aliases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(header_key(a) for a in aliases)


def _resolve_overrides(
    headers: Sequence[str], schema: AudienceSchema, overrides: Mapping[str, str], source: str
) -> dict[str, str]:
    by_key: dict[str, list[str]] = {}
    for header in headers:
        by_key.setdefault(header_key(header), []).append(header)
    resolved: dict[str, str] = {}
    for wanted, canonical in overrides.items():
        if canonical not in schema.column_names:
            close = _canonical_for_alias(schema, canonical) or difflib.get_close_matches(
                canonical, schema.column_names, n=3
            )
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise MappingError(
                f"columns={{{wanted!r}: {canonical!r}}}: {canonical!r} is not a column of schema "
                f"{schema.name!r} (columns: {', '.join(schema.column_names)}).{hint}"
            )
        found = wanted if wanted in headers else _single(by_key.get(header_key(wanted), []))
        if found is None:
            nearest = ", ".join(repr(h) for h in _closest(wanted, headers)) or "none"
            raise MappingError(
                f"columns= names the header {wanted!r}, but {source} has no such header "
                f"(closest: {nearest}; headers: {', '.join(repr(h) for h in headers)})."
            )
        if canonical != schema.phone_column and canonical in resolved.values():
            other = next(h for h, c in resolved.items() if c == canonical)
            raise AmbiguousColumnsError(source, canonical, [other, found])
        resolved[found] = canonical
    return resolved


def _check_required(
    headers: Sequence[str], schema: AudienceSchema, mapping: ColumnMapping, source: str
) -> None:
    present = set(mapping.renames.values())
    for column in schema.columns:
        if column.required and column.type != "phone" and column.name not in present:
            raise MissingColumnError(
                source, column.name, headers, closest_aliases(headers, column.aliases)
            )


def missing_phone_error(headers: Sequence[str], schema: AudienceSchema, source: str) -> Exception:
    """The error for a file where nothing can feed the phone column."""
    own = next(c.aliases for c in schema.columns if c.type == "phone")
    aliases = [*own, *(a for t in schema.phone_tiers for a in t.aliases)]
    aliases += [p for t in schema.phone_tiers for w in t.words for p in _phrases(schema, w)]
    return MissingColumnError(
        source,
        schema.phone_column,
        headers,
        closest_aliases(headers, aliases),
        likely_header=_likely_header(headers, aliases),
    )


def _phrases(schema: AudienceSchema, concept: str) -> list[str]:
    """A concept's one- and two-word phrases in English-like scripts, for suggestions."""
    return [p for p in schema.vocabulary.phrases_of(concept) if p.isascii()]


def _canonical_for_alias(schema: AudienceSchema, value: str) -> list[str]:
    """The canonical column whose aliases (or phone tiers) include ``value``, if any."""
    key = header_key(value)
    for column in schema.columns:
        if key in _keys(column.aliases):
            return [column.name]
    if tier_of(schema, key, schema.vocabulary.match(value)) is not None:
        return [schema.phone_column]
    return []


def _single(candidates: list[str]) -> str | None:
    return candidates[0] if len(candidates) == 1 else None


def _closest(wanted: str, headers: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(wanted, list(headers), n=3, cutoff=0.5)


def _likely_header(headers: Sequence[str], aliases: Sequence[str]) -> str | None:
    """The header most like one of ``aliases`` (similarity 0.6 or more), to suggest mapping it."""
    keys = [header_key(a) for a in aliases]
    best, score = None, 0.6
    for header in headers:
        key = header_key(header)
        for alias in difflib.get_close_matches(key, keys, n=1, cutoff=score):
            ratio = difflib.SequenceMatcher(None, key, alias).ratio()
            if ratio >= score:
                best, score = header, ratio
    return best


def closest_aliases(headers: Sequence[str], aliases: Sequence[str]) -> list[str]:
    """Aliases closest to any of the headers, best first."""
    by_key = {header_key(a): a for a in aliases}
    scored: dict[str, float] = {}
    for header in headers:
        key = header_key(header)
        for match in difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.5):
            ratio = difflib.SequenceMatcher(None, key, match).ratio()
            scored[by_key[match]] = max(scored.get(by_key[match], 0.0), ratio)
    return sorted(scored, key=lambda a: -scored[a])[:3]
