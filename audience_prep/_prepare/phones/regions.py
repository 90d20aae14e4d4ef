"""Country names and codes as people write them in a region column, read into ISO regions.

:func:`region_from_name` reads a cell, in order:

- case, accents, dots and extra spaces do not matter (``U.S.A.`` = ``usa``, ``Türkiye`` =
  ``turkiye``);
- an ISO 3166 alpha-2 code phonenumbers knows (``IL``, ``us``);
- a code CLDR lists as an alias of one such region: ISO alpha-3 codes (``USA``, ``GBR``),
  ``UK`` (ISO's code reserved for the United Kingdom) and retired codes;
- a country's name in CLDR, in any language CLDR covers (``Israel``, ``ישראל``, ``בריטניה``,
  ``Deutschland``, ``Соединённые Штаты``; other languages keep older English names such as
  ``Turkey`` and ``Swaziland``), its ISO 3166 name, official name or common name (``United
  States of America``), or the name of an ISO 3166-2 subdivision of the kind "country"
  (``England``, ``Scotland``, ``Wales``: the United Kingdom);
- two or more words that are a run of the words of exactly one country's ISO official name
  (``Great Britain`` and ``Northern Ireland`` in the United Kingdom's);
- anything else (``Narnia``, a city) is no region: the row's phones get ``unknown_region``.

The names come from maintained datasets: CLDR through babel, and ISO 3166 through pycountry.
A name that two regions share is no one's. Both are loaded on first use, once per process.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Final

import phonenumbers

__all__ = ["region_from_name"]

#: ISO 3166-2 subdivision types whose names name a country people write as one.
_COUNTRY_SUBDIVISIONS: Final = frozenset({"Country", "Nation"})


def _fold(text: str) -> str:
    """Case, accents, dots and extra spaces folded away; initials joined (``U. S. A.``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    initials = bare.replace(".", " ").split()
    if initials and all(len(word) == 1 for word in initials):
        return "".join(initials)
    return " ".join(bare.replace(".", "").split())


def region_from_name(value: str) -> str | None:
    """The ISO alpha-2 region a cell names, or None (see the module rules)."""
    key = _fold(value)
    if not key:
        return None
    upper = key.upper()
    if upper in phonenumbers.SUPPORTED_REGIONS:
        return upper
    return _aliases().get(upper) or _names().get(key) or _official_runs().get(key)


@cache
def _aliases() -> dict[str, str]:
    """CLDR territory aliases that name one region phonenumbers knows (alpha-3, UK, ...)."""
    from babel.core import get_global

    aliases = get_global("territory_aliases")
    return {
        code: targets[0]
        for code, targets in aliases.items()
        if len(targets) == 1 and targets[0] in phonenumbers.SUPPORTED_REGIONS
    }


@cache
def _names() -> dict[str, str]:
    """Country name (folded) -> region, from CLDR in every base language and ISO 3166."""
    import pycountry
    from babel import Locale, localedata

    found: dict[str, set[str]] = {}

    def add(name: str | None, region: str) -> None:
        if name and region in phonenumbers.SUPPORTED_REGIONS:
            found.setdefault(_fold(name), set()).add(region)

    for language in localedata.locale_identifiers():
        if "_" not in language:
            for region, name in Locale.parse(language).territories.items():
                add(name, region)
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            add(getattr(country, attribute, None), country.alpha_2)
    for subdivision in pycountry.subdivisions:
        if subdivision.type in _COUNTRY_SUBDIVISIONS:
            add(subdivision.name.partition(" [")[0], subdivision.country_code)
    return {name: next(iter(regions)) for name, regions in found.items() if len(regions) == 1}


@cache
def _official_runs() -> dict[str, str]:
    """Runs of two or more words of ISO official names (folded) -> the one region they fit."""
    import pycountry

    found: dict[str, set[str]] = {}
    for country in pycountry.countries:
        words = _fold(getattr(country, "official_name", "") or "").split()
        for start in range(len(words)):
            for end in range(start + 2, len(words) + 1):
                found.setdefault(" ".join(words[start:end]), set()).add(country.alpha_2)
    return {run: next(iter(r)) for run, r in found.items() if len(r) == 1}
