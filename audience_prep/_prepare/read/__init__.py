"""Reading: any supported source becomes a ``RawTable`` of text with spreadsheet row numbers."""
