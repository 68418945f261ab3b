"""The OpenAPI document: valid OpenAPI 3.1, committed as generated, and naming exactly the handler's routes."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from handlers.domain.contract import ROUTES
from workflow.openapi import document, to_json

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(document())
    assert document()["openapi"] == "3.1.0"


def test_the_committed_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == to_json(document()), "stale docs/openapi.json: run `make openapi`"


def test_it_names_exactly_the_handler_s_routes() -> None:
    documented = {f"{method.upper()} {path}" for path, item in document()["paths"].items() for method in item}
    assert documented == set(ROUTES)


def test_every_operation_documents_its_problem_answers() -> None:
    for item in document()["paths"].values():
        for operation in item.values():
            responses = operation["responses"]
            assert {"405", "503", "default"} <= set(responses)
            for status, response in responses.items():
                if status.startswith(("4", "5")) or status == "default":
                    assert list(response["content"]) == ["application/problem+json"], status
    assert json.dumps(document()).count("X-Correlation-Id") >= 5
