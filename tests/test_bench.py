"""The benchmark script runs end to end on a small export (it is not a timed test)."""

from __future__ import annotations

import re

import pytest

from audience_prep.cli import _bench


def test_benchmark_runs_every_job_and_compares_the_phone_sets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _bench.main(["--rows", "3000", "--repeat", "1", "--oracle"]) == 0

    out = capsys.readouterr().out
    for label in _bench.LABELS.values():
        assert label in out
    assert re.search(r"\(c\)/\(b\) time [0-9.]+x", out)
    assert re.search(r"\(a\)/\(c\) [0-9.]+x", out)
    assert re.search(
        r"expression job / engine job [0-9.]+x \([0-9.]+x in one chunk\); streaming / in memory",
        out,
    )
    assert re.search(r"map_elements job / expression job [0-9.]+x", out)
    assert re.search(r"header mapping at 3,000 rows: [0-9.]+ s", out)
    # Everything the naive loop keeps, prepare() keeps too (it only adds documented rules).
    assert re.search(r"only naive 0,", out)


def test_startup_section_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench.main(["--startup", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for label in _bench.STARTUP:
        assert label in out
    assert re.search(r"audience-prep prepare [0-9.]+ s \([0-9.]+x\)", out)
