"""Benchmark of the phone stage: ``python -m audience_prep.bench [--rows N] [--repeat 3]``.

Generates a realistic export with a fixed seed (several countries, mixed formats, ~6% junk,
~4% duplicate rows) and times, each in its own process, median of ``--repeat`` runs:

(a) naive: pandas ``read_csv`` + ``Series.map`` of phonenumbers parse / is_valid_number /
    format E164 + ``drop_duplicates`` + ``to_csv`` (what a data scientist writes);
(b) floor: polars ``read_csv(infer_schema=False)`` + ``write_csv`` of the same file;
(c) ours:  ``audience_prep.prepare(path, region="IL").to_csv()``.

Each child is ``python -m audience_prep.bench --child JOB``, which imports the libraries every
job uses (polars, pandas, pandera, phonenumbers, and audience_prep's prepare, engine and polars
namespace, which ``import audience_prep`` leaves to first use) before the clock starts: the
times are the jobs' work, not the interpreter's imports (``--startup`` measures those).

It prints times, the ratios (a)/(c) and (c)/(b), and each child's peak RSS, then checks that
(a) and (c) keep the same set of phones, apart from the oracle's documented extra rules.
This is a script: it prints.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import phonenumbers

#: (a) and (c) run on this default region.
REGION = "IL"
_FOREIGN = ("US", "GB", "DE", "FR", "RU", "UA", "IN", "BR", "CN", "AU", "ES", "IT")
_FIRST = ("Dana", "Avi", "Yael", "Noa", "Moshe", "Sarah", "David", "Maya", "John", "Olga")
_LAST = ("Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Smith", "Ivanova", "Friedman")
_CITIES = ("Tel Aviv", "Haifa", "Jerusalem", "Beer Sheva", "Netanya", "London", "Berlin")
_JUNK = (
    "",
    "",
    "",
    "n/a",
    "-",
    "none",
    "unknown",
    "0",
    "12345",
    "050-123",
    "9.72501E+11",
    "050-1234567 ext 12",
    "050-2345678 / 052-3456789",
    "tel: 050 234 5678",
    "0501234567890123",
    "אין",
    "+999 123 456",
    "050-ABC-DEFG",
)


def _templates(region: str) -> list[str]:
    """National significant numbers of example mobile and fixed numbers of ``region``."""
    out = []
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            out.append(phonenumbers.national_significant_number(example))
    return out


_IL_SHAPES = (
    (30, "0{n}"),
    (20, "0{h}-{a}-{b}"),
    (8, "0{h}-{t}"),
    (6, "0{h} {a} {b}"),
    (3, "(0{h}) {t}"),
    (10, "+972{n}"),
    (8, "+972 {h}-{a}-{b}"),
    (6, "972{n}"),
    (3, "00972{n}"),
    (2, "972{n}.0"),
    (2, "'0{n}"),
    (2, " 0{h}.{a}.{b} "),
)
_IL_CUM = list(itertools.accumulate(w for w, _ in _IL_SHAPES))


def _il_phone(rng: random.Random) -> str:
    """An Israeli number (mostly mobile) in one of the formats exports really hold."""
    if rng.random() < 0.85:
        nsn = f"5{rng.choice('023458')}{rng.randrange(10**7):07d}"
    else:
        nsn = f"{rng.choice('23489')}{rng.randrange(2, 10)}{rng.randrange(10**6):06d}"
    tail = nsn[-7:]
    shape = rng.choices(_IL_SHAPES, cum_weights=_IL_CUM)[0][1]
    return shape.format(n=nsn, h=nsn[:-7], t=tail, a=tail[:3], b=tail[3:])


def _foreign_phone(rng: random.Random, templates: dict[str, list[str]]) -> str:
    region = rng.choice(_FOREIGN)
    nsn = rng.choice(templates[region])
    nsn = nsn[:-4] + f"{rng.randrange(10**4):04d}"
    code = phonenumbers.country_code_for_region(region)
    if rng.random() < 0.5:
        return f"+{code}{nsn}"
    return f"+{code} {nsn[:3]} {nsn[3:6]} {nsn[6:]}".rstrip()


def generate(path: Path, rows: int, *, seed: int = 20240605) -> None:
    """Write a ``rows``-row export to ``path`` (CSV, UTF-8), deterministic for ``seed``."""
    rng = random.Random(seed)
    templates = {r: _templates(r) for r in _FOREIGN}
    recent: list[str] = []
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("Customer Name,Mobile Phone,E-mail,City,Joined\n")
        for index in range(rows):
            if recent and rng.random() < 0.04:
                handle.write(rng.choice(recent))
                continue
            draw = rng.random()
            if draw < 0.06:
                phone = rng.choice(_JUNK)
            elif draw < 0.16:
                phone = _foreign_phone(rng, templates)
            else:
                phone = _il_phone(rng)
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            city = rng.choice(_CITIES)
            joined = f"2024-0{index % 9 + 1}-1{index % 10}"
            line = f'"{name}","{phone}",user{index}@example.com,{city},{joined}\n'
            handle.write(line)
            recent.append(line)
            if len(recent) > 1000:
                del recent[:500]


# --- the three measured jobs, each run in a child process --------------------------------------

PHONE_COLUMN = "Mobile Phone"


def _naive_e164(cell: Any) -> str | None:
    """What a data scientist writes: parse, is_valid_number, format E164."""
    if not isinstance(cell, str):
        return None
    try:
        number = phonenumbers.parse(cell, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _job_naive(path: Path, out: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str)
    frame["phone1"] = frame[PHONE_COLUMN].map(_naive_e164)
    frame = frame.dropna(subset=["phone1"]).drop_duplicates(subset=["phone1"])
    frame.to_csv(out, index=False)


def _job_floor(path: Path, out: Path) -> None:
    import polars as pl

    pl.read_csv(path, infer_schema=False).write_csv(out)


def _job_ours(path: Path, out: Path) -> None:
    import audience_prep as ap

    out.write_bytes(ap.prepare(path, region=REGION).to_csv())


def _job_ours_oracle(path: Path, out: Path) -> None:
    import audience_prep as ap

    out.write_bytes(ap.prepare(path, region=REGION, engine="oracle").to_csv())


def _job_engine(path: Path, out: Path) -> None:
    import polars as pl

    from audience_prep._prepare.phones.engine import normalize_series

    frame = pl.read_csv(path, infer_schema=False)
    result = normalize_series(frame[PHONE_COLUMN], REGION)
    frame.with_columns(result["phone"].alias("phone1")).write_csv(out)


def _phone_expr() -> Any:
    import polars as pl

    import audience_prep.polars  # noqa: F401  (the namespace)

    phone = pl.col(PHONE_COLUMN).phone.to_e164(region=REGION)  # type: ignore[attr-defined]
    return phone.alias("phone1")


def _job_expr(path: Path, out: Path) -> None:
    """The engine as a user's polars expression, on a frame in memory."""
    import polars as pl

    pl.read_csv(path, infer_schema=False).with_columns(_phone_expr()).write_csv(out)


