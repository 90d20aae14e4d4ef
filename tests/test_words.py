"""Header words: splitting rules, phrase finding, and the default schema's reading of headers in
every language the vocabulary is required to cover."""

from __future__ import annotations

import pytest

from audience_prep import load_schema
from audience_prep._prepare.columns import map_columns, type_class
from audience_prep._prepare.words import Vocabulary, header_words

SCHEMA = load_schema()

SPLITS = [
    # (header, words)
    ("Mobile Phone", ("mobile", "phone")),
    ("mobile_phone", ("mobile", "phone")),
    ("MOBILE-PHONE ", ("mobile", "phone")),
    ("\ufeffMobile\u200bPhone", ("mobile", "phone")),  # invisible marks go, camelCase splits
    ("buyerPhoneNumber", ("buyer", "phone", "number")),
    ("SMSNumber", ("sms", "number")),
    ("phone1", ("phone", "1")),
    ("Phone2Value", ("phone", "2", "value")),
    ("Phone (Billing)", ("phone", "billing")),
    ("Tél. mobile", ("tel", "mobile")),
    ("Teléfono Móvil", ("telefono", "movil")),
    ("Tu número 📲", ("tu", "numero", "📲")),
    ("☎️ Phone", ("☎", "phone")),
    ("טלפון נייד", ("טלפון", "נייד")),
    ('דוא"ל', ("דוא", "ל")),
    ("Мобильный телефон", ("мобильныи", "телефон")),
    ("ＰＨＯＮＥ", ("phone",)),
    ("", ()),
    ("--", ()),
]


@pytest.mark.parametrize(("header", "words"), SPLITS)
def test_header_words(header: str, words: tuple[str, ...]) -> None:
    assert header_words(header) == words


def test_longer_phrases_hide_the_ones_inside_them_and_others_overlap() -> None:
    vocabulary = Vocabulary(
        {"mobile": ["sms", "cell"], "about": ["accepts sms marketing", "type"], "phone": ["phone"]}
    )
    assert vocabulary.match("Accepts SMS Marketing").concepts == ("about",)
    assert vocabulary.match("Phone 1 - Type").concepts == ("phone", "about")
    assert vocabulary.match("Cell phone").concepts == ("mobile", "phone")


def test_compounds_split_into_the_fewest_known_words() -> None:
    vocabulary = Vocabulary({"phone": ["telefon"], "mobile": ["mobil"]}, fillers=["nummer"])
    assert vocabulary.match("Telefonnummer").concepts == ("phone",)
    assert vocabulary.match("Mobiltelefonnummer").concepts == ("mobile", "phone")
    assert vocabulary.match("Telefonbuch").concepts == ()
    assert vocabulary.match("Telefonbuch").unknown == ("telefonbuch",)


def test_hebrew_prefixes_and_the_arabic_article() -> None:
    vocabulary = Vocabulary({"phone": ["טלפון", "هاتف"]})
    assert vocabulary.match("הטלפון").concepts == ("phone",)
    assert vocabulary.match("לטלפון").concepts == ("phone",)
    assert vocabulary.match("الهاتف").concepts == ("phone",)


def where(header: str) -> str | None:
    """The phone tier a lone header feeds, or the column it is mapped to, or None."""
    mapping = map_columns([header], SCHEMA)
    if header in mapping.phone_sources:
        return f"tier:{mapping.tiers[header]}"
    return mapping.renames.get(header)


