"""Headers read as words: split a header into words, and find the schema's phrases in them.

Splitting a header (:func:`header_words`), in order:

- NFKC normalisation; invisible marks (BOM, zero-width, bidi) are dropped;
- word boundaries are added where ``camelCase`` turns (``buyerPhoneNumber``), where an upper-case
  run ends (``SMSNumber``) and between letters and digits (``phone1``, ``Phone2Value``);
- case folding, then diacritics are dropped (``Téléphone`` = ``telephone``, ``Móvil`` =
  ``movil``; Hebrew points and Arabic vowel marks too), so a vocabulary written with accents
  matches headers written without them;
- every run of characters that are not letters or digits separates words: spaces, punctuation,
  ``_``, ``-``, ``/``, brackets, quotes; a pictograph (``📱``, ``☎``, ``✉``: U+2190-U+2BFF and
  U+1F000-U+1FAFF) is a word of its own, so the vocabulary can say what it means (a form
  question ``Tu número 📲``).

Finding phrases (:class:`Vocabulary`): a phrase is one or more words, and it names one or more
*concepts* (``phone``, ``mobile``, ``fax``, ``email``, ...). Every phrase found among a header's
consecutive words counts, except one that lies inside a longer phrase found there: in
``Accepts SMS Marketing`` the phrase ``accepts sms marketing`` (about a phone) hides ``sms`` (a
phone word), while ``Phone 1 - Type`` holds both ``phone`` and ``type``. Before that, a word that
is no phrase of its own is tried as:

- a compound of vocabulary words (German ``Telefonnummer`` = ``telefon`` + ``nummer``,
  ``cellphone``, ``mobilephone``): the split into the fewest known words, each of 2 or more
  letters, wins;
- a Hebrew word with a one-letter prefix (``הטלפון`` = ``ה`` + ``טלפון``: ``ה ו ב ל מ ש כ``) or
  an Arabic word with its article (``الهاتف`` = ``ال`` + ``هاتف``);
- a word with replacement characters (``gesch�ftlich``: a file that lost its accents to a
  wrong conversion) as the one known word of its length that fits it, each ``�`` standing for
  one letter.

A word that none of this explains is left unmatched (it counts as an unknown word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from audience_prep._text import INVISIBLE

__all__ = ["Vocabulary", "WordMatch", "fold_phrase", "header_words"]

#: Where a camelCase header turns: ``aB`` and the end of an upper-case run ``ABc``.
_CAMEL: Final = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
#: Between a letter and a digit, either way round.
_DIGIT_EDGE: Final = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_HEBREW_PREFIXES: Final = "הובלמשכ"
_ARABIC_ARTICLES: Final = ("وال", "بال", "لل", "ال")
_MIN_PIECE: Final = 2
_KEPT_MATCHES: Final = 100_000
#: U+FFFD, which a decoder writes for each byte it could not read.
_LOST: Final = "\ufffd"
#: A word: letters and digits (and U+FFFD, a lost letter), or one pictograph (arrows,
#: symbols and dingbats U+2190-U+2BFF, emoji U+1F000-U+1FAFF).
_TOKEN: Final = re.compile(r"(?:[^\W_]|\ufffd)+|[\u2190-\u2bff\U0001f000-\U0001faff]")
_DROP_INVISIBLE: Final = dict.fromkeys(map(ord, INVISIBLE))
#: Lower-case ASCII letters and spaces: header_words only splits such a phrase at its spaces.
_PLAIN: Final = re.compile(r"[a-z ]+\Z")
_MAX_PHRASE: Final = 6
#: Words of letters (no digit, mark or underscore) between single spaces.
_LETTER_WORDS: Final = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*\Z")


def _fold_word(word: str) -> str:
    """Case folding, then diacritics dropped (recomposed, so Hangul and kana stay whole)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFD", word.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def header_words(header: str) -> tuple[str, ...]:
    """The words of a header, folded (see the module rules)."""
    text = unicodedata.normalize("NFKC", header).translate(_DROP_INVISIBLE)
    text = _DIGIT_EDGE.sub(" ", _CAMEL.sub(" ", text))
    return tuple(w for w in map(_fold_word, _TOKEN.findall(text)) if w)


def fold_phrase(phrase: str) -> tuple[str, ...]:
    """A vocabulary phrase as the words a header would hold (the same folding as headers).

    Most phrases are words of lower-case letters (of any script, accented or not, without
    separate marks) between single spaces, in NFKC form: header_words would only fold each
    word, so that is all that is done, and a word already in every normal form is not even
    folded (the checks run in C; the vocabulary loads in a few ms).
    """
    if _PLAIN.match(phrase):
        return tuple(phrase.split())
    if (
        _LETTER_WORDS.match(phrase)
        and phrase == phrase.casefold()
        and unicodedata.is_normalized("NFKC", phrase)
    ):
        if all(unicodedata.is_normalized(form, phrase) for form in ("NFC", "NFD")):
            return tuple(phrase.split())
        return tuple(_fold_word(word) for word in phrase.split())
    return header_words(phrase)


