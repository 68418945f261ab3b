"""The handlers are tested on the Python Lambda runs them on: in the handler tier (ORDERFLOW_LAMBDA_RUNTIME, set by
`make test` from workflow.manifest's PYTHON_RUNTIME), this interpreter is that version. The synthesized template's
runtime is PYTHON_RUNTIME (tests/infra), so the template and the tested interpreter agree."""

from __future__ import annotations

import os
import sys

import pytest


def test_the_handler_tier_runs_on_the_lambda_runtime_s_python() -> None:
    runtime = os.environ.get("ORDERFLOW_LAMBDA_RUNTIME")
    if runtime is None:
        pytest.skip("the handler tier sets ORDERFLOW_LAMBDA_RUNTIME; this run is the development venv's")
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
