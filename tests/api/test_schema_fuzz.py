"""Schemathesis against a real `calldata serve`: no input the OpenAPI document allows (nor one it
does not) gets a 5xx or an answer the document does not describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api_helpers import cdr, store_rows
from recorded_tree import recordings_tree
from servers import served

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25  # per operation and mode: a bounded run, seconds per store


@pytest.fixture
def served_document(store_url: str, engine: Engine, tmp_path: Path) -> Iterator[schemathesis.BaseSchema]:
    """The document a running `calldata serve` publishes at /openapi.json, with rows to read and
    recordings to play."""
    store_rows(engine, [cdr(i) for i in range(5)])
    recordings = {"CALLDATA_RECORDINGS_DIR": str(recordings_tree(tmp_path / "monitor"))}
    with served(store_url, recordings) as base:
        yield schemathesis.openapi.from_url(f"{base}/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_gets_a_server_error_or_an_undocumented_answer(
    served_document: schemathesis.BaseSchema, admin_key: str, mode: GenerationMode
) -> None:
    admin = {"authorization": f"Bearer {admin_key}"}  # every operation gets past identity to its own checks
    failures: list[str] = []
    for result in served_document.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exchange(case: Case) -> None:
            case.call_and_validate(headers=admin, checks=CHECKS)

        try:
            exchange()
        except Unsatisfiable:  # nothing to get wrong: an operation with no parameters and no body
            continue
        except Exception as exc:  # every operation is tried; all that fail are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
