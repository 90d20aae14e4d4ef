"""Write the real-world fixture files of tests/test_real_world.py into this folder.

Every file is built from the literals below, byte for byte, so running this script again gives
the same files (the workbooks carry a fixed creation date; zip entries a fixed timestamp).
Run it from anywhere: ``python tests/data/make_fixtures.py``. The files are committed too.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

HERE = Path(__file__).resolve().parent
CREATED = dt.datetime(2024, 5, 1, 12, 0, 0)

# --- encodings ---------------------------------------------------------------------------

#: One small Hebrew export, written in every encoding that can hold it.
HEBREW = (
    "שם מלא,טלפון נייד,עיר\r\n"
    "דנה כהן,050-2345671,תל אביב\r\n"
    "אלי לוי,052-3456782,ירושלים\r\n"
    "מיכל אברהם,לא ידוע,חיפה\r\n"
)
#: Western European names: cp1252 has the curly apostrophe and the euro sign, Latin-1 does not.
WESTERN_CP1252 = (
    "Name,Phone,Note\r\n"
    "José Müller,050-2345673,Zoë’s café\r\n"
    "Ærøskøbing Ågård,050-2345674,paid 5 €\r\n"
)
WESTERN_LATIN1 = (
    "Name,Phone,Note\r\nJosé Müller,050-2345673,Zoë's café\r\nÆrø Ågård,050-2345674,paid 5 ¤\r\n"
)


def _longer_hebrew() -> str:
    """About 4 KB of Hebrew rows: more text for charset detection than a 3-row file."""
    names = ["דנה כהן", "אלי לוי", "מיכל אברהם", "יוסי מזרחי", "רונית פרץ", "אבי ביטון"]
    cities = ["תל אביב", "ירושלים", "חיפה", "באר שבע", "אשדוד", "נתניה"]
    rows = [f"{names[i % 6]},050-23456{i:02d},{cities[(i * 5) % 6]}\r\n" for i in range(60)]
    return "שם מלא,טלפון נייד,עיר\r\n" + "".join(rows)


def encodings() -> dict[str, bytes]:
    tab = HEBREW.replace(",", "\t")
    return {
        "enc_utf8.csv": HEBREW.encode("utf-8"),
        "enc_utf8_bom.csv": codecs.BOM_UTF8 + HEBREW.encode("utf-8"),
        "enc_utf16le_bom.txt": codecs.BOM_UTF16_LE + tab.encode("utf-16-le"),
        "enc_utf16be_bom.txt": codecs.BOM_UTF16_BE + tab.encode("utf-16-be"),
        "enc_cp1255.csv": HEBREW.encode("cp1255"),
        "enc_cp1255_long.csv": _longer_hebrew().encode("cp1255"),
        # So little Hebrew that charset-normalizer alone reads it as Thai (cp874).
        "enc_cp1255_tiny.csv": "טלפון,שם\n0502345671,דנה כהן\n0507654321,אלי לוי\n".encode(
            "cp1255"
        ),
        "enc_cp1252.csv": WESTERN_CP1252.encode("cp1252"),
        "enc_latin1.csv": WESTERN_LATIN1.encode("latin-1"),
        # UTF-8 but for one Latin-1 byte (0xE9, 'é') at offset 33.
        "enc_broken_utf8.csv": b"Name,Phone\r\nDana,050-2345671\r\nJos\xe9,050-2345673\r\n",
    }


# --- dialects ----------------------------------------------------------------------------

DIALECT_ROWS = [
    ["Name", "Phone", "City"],
    ["Dana Cohen", "050-2345671", "Tel Aviv"],
    ["Eli Levi", "052-3456782", "Haifa"],
]


def dialects() -> dict[str, bytes]:
    files = {
        f"delim_{label}.csv": "".join(sep.join(row) + "\r\n" for row in DIALECT_ROWS).encode()
        for label, sep in (("comma", ","), ("semicolon", ";"), ("tab", "\t"), ("pipe", "|"))
    }
    # Semicolon-separated, but every line also has one comma: the sniffer prefers ',' on the
    # tie, and delimiter=';' is the fix.
    files["delim_override.csv"] = (
        b"Name (last, first);Phone\nCohen, Dana;050-2345671\nLevi, Eli;052-3456782\n"
    )
    # Excel for Mac's "CSV (Macintosh)": lines end with a bare CR.
    files["mac_cr_lines.csv"] = b"Phone,Name\r050-2345671,Dana Cohen\r052-3456782,Eli Levi\r"
    # Quoted cells holding the delimiter, doubled quotes and line breaks (CRLF inside a cell
    # too); row 3 is one spreadsheet row over three lines, so the bad phone is row 5.
    files["quoted.csv"] = (
        b"Name,Phone,Address\r\n"
        b'"Cohen, Dana",050-2345671,"1 Herzl St, Tel Aviv"\r\n'
        b'"Levi ""Eli""",052-3456782,"Flat 2\r\nBuilding 5\r\nHaifa"\r\n'
        b'Avraham,050-2345675,"line\none"\r\n'
        b'"Peretz; Roni",123,"x"\r\n'
    )
    return files


