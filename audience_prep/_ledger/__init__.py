"""The local record of replacements: entries (``ledger``), member diffs (``diff``), files and
locks (``files``) and what an upload records (``plan``). No HTTP in here."""
