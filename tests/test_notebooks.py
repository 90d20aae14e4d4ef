"""The notebooks in notebooks/ run top to bottom, and their committed outputs still hold.

How outputs are compared:

- Only cells tagged ``check`` (cell metadata ``tags``) are compared; every other cell must only
  run without error. Tag the cells whose output tells the story: counts, reasons, statuses.
- An output is reduced to text: stdout as printed; rich results by their ``text/html`` (as
  the text a reader sees, via ``html.parser``, so markup and styles may change freely), else
  their ``text/plain``. Whitespace is collapsed. stderr is not compared, and may hold nothing
  but the library's log records (``LEVEL audience_prep...: message``).
- Volatile parts are normalised before comparing: loopback ports, hex digests (sha256 and
  prefixes), ISO times, durations, temporary paths and memory addresses.

A committed notebook must also be clean: no error outputs, no machine paths, no tokens.

To refresh the committed outputs after an intended change::

    AUDIENCE_PREP_UPDATE_NOTEBOOKS=1 pytest tests/test_notebooks.py

The kernel is ipykernel's ``python3`` kernel run by *this* interpreter: its kernelspec is
written at test time to a temporary prefix put first on ``JUPYTER_PATH``, so a ``.venv``
created by ``make test`` uses itself, whatever kernels the machine has installed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
kernelspec = pytest.importorskip("jupyter_client.kernelspec")
ipykernel_spec = pytest.importorskip("ipykernel.kernelspec")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_quickstart.ipynb", "02_etl_validation_step.ipynb", "03_messy_excel.ipynb"]
UPDATE = os.environ.get("AUDIENCE_PREP_UPDATE_NOTEBOOKS") == "1"
CELL_TIMEOUT_S = 60
CHECK_TAG = "check"

VOLATILE = [
    (re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+"), r"\1:<port>"),
    (re.compile(r"(sha256\W{0,3})[0-9a-f]{12,64}\b"), r"\1<hex>"),
    (re.compile(r"\b(?=[0-9]*[a-f])[0-9a-f]{12,64}\b"), "<hex>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)?\s?(s|ms|seconds)\b"), "<duration>"),
    (re.compile(r"(/tmp|/var/folders|/private/var)/\S+"), "<tmp>"),
    (re.compile(r"\b0x[0-9a-f]+\b"), "<addr>"),
]
#: The only stderr a notebook may show: the library's own log records.
LOG_LINES = re.compile(r"((DEBUG|INFO|WARNING) audience_prep[\w.]*: [^\n]*\n)+")
#: Text a committed notebook must never hold: machine paths and credentials.
FORBIDDEN = [
    re.compile(r"/home/|/Users/|/work/|/tmp/|C:\\\\"),
    re.compile(r"Bearer\s+\S"),
    re.compile(r"COMMBOX_API_TOKEN=\S"),
]


class _Text(HTMLParser):
    """The text a reader sees in an HTML output (no style or script bodies)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")
        if tag in ("br", "tr", "p", "h3", "h4", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")
        if tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def normalise(text: str) -> str:
    """Collapse whitespace and replace the volatile parts of an output."""
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def output_text(output: dict[str, Any]) -> str:
    """One output as the text that matters (see the module docstring)."""
    if output["output_type"] == "stream":
        return normalise(_joined(output["text"]))
    if output["output_type"] == "error":
        return normalise(f"{output['ename']}: {output['evalue']}")
    data = output.get("data", {})
    if "text/html" in data:
        parser = _Text()
        parser.feed(_joined(data["text/html"]))
        return normalise("".join(parser.parts))
    return normalise(_joined(data.get("text/plain", "")))


def _joined(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def checked_outputs(notebook: Any) -> list[tuple[int, list[str]]]:
    """``(cell index, output texts)`` of every code cell tagged ``check``."""
    return [
        (index, _cell_texts(cell.get("outputs", [])))
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", [])
    ]


def _cell_texts(outputs: list[dict[str, Any]]) -> list[str]:
    """Output texts without stderr; stdout is one text however the kernel chunked it."""
    texts: list[str] = []
    stdout: list[str] = []
    for output in outputs:
        if output.get("name") == "stderr":
            continue
        if output.get("name") == "stdout":
            stdout.append(_joined(output["text"]))
            continue
        texts.append(output_text(output))
    if stdout:
        texts.insert(0, normalise("".join(stdout)))
    return texts


@pytest.fixture(scope="module")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``python3`` is ipykernel on this very interpreter, importing this checkout.

    The kernelspec is written to a temporary prefix put first on ``JUPYTER_PATH``, so no
    kernel installed on the machine can shadow it.
    """
    prefix = tmp_path_factory.mktemp("jupyter")
    ipykernel_spec.install(prefix=str(prefix), kernel_name="python3")
    saved = os.environ.get("PYTHONPATH")
    paths = [str(ROOT), *(saved.split(os.pathsep) if saved else [])]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        patch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p not in ("", ".")))
        spec = kernelspec.KernelSpecManager().get_kernel_spec("python3")
        assert spec.argv[0] == sys.executable
        yield


def execute(path: Path) -> Any:
    """Run a notebook top to bottom in its own folder; return the executed notebook."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    return notebook


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.usefixtures("jupyter_env")
def test_notebook_runs_and_checked_outputs_hold(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIENCE_PREP_LEDGER", str(tmp_path / "ledger"))  # never the user's
    path = NOTEBOOKS / name
    committed = nbformat.read(path, as_version=4)
    executed = execute(path)
    if UPDATE:
        nbformat.write(executed, path)
        committed = nbformat.read(path, as_version=4)
    expected, actual = checked_outputs(committed), checked_outputs(executed)
    assert len(expected) >= 3, "tag the cells whose outputs tell the story with 'check'"
    assert all(texts for _, texts in expected), "a checked cell has no committed output"
    for (index, want), (_, got) in zip(expected, actual, strict=True):
        assert got == want, f"{name}, cell {index}: the output changed"
    for index, cell in enumerate(executed.cells):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{name}, cell {index}"
            if output.get("name") == "stderr":
                assert LOG_LINES.fullmatch(output["text"]), (
                    f"{name}, cell {index}: {output['text']}"
                )


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_clean(name: str) -> None:
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    for pattern in FORBIDDEN:
        assert not pattern.search(text), f"{name} holds {pattern.pattern!r}"
    notebook = json.loads(text)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["execution_count"] or not cell["source"], "commit executed notebooks"
            assert not any(o["output_type"] == "error" for o in cell["outputs"])


def test_normalise_hides_volatile_parts() -> None:
    text = (
        "<UploadReport rows=15 status 200 elapsed=0.12s> at http://127.0.0.1:53121/ "
        "sha256 8f84a5c24911 2024-05-01T10:00:00.123Z /tmp/pytest-1/x.json 0x7f3a"
    )
    assert normalise(text) == (
        "<UploadReport rows=15 status 200 elapsed=<duration>> at http://127.0.0.1:<port>/ "
        "sha256 <hex> <time> <tmp> <addr>"
    )
    assert normalise("9 rows rejected") == "9 rows rejected"