LANGUAGES = {
    "en": [
        ("Mobile Phone Number", "tier:mobile"),
        ("Cell", "tier:mobile"),
        ("WhatsApp", "tier:mobile"),
        ("Phone Number", "tier:phone"),
        ("Telephone", "tier:phone"),
        ("Primary Phone", "tier:primary"),
        ("Home Phone", "tier:other"),
        ("Ship To Phone", "tier:other"),
        ("Phone (Billing)", "tier:other"),
        ("Business Fax", None),
        ("Pager", None),
        ("Phone Type", None),
        ("Phone Country Code", None),
        ("SMS Consent", None),
        ("Accepts SMS Marketing", None),
        ("Emergency Contact Phone", None),
        ("E-mail Address", "email"),
        ("Email Marketing Consent", None),
        ("Given Name", "first_name"),
        ("Surname", "last_name"),
    ],
    "he": [
        ("טלפון נייד", "tier:mobile"),
        ("נייד", "tier:mobile"),
        ("פלאפון", "tier:mobile"),
        ("טלפון", "tier:phone"),
        ("מספר טלפון", "tier:phone"),
        ("טלפון בבית", "tier:other"),
        ("טלפון עבודה", "tier:other"),
        ("פקס", None),
        ("סוג טלפון", None),
        ('דוא"ל', "email"),
        ("שם פרטי", "first_name"),
        ("שם משפחה", "last_name"),
    ],
    "ar": [
        ("رقم الجوال", "tier:mobile"),
        ("الهاتف المحمول", "tier:mobile"),
        ("هاتف", "tier:phone"),
        ("رقم الهاتف", "tier:phone"),
        ("هاتف المنزل", "tier:other"),
        ("هاتف العمل", "tier:other"),
        ("فاكس", None),
        ("البريد الإلكتروني", "email"),
    ],
    "ru": [
        ("Мобильный телефон", "tier:mobile"),
        ("Сотовый", "tier:mobile"),
        ("Телефон", "tier:phone"),
        ("Номер телефона", "tier:phone"),
        ("Рабочий телефон", "tier:other"),
        ("Домашний телефон", "tier:other"),
        ("Факс", None),
        ("Электронная почта", "email"),
        ("Имя", "first_name"),
        ("Фамилия", "last_name"),
    ],
    "fr": [
        ("Tél. mobile", "tier:mobile"),
        ("Téléphone portable", "tier:mobile"),
        ("Téléphone", "tier:phone"),
        ("Téléphone principal", "tier:primary"),
        ("Téléphone (domicile)", "tier:other"),
        ("Téléphone (bureau)", "tier:other"),
        ("Télécopie (bureau)", None),
        ("Courriel", "email"),
        ("Prénom", "first_name"),
        ("Nom", "last_name"),
    ],
    "de": [
        ("Mobiltelefon", "tier:mobile"),
        ("Handynummer", "tier:mobile"),
        ("Telefon", "tier:phone"),
        ("Telefonnummer", "tier:phone"),
        ("Telefon geschäftlich", "tier:other"),
        ("Telefon (privat)", "tier:other"),
        ("Fax geschäftlich", None),
        ("E-Mail-Adresse", "email"),
        ("Vorname", "first_name"),
        ("Nachname", "last_name"),
    ],
    "es": [
        ("Celular", "tier:mobile"),
        ("Teléfono móvil", "tier:mobile"),
        ("Teléfono", "tier:phone"),
        ("Número de teléfono", "tier:phone"),
        ("Teléfono del trabajo", "tier:other"),
        ("Fax", None),
        ("Correo electrónico", "email"),
        ("Nombre", "first_name"),
        ("Apellidos", "last_name"),
    ],
    "pt": [
        ("Celular", "tier:mobile"),
        ("Telemóvel", "tier:mobile"),
        ("Telefone", "tier:phone"),
        ("Telefone residencial", "tier:other"),
        ("Telefone comercial", "tier:other"),
        ("Fax", None),
        ("E-mail", "email"),
        ("Sobrenome", "last_name"),
    ],
    "it": [
        ("Cellulare", "tier:mobile"),
        ("Telefono", "tier:phone"),
        ("Numero di telefono", "tier:phone"),
        ("Telefono di casa", "tier:other"),
        ("Telefono ufficio", "tier:other"),
        ("Fax", None),
        ("Nome", "first_name"),
        ("Cognome", "last_name"),
    ],
    "nl": [
        ("Mobiele telefoon", "tier:mobile"),
        ("Mobiel nummer", "tier:mobile"),
        ("Telefoon", "tier:phone"),
        ("Telefoonnummer", "tier:phone"),
        ("Telefoon thuis", "tier:other"),
        ("Telefoon op werk", "tier:other"),
        ("Fax op werk", None),
        ("Voornaam", "first_name"),
        ("Achternaam", "last_name"),
    ],
    "pl": [
        ("Telefon komórkowy", "tier:mobile"),
        ("Komórka", "tier:mobile"),
        ("Telefon", "tier:phone"),
        ("Numer telefonu", "tier:phone"),
        ("Telefon służbowy", "tier:other"),
        ("Faks", None),
        ("Imię", "first_name"),
        ("Nazwisko", "last_name"),
    ],
    "tr": [
        ("Cep Telefonu", "tier:mobile"),
        ("GSM", "tier:mobile"),
        ("Telefon", "tier:phone"),
        ("Telefon Numarası", "tier:phone"),
        ("İş Telefonu", "tier:other"),
        ("Ev Telefonu", "tier:other"),
        ("Faks", None),
        ("E-posta", "email"),
        ("Soyad", "last_name"),
    ],
}


@pytest.mark.parametrize(
    ("header", "expected"),
    [case for cases in LANGUAGES.values() for case in cases],
    ids=[f"{lang}:{h}" for lang, cases in LANGUAGES.items() for h, _ in cases],
)
def test_headers_in_every_language(header: str, expected: str | None) -> None:
    assert where(header) == expected


TYPES = [
    ("Mobile", "typed first tier"),
    ("* Mobile", "typed first tier"),
    ("Home", "typed other"),
    ("Work", "typed other"),
    ("Main", "typed other"),
    ("", "typed other"),
    ("Home Fax", None),
    ("Pager", None),
]


@pytest.mark.parametrize(("text", "expected"), TYPES)
def test_a_pairs_type_cell(text: str, expected: str | None) -> None:
    assert type_class(SCHEMA, text) == expected


def test_the_fast_folding_of_plain_phrases_is_header_words() -> None:
    from audience_prep._prepare.schema import _builtin_words
    from audience_prep._prepare.words import fold_phrase

    phrases = [phrase for _, items in _builtin_words() for phrase in items]
    assert len(phrases) > 5000
    assert [fold_phrase(p) for p in phrases] == [header_words(p) for p in phrases]
    assert fold_phrase("e-mail 2") == header_words("e-mail 2") == ("e", "mail", "2")
    # phrases the fast path must leave to header_words: marks composed or not, upper case,
    # compatibility forms, Hangul written as syllables or as conjoining jamo, pointed Hebrew
    tricky = [
        "téléphone",
        "te\u0301le\u0301phone",
        "Телефон",
        "ﬁxe",
        "전화",
        "\u110c\u1165\u11ab\u1112\u116a",
        "טֵלֵפוֹן",
        "ｔｅｌ",
        "télé phone",
    ]
    assert [fold_phrase(p) for p in tricky] == [header_words(p) for p in tricky]
