"""Map a source's headers onto the canonical columns of an audience schema.

Rules:

- Headers and aliases are compared by :func:`audience_prep._text.header_key` (case, whitespace,
  punctuation, quotes and BOMs do not matter).
- Explicit ``columns={source header: canonical}`` overrides win. A source header may be named by
  its exact text or by anything with the same key. Overrides that map several headers to the
  phone column give their priority by their order.
- Without an override for the phone column, its sources are found automatically: headers
  matching the phone column's own aliases first, then each ``[[phone_sources]]`` tier in order.
  Two headers in one tier are ambiguous: :class:`AmbiguousColumnsError`, never a guess.
- Every other canonical column takes the one header matching its aliases; two are ambiguous.
- Headers that feed the phone column are consumed by it; headers that match nothing are extras.
- No phone source, or a missing required column: :class:`MissingColumnError` listing the
  headers found and the closest aliases.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audience_prep._errors import AmbiguousColumnsError, MappingError, MissingColumnError
from audience_prep._prepare.schema import AudienceSchema
from audience_prep._text import header_key


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where each source header goes."""

    phone_sources: tuple[str, ...]
    renames: Mapping[str, str]
    extras: tuple[str, ...]

    def as_report(self, phone_column: str) -> dict[str, str]:
        """Source header -> canonical name, for every mapped header."""
        mapped = dict.fromkeys(self.phone_sources, phone_column)
        mapped.update(self.renames)
        return mapped


def map_columns(
    headers: Sequence[str],
    schema: AudienceSchema,
    *,
    overrides: Mapping[str, str] | None = None,
    source: str = "<source>",
) -> ColumnMapping:
    """Decide the mapping for ``headers`` under ``schema`` (see the module rules)."""
    explicit = _resolve_overrides(headers, schema, overrides or {}, source)
    taken = set(explicit)
    phone = schema.phone_column
    phone_sources = tuple(h for h, c in explicit.items() if c == phone)
    if not phone_sources:
        phone_sources = _auto_phone_sources(headers, schema, taken, source)
        taken.update(phone_sources)
    renames = {h: c for h, c in explicit.items() if c != phone}
    renames.update(_auto_renames(headers, schema, taken, set(renames.values()), source))
    mapping = ColumnMapping(
        phone_sources=phone_sources,
        renames=renames,
        extras=tuple(h for h in headers if h not in phone_sources and h not in renames),
    )
    _check_required(headers, schema, mapping, source)
    return mapping


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


def _auto_phone_sources(
    headers: Sequence[str], schema: AudienceSchema, taken: set[str], source: str
) -> tuple[str, ...]:
    phone = schema.phone_column
    own = next(c.aliases for c in schema.columns if c.name == phone)
    tiers = [own, *(t.aliases for t in schema.phone_tiers)]
    chosen: list[str] = []
    for aliases in tiers:
        keys = {header_key(a) for a in aliases}
        matches = [h for h in headers if h not in taken and header_key(h) in keys]
        if len(matches) > 1:
            raise AmbiguousColumnsError(source, phone, matches)
        chosen.extend(matches)
    if not chosen:
        all_aliases = [a for aliases in tiers for a in aliases]
        raise MissingColumnError(
            source,
            phone,
            headers,
            _closest_aliases(headers, all_aliases),
            likely_header=_likely_header(headers, all_aliases),
        )
    return tuple(chosen)


def _auto_renames(
    headers: Sequence[str],
    schema: AudienceSchema,
    taken: set[str],
    claimed: set[str],
    source: str,
) -> dict[str, str]:
    renames: dict[str, str] = {}
    for column in schema.columns:
        if column.type == "phone" or column.name in claimed:
            continue
        keys = {header_key(a) for a in column.aliases}
        matches = [h for h in headers if h not in taken and header_key(h) in keys]
        if len(matches) > 1:
            raise AmbiguousColumnsError(source, column.name, matches)
        if matches:
            renames[matches[0]] = column.name
    return renames


def _check_required(
    headers: Sequence[str], schema: AudienceSchema, mapping: ColumnMapping, source: str
) -> None:
    present = set(mapping.renames.values())
    for column in schema.columns:
        if column.required and column.type != "phone" and column.name not in present:
            raise MissingColumnError(
                source, column.name, headers, _closest_aliases(headers, column.aliases)
            )


def _canonical_for_alias(schema: AudienceSchema, value: str) -> list[str]:
    """The canonical column whose aliases (or phone tiers) include ``value``, if any."""
    key = header_key(value)
    for column in schema.columns:
        if key in {header_key(a) for a in column.aliases}:
            return [column.name]
    if any(key in {header_key(a) for a in tier.aliases} for tier in schema.phone_tiers):
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


def _closest_aliases(headers: Sequence[str], aliases: Sequence[str]) -> list[str]:
    """Aliases closest to any of the headers, best first."""
    by_key = {header_key(a): a for a in aliases}
    scored: dict[str, float] = {}
    for header in headers:
        key = header_key(header)
        for match in difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.5):
            ratio = difflib.SequenceMatcher(None, key, match).ratio()
            scored[by_key[match]] = max(scored.get(by_key[match], 0.0), ratio)
    return sorted(scored, key=lambda a: -scored[a])[:3]
