"""The declared ``<dimension>`` of an XLSX sheet is used only once the sheet's XML is searched
and nothing in it could place a cell outside the box (``read/dimension.py``). Every case
that the quick check cannot vouch for goes on to the scans that read every reference; the
answer is the same, only slower.
"""

from __future__ import annotations

import hostile
import pytest

from audience_prep._prepare.read.dimension import verified_size
from audience_prep._prepare.read.limits import SheetSize


def sheet(cells: str, dimension: str = "A1:AD200001") -> bytes:
    return hostile.sheet_xml(f'<row r="1">{cells}</row>', dimension=dimension)


INSIDE = [
    '<c r="A1" t="s"><v>0</v></c>',
    '<c r="AD200001"><v>1</v></c>',
    '<c r="Z199999"><v>1</v></c>',
    '<c r="AC200001" s="3"/>',
    '<c r="ad9"><v>1</v></c>',  # lower case, as the reader accepts it
    "<cols><col min='1' max='3'/></cols>",  # not a cell
]

OUTSIDE = [
    '<c r="AE1"><v>1</v></c>',  # one column past AD
    '<c r="BA1"><v>1</v></c>',
    '<c r="AAA1"><v>1</v></c>',
    '<c r="ae1"><v>1</v></c>',
    '<c r="A200002"><v>1</v></c>',  # one row past
    '<c r="A300000"><v>1</v></c>',
    '<c r="A1000000"><v>1</v></c>',
    '<c r="A0000001"><v>1</v></c>',  # leading zeros: not vouched for
]

IRREGULAR = [
    '<c s="1" r="A1"><v>1</v></c>',  # r not first
    "<c r='A1'><v>1</v></c>",  # single quotes
    "<c><v>1</v></c>",  # no r
    '<c\tr="A1"><v>1</v></c>',
    '<x:c r="A1"><x:v>1</x:v></x:c>',  # a namespace prefix
    '<c r="&#65;1"><v>1</v></c>',  # a character reference
    '<!-- <c r="XFD9"> --><c r="A1"><v>1</v></c>',
    '<c r="A1"><is><t><![CDATA[x]]></t></is></c>',
    '<?pi x?><c r="A1"><v>1</v></c>',
]


@pytest.mark.parametrize("cells", INSIDE)
def test_cells_inside_the_declared_box_are_vouched_for(cells: str) -> None:
    xml = sheet(cells)

    size = verified_size([xml])

    assert size == SheetSize(rows=200_001, columns=30, cells=len(xml) // 16)


@pytest.mark.parametrize("cells", OUTSIDE + IRREGULAR)
def test_anything_that_could_lie_outside_the_box_is_not(cells: str) -> None:
    assert verified_size([sheet(cells)]) is None


def test_a_cell_cut_by_the_end_of_a_chunk_is_still_seen() -> None:
    xml = sheet('<c r="A1"><v>1</v></c>' * 100 + '<c r="ZZ9"><v>1</v></c>')
    cut = xml.index(b"ZZ9") - 3

    assert verified_size([xml[:cut], xml[cut:]]) is None


@pytest.mark.parametrize(
    "dimension",
    ["", "A1:XFD1048576", "a1:b2"],
    ids=["none", "past-the-area-limit", "lower-case"],
)
def test_without_a_usable_box_the_sheet_is_read_reference_by_reference(dimension: str) -> None:
    xml = hostile.sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', dimension=dimension)
    if not dimension:
        xml = xml.replace(b'<dimension ref=""/>', b"")

    assert verified_size([xml]) is None
