"""The public surface: a complete, sorted __all__."""

from __future__ import annotations

import audience_prep as ap


def test_all_is_sorted_and_unique() -> None:
    assert ap.__all__ == sorted(ap.__all__, key=lambda n: (not n.isupper(), n))
    assert len(set(ap.__all__)) == len(ap.__all__)


def test_all_names_exist() -> None:
    for name in ap.__all__:
        assert hasattr(ap, name), name


def test_every_public_exception_is_exported() -> None:
    from audience_prep import _errors

    exceptions = {
        name
        for name, value in vars(_errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert exceptions <= set(ap.__all__)


def test_every_exception_derives_from_the_root_and_has_a_docstring() -> None:
    for name in ap.__all__:
        value = getattr(ap, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, ap.AudiencePrepError), name
            assert value.__doc__, name
            assert value.__doc__.strip(), name


def test_public_names_are_documented_with_docstrings() -> None:
    for name in ("prepare", "normalize_phone", "load_schema", "Prepared", "PrepReport"):
        assert getattr(ap, name).__doc__