# --- title rows above the header ----------------------------------------------------------


def titles() -> dict[str, bytes]:
    return {
        # Excel report style: a title, a subtitle, a blank line, then the header on line 4.
        "title_rows.csv": (
            b"Customer report,,\r\n"
            b"Generated 2024-05-01 by CRM,,\r\n"
            b",,\r\n"
            b"Name,Mobile,City\r\n"
            b"Dana Cohen,050-2345671,Tel Aviv\r\n"
            b"Eli Levi,12345,Haifa\r\n"
            b"Roni Peretz,052-3456782,Ashdod\r\n"
        ),
        # A header no alias matches (and a title that looks like data): header_row=3 and
        # columns= are needed.
        "title_unknown_header.csv": (
            b"Export 7\r\n\r\nCol A,Col B\r\nDana,050-2345671\r\nEli,052-3456782\r\n"
        ),
    }


# --- structure: headers, empty rows, ragged rows -------------------------------------------


def structure() -> dict[str, bytes]:
    return {
        # Duplicate names, an empty header cell with data under it, two trailing empty columns;
        # a blank line and a line of delimiters (skipped); row 6 has too many fields, row 8 too
        # few. No quote spans lines: the fast path counts the fields.
        "ragged_fast.csv": (
            b"Name,Mobile,Name,,City,,\n"
            b"Dana,050-2345671,Cohen,x1,Tel Aviv,,\n"
            b"\n"
            b",,,,,,\n"
            b"Eli,052-3456782,Levi,x2,Haifa,,\n"
            b"Roni,050-2345675,Peretz,x3,Ashdod,,,surplus\n"
            b'Avi,"050-2345676",Biton,x4,Eilat,,\n'
            b"Yossi,050-2345677\n"
        ),
        # The same kinds of ragged rows next to a quoted cell with a line break: the csv module
        # counts the fields (the exact path). Spreadsheet rows: 2 ok, 3 too many, 4 multi-line,
        # 5 blank, 6 too few, 7 ok.
        "ragged_exact.csv": (
            b"Name,Mobile,Note\n"
            b"Dana,050-2345671,plain\n"
            b"Eli,052-3456782,x,surplus\n"
            b'Roni,050-2345675,"two\nlines"\n'
            b"\n"
            b"Avi\n"
            b"Yossi,050-2345677,last\n"
        ),
        # Prose, not a table: its lines have any number of commas.
        "not_tabular.csv": (
            b"Dear customer,\n"
            b"Thank you for your order. We ship within 3 days, weather permitting.\n"
            b"Your phone, 050-2345671, is on file.\n"
            b"Regards\n"
            b"The team, Tel Aviv, Israel, Earth\n"
            b"P.S. call us, any time, day or night, on weekdays, too.\n"
            b"Unsubscribe\n"
            b"Terms, conditions\n"
        ),
    }


# --- several files ----------------------------------------------------------------------------


def several() -> dict[str, bytes]:
    return {
        "multi/part1.csv": (
            b"Name,Mobile\nDana,050-2345671\nEli,not a phone\nRoni,050-2345675,extra\n"
        ),
        # Another column order and delimiter; Dana again (a duplicate across files).
        "multi/part2.csv": (
            b"Mobile;Name;City\n052-3456782;Avi;Haifa\n\n050-2345671;Dana;Tel Aviv\n;Nobody;\n"
        ),
    }


# --- cell text ------------------------------------------------------------------------------