def _job_expr_rechunked(path: Path, out: Path) -> None:
    """The same, on the frame put in one chunk first: polars calls the expression's function
    once per chunk (a CSV read gives dozens), and each call has a fixed cost."""
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False).rechunk()
    frame.with_columns(_phone_expr()).write_csv(out)


def _job_expr_streaming(path: Path, out: Path) -> None:
    """The same expression in polars' streaming engine, from the file to the file."""
    import polars as pl

    pl.scan_csv(path, infer_schema=False).with_columns(_phone_expr()).sink_csv(out)


def _job_map_elements(path: Path, out: Path) -> None:
    """What a polars user writes without the namespace: phonenumbers per row."""
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)
    phone = pl.col(PHONE_COLUMN).map_elements(_naive_e164, return_dtype=pl.String)
    frame.with_columns(phone.alias("phone1")).write_csv(out)


def _job_mapping(path: Path, out: Path) -> float:
    """Header understanding alone: the words and tiers of the headers, then the evidence of
    the values (the sampled checks); the file is read before the clock starts."""
    import audience_prep as ap
    from audience_prep._prepare.columns import map_columns
    from audience_prep._prepare.evidence import settle_phone_sources
    from audience_prep._prepare.read.sources import read_source

    table = read_source(path)
    started = time.perf_counter()
    schema = ap.load_schema()
    mapping = map_columns(table.headers, schema, source=str(path))
    settle_phone_sources(
        mapping, table.frame, schema, region=REGION, source=str(path), strict=False
    )
    seconds = time.perf_counter() - started
    out.write_text(",".join(mapping.phone_sources), encoding="utf-8")
    return seconds


