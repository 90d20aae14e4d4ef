"""Prepared: a validated audience, its rejects and its report, and its CSV bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from audience_prep._prepare.formulas import defuse_formulas
from audience_prep._prepare.report import PrepReport

if TYPE_CHECKING:
    from audience_prep._display import Html
    from audience_prep._upload.client import CommBoxClient
    from audience_prep._upload.report import UploadReport

__all__ = ["Prepared", "write_csv"]


@dataclass(frozen=True, slots=True, repr=False)
class Prepared:
    """A validated audience, its rejects and its report.

    ``frame`` is the audience (phone column first, source order); ``rejected`` holds every
    dropped row with ``source_file``, ``source_row``, ``raw_phone``, ``reason``, ``message``,
    ``duplicate_of`` and the row's original cells.
    """

    frame: pl.DataFrame
    rejected: pl.DataFrame
    report: PrepReport
    _csv: bytes = field(repr=False)

    def to_csv(self, *, line_terminator: str = "\n") -> bytes:
        """The audience as CSV bytes: UTF-8, header row, RFC 4180 quoting, deterministic."""
        if line_terminator == "\n":
            return self._csv
        return write_csv(self.frame, line_terminator=line_terminator)

    def rejected_csv(self, *, bom: bool = False) -> bytes:
        """The rejected rows as CSV bytes, for people to open in a spreadsheet.

        Every cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP's advice;
        see ``_prepare.formulas``), whatever ``quote_formulas`` was: these cells are the
        export's own. ``bom=True`` starts the file with a UTF-8 byte order mark, which Excel
        needs to read UTF-8 (Hebrew, accents) right.
        """
        safe, _ = defuse_formulas(self.rejected)
        return (b"\xef\xbb\xbf" if bom else b"") + write_csv(safe)

    def write_csv(self, path: str | Path) -> Path:
        """Write :meth:`to_csv` to ``path`` and return it."""
        target = Path(path)
        target.write_bytes(self._csv)
        return target

    def upload(
        self,
        audience_id: str,
        client: CommBoxClient | None = None,
        *,
        dry_run: bool = False,
        allow_empty: bool = False,
        max_rejected_share: float = 0.5,
        max_removed_share: float = 0.3,
        min_rows: int = 0,
        allow_shrink: bool = False,
    ) -> UploadReport:
        """Replace CommBox audience ``audience_id`` with this audience.

        The same as ``client.replace_audience(audience_id, prepared, ...)`` (see
        ``CommBoxClient`` for the guards); without ``client``, a ``CommBoxClient()`` configured
        from the environment is opened for this one upload. This is the one place the prepare
        stage reaches the uploader, imported only when called.
        """
        from audience_prep._upload.client import CommBoxClient

        def send(to: CommBoxClient) -> UploadReport:
            return to.replace_audience(
                audience_id,
                self,
                dry_run=dry_run,
                allow_empty=allow_empty,
                max_rejected_share=max_rejected_share,
                max_removed_share=max_removed_share,
                min_rows=min_rows,
                allow_shrink=allow_shrink,
            )

        if client is not None:
            return send(client)
        with CommBoxClient() as own:
            return send(own)

    def rejected_summary(self, *, examples: int = 3, show_phones: bool = False) -> pl.DataFrame:
        """Rejects by reason: ``reason``, ``count``, ``share`` (of rows read), ``examples``.

        Largest first; each example is ``row N: message`` with phones masked (``+97250***5678``)
        unless ``show_phones=True``.
        """
        from audience_prep._display import rejected_summary

        return rejected_summary(
            self.rejected, self.report.rows_read, examples=examples, show_phones=show_phones
        )

    def to_html(self, *, show_phones: bool = False, examples: int = 3) -> Html:
        """The notebook view as an HTML string: report, rejects by reason, a few examples each."""
        from audience_prep._display import Html, prepared_html

        return Html(prepared_html(self, show_phones=show_phones, examples=examples))

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return (
            f"<Prepared {self.report.rows_written} rows written, "
            f"{self.report.rows_rejected} rejected of {self.report.rows_read} read "
            f"from {self.report.source}>"
        )


def write_csv(frame: pl.DataFrame, *, line_terminator: str = "\n") -> bytes:
    """Deterministic CSV bytes of ``frame``: UTF-8, header row, quoting only where needed."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, line_terminator=line_terminator, quote_style="necessary")
    return buffer.getvalue()
