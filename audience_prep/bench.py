"""``python -m audience_prep.bench``: the benchmark (the code lives in ``cli._bench``, since only
the command-line layer prints)."""

from __future__ import annotations

import sys

from audience_prep.cli._bench import main

if __name__ == "__main__":
    sys.exit(main())
