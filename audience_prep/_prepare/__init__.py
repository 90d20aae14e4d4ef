"""Export in, ``Prepared`` out: the stages of :func:`audience_prep.prepare`.

``read/`` turns a source into a table of text, ``columns`` maps its headers onto the schema,
``phones/`` fills ``phone1`` (the oracle and its vectorised engine), ``dedupe`` and ``rejects``
account for every dropped row, and ``pipeline`` runs them in order. Nothing here imports the
uploader or the ledger at module level (``Prepared.upload`` is the one lazy link).
"""
