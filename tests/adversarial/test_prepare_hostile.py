"""Hostile shapes for the prepare stages (issue 14): wide files stay linear, and so on.

Each runs in a subprocess with a time limit and an address-space limit, so a regression fails
the test instead of hanging or killing pytest.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

TIME_LIMIT_S = 60
MEMORY_LIMIT = 3 * 1024**3


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_bounded(code: str) -> str:
    """Run ``code`` in a fresh interpreter within the limits; return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_ten_thousand_columns_are_prepared_in_bounded_time() -> None:
    """Each column costs the same however wide the file (it took 90 s when a per-column step
    copied the frame)."""
    out = run_bounded(
        """
        import audience_prep as ap
        columns = 10_000
        header = ["Phone"] + [f"c{i}" for i in range(columns - 1)]
        rows = [",".join([f"050-234-56{r:02d}"] + [f"v{r}"] * (columns - 1)) for r in range(50)]
        data = ("\\n".join([",".join(header), *rows]) + "\\n").encode()
        prepared = ap.prepare(data, region="IL")
        print(prepared.report.rows_written, prepared.frame.width)
        """
    )
    assert out.split() == ["50", "10000"]