#: (name, phone cell) per row; tests/test_real_world.py lists what each must give.
CELLS = [
    ("no-break spaces", "050\u00a0234\u00a05601"),
    ("zero-width spaces", "\u200b050-2345602\u200b"),
    ("full-width digits", "０５０２３４５６０３"),
    ("Arabic-Indic digits", "٠٥٠٢٣٤٥٦٠٤"),
    ("tel URI", "tel:+972-50-234-5605"),
    ("leading apostrophe", "'0502345606"),
    ("extension ext.", "050-2345607 ext. 12"),
    ("extension x", "050-2345608 x12"),
    ("two numbers", "050-2345609 / 03-1234567"),
    ("n/a", "n/a"),
    ("none", "none"),
    ("dash", "-"),
    ("lost plus", "447400123456"),
    ("a date", "2012-01-02 08:00"),
    ("area code in parentheses", "(03) 123-4567"),
]


def cell_text() -> dict[str, bytes]:
    lines = ["Name,Mobile"] + [f'{name},"{cell}"' for name, cell in CELLS]
    return {"cell_text.csv": ("\r\n".join(lines) + "\r\n").encode("utf-8")}


# --- Excel ----------------------------------------------------------------------------------


def write_report_xlsx(path: Path) -> None:
    """Two sheets; 'Contacts' has a merged title row and a blank row above its header (row 3)."""
    with xlsxwriter.Workbook(str(path)) as book:
        book.set_properties({"created": CREATED})
        bold = book.add_format({"bold": True})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet("Contacts")
        sheet.merge_range("A1:D1", "Customer report - May 2024", bold)
        sheet.write_row(2, 0, ["Name", "Mobile", "Birthday", "Source"], bold)
        rows: list[tuple[str, Callable[[int], None], str]] = [
            ("number", lambda r: sheet.write_number(r, 1, 972502345678), "2012-01-02"),
            ("lost zero", lambda r: sheet.write_number(r, 1, 502345679), "1990-12-31"),
            ("text", lambda r: sheet.write_string(r, 1, "0502345680"), "01/02/2012"),
            ("float artifact", lambda r: sheet.write_string(r, 1, "972502345681.0"), ""),
            ("scientific", lambda r: sheet.write_string(r, 1, "9.72501E+11"), ""),
            (
                "text formula",
                lambda r: sheet.write_formula(r, 1, '="050"&"2345682"', None, "0502345682"),
                "",
            ),
            (
                "number formula",
                lambda r: sheet.write_formula(r, 1, "=972502345600+83", None, 972502345683),
                "",
            ),
        ]
        for offset, (source, write_phone, birthday) in enumerate(rows):
            row = 3 + offset
            sheet.write_string(row, 0, f"Customer {offset + 1}")
            write_phone(row)
            if birthday:
                sheet.write_string(row, 2, birthday)
            sheet.write_string(row, 3, source)
        # Row 11 (index 10) stays blank; row 12 holds a real date cell.
        sheet.write_string(11, 0, "Customer 8")
        sheet.write_string(11, 1, "+972-50-234-5684")
        sheet.write_datetime(11, 2, dt.datetime(1985, 3, 4), date)
        sheet.write_string(11, 3, "date cell")
        archive = book.add_worksheet("Archive")
        archive.write_row(0, 0, ["Name", "Phone"])
        archive.write_row(1, 0, ["Archived", "0502345690"])


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        '<table:table-cell office:value-type="string">'
        f"<text:p>{escape(str(value))}</text:p></table:table-cell>"
    )


def _ods_sheet(name: str, rows: list[list[object]]) -> str:
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
        if row
        else "<table:table-row><table:table-cell/></table:table-row>"
        for row in rows
    )
    return f'<table:table table:name="{escape(name)}">{body}</table:table>'


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)


def ods_bytes() -> bytes:
    """A minimal OpenDocument spreadsheet (what LibreOffice saves), built by hand."""
    sheets = _ods_sheet(
        "Contacts",
        [
            ["Customer report"],
            [],
            ["Name", "Mobile"],
            ["number", 972502345678],
            ["text", "0502345680"],
            ["scientific", "9.72501E+11"],
        ],
    ) + _ods_sheet("Archive", [["Name", "Phone"], ["Archived", "0502345690"]])
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}>'
        f"<office:body><office:spreadsheet>{sheets}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in (
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 12, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return buffer.getvalue()


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    files = {
        **encodings(),
        **dialects(),
        **titles(),
        **structure(),
        **several(),
        **cell_text(),
        "report.ods": ods_bytes(),
    }
    for name, data in files.items():
        path = HERE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_report_xlsx(HERE / "report.xlsx")


if __name__ == "__main__":
    main()
