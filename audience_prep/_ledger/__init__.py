"""The local record of replacements: entries (``ledger``), their statuses and which one is the
audience's current state (``entries``), member diffs (``diff``), files and locks (``files``)
and what an upload records (``plan``). No HTTP in here."""
