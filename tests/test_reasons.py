"""Reason codes and notes: one StrEnum each, the only place their codes are spelled."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import audience_prep as ap

PACKAGE = Path(ap.__file__).parent
CODES = {*ap.Reason, *ap.Note}


def test_reasons_and_notes_are_read_only_views_of_the_enums() -> None:
    assert dict(ap.REASONS) == {r.value: r.explanation for r in ap.Reason}
    assert dict(ap.NOTES) == {n.value: n.explanation for n in ap.Note}
    with pytest.raises(TypeError):
        ap.REASONS["duplicate"] = "changed"  # type: ignore[index]


def test_members_are_the_codes_users_filter_on() -> None:
    assert ap.Reason.DUPLICATE == "duplicate"
    assert ap.Reason("invalid_number") is ap.Reason.INVALID_NUMBER
    assert all(member.explanation.endswith(".") for member in ap.Reason)


@pytest.mark.parametrize(
    "path", sorted(p for p in PACKAGE.rglob("*.py") if p.name != "_reasons.py"), ids=str
)
def test_no_module_spells_a_code_as_a_bare_string(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in CODES
    ]
    assert bare == []
