"""The compiled definitions, both workflow types in both query languages, pass the npm asl-validator (AWS's
schema for States Language, JSONata and variables included), as a second opinion beside workflow.asl.check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workflow import asl
from workflow.definition import QUERY_LANGUAGES
from workflow.manifest import MANIFEST
from workflow.ops.local_names import LocalNames

# Installed by make into the venv, from infra/asl-validator's lock.
VALIDATOR = Path(sys.prefix) / "asl-validator" / "node_modules" / ".bin" / "asl-validator"

pytestmark = pytest.mark.skipif(not VALIDATOR.exists(), reason="the npm asl-validator is not installed (needs npm)")


def validate(definition: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "definition.asl.json"
    path.write_text(definition, encoding="utf-8")
    return subprocess.run(
        [str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False, timeout=60
    )


def deployable(workflow_type: str, query_language: str) -> str:
    """The definition with its placeholders filled as a deployment fills them (ARNs, names, the partition)."""
    names = LocalNames()
    values = {name: names.resolve(ref) or "" for name, ref in MANIFEST.substitutions.items()}
    return asl.substitute(asl.compile_order_workflow(workflow_type, query_language), values)


@pytest.mark.parametrize("query_language", QUERY_LANGUAGES)
@pytest.mark.parametrize("workflow_type", asl.WORKFLOW_TYPES)
def test_the_compiled_definition_is_valid_asl(workflow_type: str, query_language: str, tmp_path: Path) -> None:
    checked = validate(deployable(workflow_type, query_language), tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_validator_refuses_a_jsonpath_field_in_a_jsonata_state(tmp_path: Path) -> None:
    """It can fail: Parameters beside Arguments in a JSONata Task is no valid state."""
    definition = json.loads(deployable("STANDARD", "JSONata"))
    definition["States"]["ValidateOrder"]["Parameters"] = {"Payload.$": "$"}
    checked = validate(json.dumps(definition), tmp_path)
    assert checked.returncode != 0
    assert "/States/ValidateOrder" in checked.stdout + checked.stderr