JOBS = {
    "naive": _job_naive,
    "floor": _job_floor,
    "ours": _job_ours,
    "ours_oracle": _job_ours_oracle,
    "engine": _job_engine,
    "expr": _job_expr,
    "expr_rechunked": _job_expr_rechunked,
    "expr_streaming": _job_expr_streaming,
    "map_elements": _job_map_elements,
    "mapping": _job_mapping,
}
LABELS = {
    "naive": "(a) pandas + phonenumbers loop",
    "floor": "(b) polars read_csv + write_csv",
    "ours": "(c) prepare(path, region='IL').to_csv()",
    "ours_oracle": "    prepare(..., engine='oracle')",
    "engine": "    read_csv + normalize_series + write_csv",
    "expr": "    read_csv + .phone.to_e164 + write_csv",
    "expr_rechunked": "    read_csv + rechunk + .phone.to_e164 + write",
    "expr_streaming": "    scan_csv + .phone.to_e164 + sink_csv",
    "map_elements": "    read_csv + map_elements(phonenumbers)",
    "mapping": "    header mapping + value evidence only",
}


def _import_libraries() -> None:
    """Import what the jobs use, so no job's clock counts an import (see the module doc)."""
    import importlib

    for name in (
        "polars",
        "pandas",
        "pandera.polars",
        "phonenumbers",
        "audience_prep._prepare.pipeline",
        "audience_prep._prepare.phones.engine",
        "audience_prep.polars",
    ):
        try:
            importlib.import_module(name)
        except ImportError:  # pandas is optional
            continue


def _child(job: str, path: Path, out: Path) -> None:
    """Run one job in this process and print its time and peak RSS as JSON."""
    import resource

    runner = JOBS[job]
    _import_libraries()
    started = time.perf_counter()
    measured = runner(path, out)  # a job that times only its own part returns its seconds
    seconds = time.perf_counter() - started if measured is None else measured
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))


