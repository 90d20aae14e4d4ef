"""Phones: the oracle (``oracle``, the readable definition) and the vectorised engine that must
agree with it on every input (``engine`` and its parts), and the phone stage (``normalize``)."""
