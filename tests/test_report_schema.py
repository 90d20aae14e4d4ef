"""The reports' ``to_dict()`` shapes: typed, and shipped as JSON Schemas that stay in sync.

After an intended change to a report's fields, regenerate the shipped schemas with::

    AUDIENCE_PREP_UPDATE_SCHEMAS=1 pytest tests/test_report_schema.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest

import audience_prep as ap
from audience_prep._prepare.report import PrepReportDict, report_json_schema
from audience_prep._prepare.validation import ValidationReportDict

SAMPLE = Path(ap.__file__).parent / "data" / "sample_export.csv"
SHIPPED = Path(__file__).resolve().parents[1] / "schemas" / "json"
SHAPES: dict[str, Any] = {"prep_report": PrepReportDict, "validation_report": ValidationReportDict}


def generated(name: str) -> dict[str, Any]:
    schema = pydantic.TypeAdapter(SHAPES[name]).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://audience-prep.invalid/schemas/{name}.schema.json"
    return schema


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_shipped_schema_is_the_typed_dicts(name: str) -> None:
    path = SHIPPED / f"{name}.schema.json"
    if os.environ.get("AUDIENCE_PREP_UPDATE_SCHEMAS") == "1":
        path.write_text(json.dumps(generated(name), indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert report_json_schema(name) == generated(name)


def test_a_real_report_validates_against_its_schema() -> None:
    prepared = ap.prepare(SAMPLE, region="IL")
    data = json.loads(json.dumps(prepared.report.to_dict()))
    jsonschema.validate(data, report_json_schema("prep_report"))
    assert set(data) == set(PrepReportDict.__annotations__)
    validation = json.loads(json.dumps(ap.validate(b"phone1\n050-1234567\n").to_dict()))
    jsonschema.validate(validation, report_json_schema("validation_report"))


def test_a_report_that_lost_a_field_fails_its_schema() -> None:
    data = json.loads(json.dumps(ap.prepare(SAMPLE, region="IL").report.to_dict()))
    del data["rows_written"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, report_json_schema("prep_report"))
