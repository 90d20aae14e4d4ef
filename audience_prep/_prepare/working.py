"""The names of the working columns the stages keep beside a table's own cells.

A source header equal to one of them is renamed when the table is read (``Name (2)``, see
``read.table``), so a working column never hides or doubles a cell of the export.
"""

from __future__ import annotations

from typing import Final

#: Reading: the row's number as the file shows it, its file, and its fault (UInt8): CLEAN when
#: it reads cleanly, RAGGED when its field count is not the header's, UNDECODABLE when it
#: holds bytes its encoding cannot decode, BROKEN_QUOTES when its quoting is not CSV (read
#: from its line alone). A row with a fault is rejected without being normalised.
ROW: Final = "__source_row"
FILE: Final = "__source_file"
MALFORMED: Final = "__malformed"
CLEAN: Final = 0
RAGGED: Final = 1
UNDECODABLE: Final = 2
BROKEN_QUOTES: Final = 3
#: The phone stage: the phone (null when rejected), the reason, the cell text decided on,
#: the source column it came from, the row's region (and its region cell) and the note.
PHONE: Final = "__phone"
REASON: Final = "__reason"
RAW: Final = "__raw_phone"
FROM: Final = "__phone_from"
REGION: Final = "__region"
REGION_RAW: Final = "__region_raw"
NOTE: Final = "__note"
#: The phone stage's inputs are named READ_PREFIX + their index (``__read0``, ...), and the
#: region column beside them REGION_CELL.
READ_PREFIX: Final = "__read"
REGION_CELL: Final = "__region_cell"
#: The dedupe: the source row and file of the kept row a duplicate duplicates.
DUPLICATE_OF: Final = "__duplicate_of"
DUPLICATE_OF_FILE: Final = "__duplicate_of_file"

RESERVED: Final = frozenset(
    {
        ROW,
        FILE,
        MALFORMED,
        PHONE,
        REASON,
        RAW,
        FROM,
        REGION,
        REGION_RAW,
        NOTE,
        DUPLICATE_OF,
        DUPLICATE_OF_FILE,
        REGION_CELL,
    }
)