def _run(job: str, path: Path, out: Path, repeat: int) -> dict[str, float]:
    """Median time and the largest peak RSS of ``repeat`` child runs of ``job``."""
    runs = []
    for _ in range(repeat):
        completed = subprocess.run(
            [sys.executable, "-m", "audience_prep.bench", "--child", job, str(path), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def _phones(out: Path) -> set[str]:
    import polars as pl

    return set(pl.read_csv(out, infer_schema=False)["phone1"].drop_nulls().to_list())


def _explain(path: Path) -> dict[str, int]:
    """Unique cells where the naive loop and the oracle disagree, by the oracle's rule.

    Only cells the oracle pre-cleans, rejects or annotates can differ (elsewhere both are
    phonenumbers' plain reading), so the naive function runs on those only.
    """
    import polars as pl

    from audience_prep._prepare.phones.engine import normalize_series

    column = pl.read_csv(path, infer_schema=False)[PHONE_COLUMN]
    rows = pl.DataFrame({"raw": column}).hstack(normalize_series(column, REGION))
    cleaned = pl.col("raw").str.contains(r"\.0+$|^\s*'|[^\x00-\x7f]|(?i)^\s*(tel|callto|sms):")
    odd = rows.filter(
        pl.col("reason").is_not_null() | pl.col("note").is_not_null() | cleaned
    ).unique("raw")
    counts: dict[str, int] = {}
    for raw, phone, reason, note in odd.iter_rows():
        naive = _naive_e164(raw)
        if naive == phone:
            continue
        rule = note or (f"oracle rejects: {reason}" if reason else "the oracle's pre-cleaning")
        counts[rule] = counts.get(rule, 0) + 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(prog="python -m audience_prep.bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--skip-naive", action="store_true", help="skip the per-row phonenumbers loops"
    )
    parser.add_argument("--oracle", action="store_true", help="also time engine='oracle'")
    parser.add_argument("--jobs", help=f"comma-separated subset of {', '.join(JOBS)}")
    parser.add_argument(
        "--startup", action="store_true", help="time start-up and a 10,000-row file only"
    )
    parser.add_argument("--child", nargs=3, metavar=("JOB", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    jobs = ["floor", "engine", "expr", "expr_rechunked", "expr_streaming", "ours", "mapping"]
    if args.oracle:
        jobs.append("ours_oracle")
    if not args.skip_naive:  # the per-row loops: each takes tens of seconds at 1M rows
        jobs[:0] = ["naive", "map_elements"]
    if args.jobs:
        jobs = [job for job in args.jobs.split(",") if job in JOBS]
    if args.startup:
        with tempfile.TemporaryDirectory() as tmp:
            startup(Path(tmp), max(args.repeat, 3))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "export.csv"
        started = time.perf_counter()
        generate(source, args.rows)
        print(
            f"generated {args.rows:,} rows ({source.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - started:.1f} s; median of {args.repeat} runs each"
        )
        results = {job: _run(job, source, Path(tmp) / f"{job}.csv", args.repeat) for job in jobs}
        _report(results, args.rows)
        if "naive" in results and "ours" in results:
            _compare(source, Path(tmp))
    return 0


#: Start-up: each a fresh interpreter, timed from outside (median wall seconds).
STARTUP = {
    "python -c 'import polars'": ["-c", "import polars"],
    "python -c 'import audience_prep'": ["-c", "import audience_prep"],
    "audience-prep --help": ["-m", "audience_prep", "--help"],
    "audience-prep explain scientific_notation": [
        "-m",
        "audience_prep",
        "explain",
        "scientific notation",
    ],
    "audience-prep emulator --help": ["-m", "audience_prep", "emulator", "--help"],
}
_POLARS_COPY = (
    "import polars as pl, sys; pl.read_csv(sys.argv[1], infer_schema=False).write_csv(sys.argv[2])"
)


def _wall(args: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def startup(tmp: Path, repeat: int) -> None:
    """Start-up and a small file end to end: what a CLI user waits for."""
    small, out = tmp / "small.csv", tmp / "small_out.csv"
    generate(small, 10_000)
    print(f"start-up (wall seconds, median of {repeat}):")
    for label, args in STARTUP.items():
        print(f"  {label:44s} {_wall(args, repeat):6.2f}")
    floor = _wall(["-c", _POLARS_COPY, str(small), str(out)], repeat)
    ours = _wall(
        ["-m", "audience_prep", "prepare", str(small), "--region", REGION, "-o", str(out), "-q"],
        repeat,
    )
    print(
        f"  10,000-row file: polars read+write process {floor:.2f} s, audience-prep prepare "
        f"{ours:.2f} s ({ours / floor:.1f}x)"
    )


def _report(results: dict[str, dict[str, float]], rows: int) -> None:
    print(f"{'job':46s} {'seconds':>9s} {'rows/s':>12s} {'peak RSS MiB':>13s}")
    for job, r in results.items():
        rate = rows / r["seconds"]
        print(f"{LABELS[job]:46s} {r['seconds']:9.2f} {rate:12,.0f} {r['peak_mb']:13.0f}")
    if "floor" not in results:
        return
    floor = results["floor"]
    ours = results.get("ours") or results["engine"]
    print(
        f"(c)/(b) time {ours['seconds'] / floor['seconds']:.1f}x (target <= 3), "
        f"RSS {ours['peak_mb'] / floor['peak_mb']:.1f}x (target <= 3)"
    )
    if rows >= 10_000_000:
        peak = ours["peak_mb"] * 2**20
        verdict = "met" if peak < 4e9 else "NOT met"
        print(
            f"(c) peak RSS {peak / 1e9:.2f} GB = {peak / 2**30:.2f} GiB "
            f"(target at 10M rows: under 4 GB, {verdict})"
        )
    if "expr" in results and "engine" in results:
        expr = results["expr"]["seconds"]
        line = f"expression job / engine job {expr / results['engine']['seconds']:.2f}x"
        if "expr_rechunked" in results:
            one = results["expr_rechunked"]["seconds"] / results["engine"]["seconds"]
            line += f" ({one:.2f}x in one chunk)"
        if "expr_streaming" in results:
            streaming = results["expr_streaming"]["seconds"]
            line += f"; streaming / in memory {streaming / expr:.2f}x"
        if "map_elements" in results:
            loop = results["map_elements"]["seconds"]
            line += f"; map_elements job / expression job {loop / expr:.1f}x"
        print(line)
    if "mapping" in results:
        mapping = results["mapping"]["seconds"]
        print(f"header mapping at {rows:,} rows: {mapping:.3f} s (target: 0.05 s at most)")
    if "naive" in results and "ours" in results and "engine" in results:
        naive = results["naive"]["seconds"]
        print(
            f"(a)/(c) {naive / ours['seconds']:.1f}x (target >= 50); "
            f"(a)/engine job {naive / results['engine']['seconds']:.1f}x"
        )


def _compare(source: Path, tmp: Path) -> None:
    naive, ours = _phones(tmp / "naive.csv"), _phones(tmp / "ours.csv")
    print(
        f"phone1 sets: naive {len(naive):,}, ours {len(ours):,}, "
        f"only naive {len(naive - ours):,}, only ours {len(ours - naive):,}"
    )
    for rule, count in _explain(source).items():
        print(f"  unique cells where they differ because of {rule}: {count:,}")


if __name__ == "__main__":
    sys.exit(main())