@dataclass(frozen=True, slots=True)
class WordMatch:
    """A header's concepts, in the order their phrases appear, and what was left unexplained."""

    concepts: tuple[str, ...]
    phrases: tuple[str, ...]
    unknown: tuple[str, ...]
    #: Concepts of phrases hidden inside longer ones (``sms`` in ``accepts sms marketing``).
    hidden: tuple[str, ...] = ()

    def has(self, concept: str) -> bool:
        """Whether a phrase of ``concept`` is in the header."""
        return concept in self.concepts

    def has_any(self, concepts: Iterable[str]) -> bool:
        """Whether a phrase of any of ``concepts`` is in the header."""
        return any(c in self.concepts for c in concepts)


class Vocabulary:
    """Phrases by concept; :meth:`match` reads a header against them (see the module rules).

    ``fillers`` are words that join compounds and carry no concept of their own (``nummer``,
    ``nr``, ``number``): ``Telefonnummer`` is a phone because ``telefon`` is.
    """

    def __init__(
        self, phrases: Mapping[str, Iterable[str]], *, fillers: Iterable[str] = ()
    ) -> None:
        table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for concept, items in phrases.items():
            for phrase in items:
                words = fold_phrase(phrase)
                if words and concept not in table.get(words, ()):
                    table[words] = (*table.get(words, ()), concept)
        self._table = table
        self._fillers = frozenset(w for f in fillers for w in fold_phrase(f))
        self._matches: dict[str, WordMatch] = {}

    @cached_property
    def _single_words(self) -> frozenset[str]:
        """Words that compounds may be split into: one-word phrases, and the fillers."""
        return frozenset(p[0] for p in self._table if len(p) == 1) | self._fillers

    def concepts_of(self, phrase: str) -> tuple[str, ...]:
        """The concepts a phrase belongs to (none when it is no phrase of the vocabulary)."""
        return self._table.get(fold_phrase(phrase), ())

    def phrases_of(self, concept: str) -> list[str]:
        """Every phrase of a concept, as folded words joined by spaces."""
        return [" ".join(p) for p, names in self._table.items() if concept in names]

    @property
    def concepts(self) -> frozenset[str]:
        """Every concept with at least one phrase."""
        return frozenset(c for names in self._table.values() for c in names)

    def match(self, header: str) -> WordMatch:
        """The concepts whose phrases the header holds (see the module rules), in order.

        Results are kept (up to _KEPT_MATCHES headers): a file's header row is read by the
        header search, the mapping and the value checks.
        """
        found = self._matches.get(header)
        if found is None:
            found = self._match(header)
            if len(self._matches) < _KEPT_MATCHES:
                self._matches[header] = found
        return found

    def _match(self, header: str) -> WordMatch:
        words = self._expanded(header_words(header))
        found: list[tuple[int, int]] = []
        for start in range(len(words)):
            for end in range(start + 1, min(start + _MAX_PHRASE, len(words)) + 1):
                if tuple(words[start:end]) in self._table:
                    found.append((start, end))
        kept = [
            (start, end)
            for start, end in found
            if not any(s <= start and end <= e and e - s > end - start for s, e in found)
        ]
        concepts = dict.fromkeys(c for s, e in kept for c in self._table[tuple(words[s:e])])
        hidden = dict.fromkeys(
            c
            for s, e in found
            if (s, e) not in kept
            for c in self._table[tuple(words[s:e])]
            if c not in concepts
        )
        covered = {i for s, e in kept for i in range(s, e)}
        unknown = [
            w
            for i, w in enumerate(words)
            if i not in covered and w not in self._fillers and not w.isdigit()
        ]
        phrases = tuple(" ".join(words[s:e]) for s, e in kept)
        return WordMatch(tuple(concepts), phrases, tuple(unknown), tuple(hidden))

    def _expanded(self, words: tuple[str, ...]) -> list[str]:
        """Words, with compounds and prefixed Hebrew/Arabic words split into known words."""
        out: list[str] = []
        for word in words:
            if (word,) in self._table or word in self._fillers or word.isdigit():
                out.append(word)
                continue
            out.extend(
                self._unprefixed(word) or self._restored(word) or self._split(word) or [word]
            )
        return out

    def _unprefixed(self, word: str) -> list[str] | None:
        if len(word) > 2 and word[0] in _HEBREW_PREFIXES and (word[1:],) in self._table:
            return [word[1:]]
        for article in _ARABIC_ARTICLES:
            rest = word.removeprefix(article)
            if rest != word and len(rest) >= _MIN_PIECE and (rest,) in self._table:
                return [rest]
        return None

    def _restored(self, word: str) -> list[str] | None:
        """The one known word that ``word`` is, its U+FFFD characters read as any letter."""
        if _LOST not in word:
            return None
        pattern = re.compile("".join("." if ch == _LOST else re.escape(ch) for ch in word))
        fits = [w for w in self._single_words if len(w) == len(word) and pattern.fullmatch(w)]
        return fits if len(fits) == 1 else None

    def _split(self, word: str) -> list[str] | None:
        """The split of ``word`` into the fewest known words, or None (dynamic programming)."""
        known = self._single_words
        best: list[list[str] | None] = [None] * (len(word) + 1)
        best[0] = []
        for end in range(_MIN_PIECE, len(word) + 1):
            for start in range(end - _MIN_PIECE + 1):
                head = best[start]
                piece = word[start:end]
                if head is None or piece not in known:
                    continue
                if best[end] is None or len(head) + 1 < len(best[end] or ()):
                    best[end] = [*head, piece]
        found = best[len(word)]
        return found if found is not None and len(found) > 1 else None
