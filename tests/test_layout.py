"""The package's import layering: stages import earlier stages only, nothing imports in a circle.

The graph is read from the source with :mod:`ast`, so it counts every import: at module level,
inside functions and under ``TYPE_CHECKING``. Layers, earliest first (a module may import its own
layer and earlier ones):

0. shared leaves: ``_errors``, ``_reasons``, ``_options``, ``_text``, ``_progress``, ``_version``
1. ``_display`` (renders against Protocols, imports no stage)
2. ``_prepare`` (export -> Prepared)
3. ``_ledger`` (the local record, no HTTP)
4. ``_upload`` (bytes -> CommBox; no polars)
5. ``emulator`` (speaks the CommBox contract; no stage)
6. the public surface: ``audience_prep`` itself, ``audience_prep.polars``
7. ``cli``, ``__main__`` and ``bench`` (the only printers), which use public names only
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import audience_prep

PACKAGE = Path(audience_prep.__file__).parent

LAYERS: dict[str, int] = {
    "_errors": 0,
    "_reasons": 0,
    "_options": 0,
    "_text": 0,
    "_progress": 0,
    "_version": 0,
    "_display": 1,
    "_prepare": 2,
    "_ledger": 3,
    "_upload": 4,
    "emulator": 5,
    "": 6,  # audience_prep/__init__.py
    "polars": 6,
    "bench": 7,  # python -m audience_prep.bench: a command-line entry point
    "cli": 7,
    "__main__": 7,
}

#: The documented lazy links from an earlier layer to a later one: (importer, imported).
LAZY_LINKS = {
    # Prepared.upload(): a convenience that opens a client only when called (and its types).
    ("audience_prep._prepare.prepared", "audience_prep._upload.client"),
    ("audience_prep._prepare.prepared", "audience_prep._upload.report"),
}

#: The benchmark times internal stages by design; it is the one CLI module that may reach them.
CLI_PRIVATE_ALLOWED = {"audience_prep.cli._bench"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".")
    if MODULES[importer].name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imports(name: str) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import of our own package."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, node)
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        for target in targets:
            if target == "audience_prep" or target.startswith("audience_prep."):
                yield _known(target), node.lineno, id(node) in top


def _known(target: str) -> str:
    while target not in MODULES:
        target = target.rpartition(".")[0]
    return target


def _layer(module: str) -> int:
    rest = module.removeprefix("audience_prep").removeprefix(".")
    return LAYERS[rest.split(".")[0]]


GRAPH = {name: sorted({t for t, _, _ in _imports(name)} - {name}) for name in MODULES}


def test_every_module_has_a_layer() -> None:
    def top(module: str) -> str:
        return module.removeprefix("audience_prep").removeprefix(".").split(".")[0]

    assert [m for m in MODULES if top(m) not in LAYERS] == []


def test_no_import_circles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in GRAPH[node]:
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in MODULES:
        if module not in state:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module: str) -> None:
    wrong = [
        (target, line)
        for target, line, _ in _imports(module)
        if _layer(target) > _layer(module) and (module, target) not in LAZY_LINKS
    ]
    assert wrong == []


def test_the_lazy_links_are_lazy() -> None:
    for importer, imported in LAZY_LINKS:
        at_top = [line for t, line, top in _imports(importer) if t == imported and top]
        assert at_top == [], f"{importer} imports {imported} at module level"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == 7))
def test_cli_uses_public_names_only(module: str) -> None:
    public = ("audience_prep", "audience_prep.emulator", "audience_prep.polars")
    allowed = "audience_prep._prepare." if module in CLI_PRIVATE_ALLOWED else None
    private = [
        (target, line)
        for target, line, _ in _imports(module)
        if not target.startswith("audience_prep.cli")
        and target not in public
        and not (allowed and target.startswith(allowed))
    ]
    assert private == []


@pytest.mark.parametrize("stage", ["_upload", "_ledger", "emulator", "_display"])
def test_later_stages_do_not_import_polars_at_module_level(stage: str) -> None:
    """The uploader, the ledger and the displays load without polars (it costs ~0.2 s)."""
    offenders = []
    for name in MODULES:
        if not name.startswith(f"audience_prep.{stage}"):
            continue
        for node in TREES[name].body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if "polars" in names or module == "polars":
                    offenders.append((name, node.lineno))
    assert offenders == []


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                names.update(e.id for e in elements if isinstance(e, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            return [ast.literal_eval(e) for e in node.value.elts]
    return None


TREES = {m: ast.parse(p.read_text(encoding="utf-8")) for m, p in MODULES.items()}


@pytest.mark.parametrize(
    "module",
    sorted(m for m, p in MODULES.items() if p.name != "__init__.py" and _all(TREES[m])),
)
def test_a_modules_all_lists_only_what_it_defines(module: str) -> None:
    """A package ``__init__`` may hand names on; any other module lists only its own."""
    listed = _all(TREES[module]) or []
    assert sorted(set(listed) - _defined(TREES[module])) == []


LOGGERS = {
    "audience_prep",
    "audience_prep.client",
    "audience_prep.ledger",
    "audience_prep.emulator",
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_logger_names_are_stable(module: str) -> None:
    """Loggers are named by literal, so moving a module never renames its logs."""
    names = [
        node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        for node in ast.walk(TREES[module])
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "getLogger"
    ]
    assert [n for n in names if n not in LOGGERS] == []
