"""The option vocabularies of ``prepare()``, as Literal types (importing nothing heavy).

Each is public (``ap.Keep``, ``ap.PhoneFormat``, ``ap.ExtraColumns``); its values are
``typing.get_args`` of it, which the checks and the CLI's choices read.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ExtraColumns", "Keep", "PhoneFormat"]

#: Which row of a duplicated phone stays.
Keep = Literal["first", "last", "most_complete"]
#: ``+972502345678`` (E.164) or ``972502345678`` (digits, CommBox's documented example form).
PhoneFormat = Literal["e164", "digits"]
#: Columns no canonical column took: passed through, or dropped.
ExtraColumns = Literal["keep", "drop"]
