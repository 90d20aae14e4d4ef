"""phonenumbers' own metadata as polars expressions, one cached rule set per region.

Nothing here is a hand-copied table: every pattern, prefix and length comes from
``phonenumbers.PhoneMetadata`` at run time, so the engine follows phonenumbers' updates. Each
builder mirrors one phonenumbers function (named in its docstring) on a column of ASCII digit
strings; Python ``re.match`` becomes ``^(?:...)`` and ``fullmatch`` becomes ``^(?:...)$``
(the Rust regex crate has the same leftmost-first semantics for these patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any, Final

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata
from phonenumbers.phonemetadata import PhoneNumberDesc

#: Number types, as small integers (what ``number_type`` would say).
UNKNOWN: Final = 0
FIXED_LINE: Final = 1
MOBILE: Final = 2
FIXED_LINE_OR_MOBILE: Final = 3
OTHER_TYPE: Final = 4

#: ``_test_number_length`` results.
IS_POSSIBLE: Final = 0
LOCAL_ONLY: Final = 1
TOO_SHORT: Final = 2
TOO_LONG: Final = 3
INVALID_LENGTH: Final = 4

#: Country calling codes phonenumbers knows, as strings, and their main (first) region.
CALLING_CODES: Final = frozenset(str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
MAIN_REGION: Final = {
    str(cc): regions[0] for cc, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
}
NON_GEO_REGION: Final = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY

#: The prefix of every metadata regex the engine runs: without Unicode classes (``\d`` is
#: ``[0-9]``), which is the same on the ASCII digit strings the rules read and compiles many
#: times faster (polars keeps few compiled regexes, so they are compiled on every call).
ASCII: Final = "(?-u)"

#: Python's own regex parser (``re._parser``), for the lengths a pattern can match.
_PARSER: Final[Any] = import_module("re._parser")
_LITERAL = re.compile(r"[0-9]+")
#: The longest bounded repeat :func:`match_lengths` expands.
_MAX_REPEAT: Final = 64
#: The descs ``_number_type_helper`` tries before fixed line and mobile, in its order.
_OTHER_DESCS: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


@dataclass(frozen=True, slots=True)
class Desc:
    """A PhoneNumberDesc: anchored full-match pattern (None: matches nothing) and lengths."""

    full: str | None
    lengths: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Rules:
    """What the engine needs from one region's PhoneMetadata."""

    region: str
    country_code: str
    national_prefix: str
    idd: str | None
    npp: str | None
    npp_groups: int
    transform: bool
    general: Desc
    general_lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]
    others: tuple[Desc, ...]
    fixed_line: Desc
    mobile: Desc
    same_mobile_and_fixed: bool
    leading_digits: str | None


def _desc(desc: PhoneNumberDesc | None) -> Desc:
    if desc is None or not desc.national_number_pattern:
        return Desc(None, ())
    return Desc(f"^(?:{desc.national_number_pattern})$", tuple(desc.possible_length))


@cache
def rules(region: str) -> Rules:
    """The cached rule set of ``region`` (a code phonenumbers supports)."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:  # pragma: no cover - regions are checked before they get here
        raise KeyError(region)
    npp = meta.national_prefix_for_parsing or None
    general = meta.general_desc
    assert general is not None
    return Rules(
        region=region,
        country_code=str(meta.country_code),
        national_prefix=meta.national_prefix or "",
        idd=f"^(?:{meta.international_prefix})" if meta.international_prefix else None,
        npp=npp,
        npp_groups=re.compile(npp).groups if npp else 0,
        transform=bool(meta.national_prefix_transform_rule),
        general=_desc(general),
        general_lengths=tuple(general.possible_length),
        local_lengths=tuple(general.possible_length_local_only),
        others=tuple(_desc(getattr(meta, name)) for name in _OTHER_DESCS),
        fixed_line=_desc(meta.fixed_line),
        mobile=_desc(meta.mobile),
        same_mobile_and_fixed=bool(meta.same_mobile_and_fixed_line_pattern),
        leading_digits=f"^(?:{meta.leading_digits})" if meta.leading_digits else None,
    )


def full_match(digits: pl.Expr, desc: Desc) -> pl.Expr:
    """``_match_national_number(digits, desc, False)``: the pattern alone, no lengths."""
    if desc.full is None:
        return pl.lit(False)
    return digits.str.contains(ASCII + desc.full)


def matches_desc(digits: pl.Expr, desc: Desc) -> pl.Expr:
    """``_is_number_matching_desc``: the possible lengths, then the pattern."""
    if desc.full is None:
        return pl.lit(False)
    if not desc.lengths:
        return full_match(digits, desc)
    return digits.str.len_bytes().is_in(list(desc.lengths)) & full_match(digits, desc)


def number_type(nsn: pl.Expr, r: Rules) -> pl.Expr:
    """``_number_type_helper(nsn, metadata)`` as a type code (UNKNOWN ... OTHER_TYPE).

    The descs tried before fixed line are one alternation where their patterns imply their
    lengths (:func:`other_descs`), so a type takes few regex passes.
    """
    chain: Any = pl.when(~matches_desc(nsn, r.general)).then(pl.lit(UNKNOWN))
    for desc in other_descs(r.region):
        chain = chain.when(matches_desc(nsn, desc)).then(pl.lit(OTHER_TYPE))
    if r.same_mobile_and_fixed:
        both: pl.Expr = pl.lit(FIXED_LINE_OR_MOBILE)
        mobile_only: pl.Expr = pl.lit(UNKNOWN)
    else:
        is_mobile = matches_desc(nsn, r.mobile)
        both = pl.when(is_mobile).then(pl.lit(FIXED_LINE_OR_MOBILE)).otherwise(pl.lit(FIXED_LINE))
        mobile_only = pl.when(is_mobile).then(pl.lit(MOBILE)).otherwise(pl.lit(UNKNOWN))
    chain = chain.when(matches_desc(nsn, r.fixed_line)).then(both)
    typed: pl.Expr = chain.otherwise(mobile_only).cast(pl.Int8)
    return typed


@cache
def match_lengths(pattern: str) -> frozenset[int] | None:
    """Every length of the strings ``pattern`` matches, or None when the pattern is unbounded
    or uses a construct other than the ones phonenumbers' metadata patterns use: literals,
    character sets, alternations, groups, bounded repeats and anchors. The set is exact for
    those patterns (anchors count as zero-width; one inside a pattern could only make the set
    too large, never too small, which keeps merging descs safe)."""
    return _widths(_PARSER.parse(pattern))


def _widths(tree: Any) -> frozenset[int] | None:
    out = frozenset({0})
    for op, arg in tree:
        name = str(op)
        if name == "AT":
            continue
        step: frozenset[int] | None
        if name in ("LITERAL", "IN", "ANY", "NOT_LITERAL"):
            step = frozenset({1})
        elif name == "SUBPATTERN":
            step = _widths(arg[-1])
        elif name == "BRANCH":
            step = frozenset()
            for branch in arg[1]:
                widths = _widths(branch)
                if widths is None:
                    return None
                step = step | widths
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg
            inner = _widths(body)
            if inner is None or high >= _PARSER.MAXREPEAT or high > _MAX_REPEAT:
                return None
            step, total = (frozenset({0}) if low == 0 else frozenset()), frozenset({0})
            for count in range(1, high + 1):
                total = frozenset(a + b for a in total for b in inner)
                if count >= low:
                    step = step | total
        else:
            return None
        if step is None:
            return None
        out = frozenset(a + b for a in out for b in step)
    return out


def _implied(desc: Desc) -> bool:
    """True when every string the pattern matches has one of the desc's lengths (so the
    pattern alone decides ``_is_number_matching_desc``)."""
    if desc.full is None or not desc.lengths:
        return desc.full is not None
    widths = match_lengths(desc.full)
    return widths is not None and widths <= set(desc.lengths)


@cache
def other_descs(region: str) -> tuple[Desc, ...]:
    """``rules(region).others`` (the descs that mean OTHER_TYPE) with every desc whose pattern
    implies its lengths merged into one alternation (same matches, one regex pass)."""
    return _merged([d for d in rules(region).others if d.full is not None])


def _merged(descs: list[Desc]) -> tuple[Desc, ...]:
    """``descs``, those whose patterns imply their lengths as one alternation (first)."""
    implied = [_implied(d) for d in descs]
    merged = [d.full[1:-1] for d, yes in zip(descs, implied, strict=True) if yes and d.full]
    rest = tuple(d for d, yes in zip(descs, implied, strict=True) if not yes)
    if len(merged) < 2:
        return tuple(descs)
    return (Desc(f"^(?:{'|'.join(merged)})$", ()), *rest)


def is_valid(nsn: pl.Expr, r: Rules) -> pl.Expr:
    """``number_type(nsn, r) != UNKNOWN`` in fewer regex passes: the general desc, then any
    desc that gives a type (which one does not matter for validity), merged where their
    patterns imply their lengths. With ``same_mobile_and_fixed`` the mobile desc gives no
    type of its own (``_number_type_helper`` never tries it)."""
    descs = [*r.others, r.fixed_line]
    if not r.same_mobile_and_fixed:
        descs.append(r.mobile)
    typed = [matches_desc(nsn, d) for d in _merged([d for d in descs if d.full is not None])]
    return matches_desc(nsn, r.general) & pl.any_horizontal(typed or [pl.lit(False)])


def test_length(digits: pl.Expr, r: Rules) -> pl.Expr:
    """``_test_number_length(digits, metadata)`` for the general desc, as a result code."""
    size = digits.str.len_bytes()
    lengths = r.general_lengths
    if not lengths or lengths[0] == -1:
        return pl.lit(INVALID_LENGTH, pl.Int8)
    return (
        pl.when(size.is_in(list(r.local_lengths)))
        .then(pl.lit(LOCAL_ONLY))
        .when(size == lengths[0])
        .then(pl.lit(IS_POSSIBLE))
        .when(size < lengths[0])
        .then(pl.lit(TOO_SHORT))
        .when(size > lengths[-1])
        .then(pl.lit(TOO_LONG))
        .when(size.is_in(list(lengths[1:])))
        .then(pl.lit(IS_POSSIBLE))
        .otherwise(pl.lit(INVALID_LENGTH))
        .cast(pl.Int8)
    )


def strip_national_prefix(digits: pl.Expr, r: Rules) -> tuple[pl.Expr, pl.Expr]:
    """``_maybe_strip_national_prefix_carrier_code(digits, metadata)[1]`` and a fallback flag.

    The flag is true where the region's national_prefix_transform_rule would rewrite the
    number: the engine leaves those to the oracle.
    """
    if not r.npp:
        return digits, pl.lit(False)
    if _LITERAL.fullmatch(r.npp):
        matched = digits.str.starts_with(r.npp)
        end: pl.Expr = pl.lit(len(r.npp), pl.UInt32)
    else:
        prefix = digits.str.extract(f"{ASCII}^({r.npp})", 1)
        matched = prefix.is_not_null()
        end = prefix.str.len_bytes()
    rest = digits.str.slice(end)
    keep = ~matched | (full_match(digits, r.general) & ~full_match(rest, r.general))
    stripped = pl.when(keep).then(digits).otherwise(rest)
    if not r.transform:
        return stripped, pl.lit(False)
    last_group = digits.str.extract(f"{ASCII}^({r.npp})", r.npp_groups + 1)
    return stripped, matched & last_group.is_not_null()


def leading_digits(nsn: pl.Expr, r: Rules) -> pl.Expr:
    """``re.match(metadata.leading_digits, nsn)`` (False when the region has none)."""
    return nsn.str.contains(ASCII + r.leading_digits) if r.leading_digits else pl.lit(False)


def starts_with_idd(digits: pl.Expr, r: Rules) -> pl.Expr:
    """Whether ``re.match(metadata.international_prefix, digits)`` matches (False when the
    region has no international prefix)."""
    return digits.str.contains(ASCII + r.idd) if r.idd is not None else pl.lit(False)


def idd_prefix(digits: pl.Expr, r: Rules) -> pl.Expr:
    """The text ``re.match(metadata.international_prefix, digits)`` matched, else null."""
    if r.idd is None:
        return pl.lit(None, pl.String)
    return digits.str.extract(f"{ASCII}({r.idd})", 1)
