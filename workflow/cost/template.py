"""The billing facts of a synthesized CloudFormation template: memory and architecture per function, the workflow
type, the state machine's logging and tracing, and what is billed by the month (alarms, dashboards, keys, secrets).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflow.asl import compile_order_workflow, invoked_functions
from workflow.cost.model import Facts, FunctionFacts
from workflow.manifest import MANIFEST, Manifest, QueueTrigger

REPO = Path(__file__).resolve().parents[2]


def synthesize(workflow_type: str, out: Path) -> Path:
    """The CDK app's template for one workflow type (offline, as `make synth` does)."""
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        "ORDERFLOW_CONTEXT": json.dumps({"workflowType": workflow_type}),
    }
    subprocess.run(  # noqa: S603 - this interpreter, the repository's own CDK app
        [sys.executable, str(REPO / "infra" / "app.py")], cwd=REPO, env=environment, check=True, capture_output=True
    )
    return out / "orderflow.template.json"


def templates(directory: str | None) -> dict[str, dict[str, Any]]:
    """STANDARD's and EXPRESS's templates: read from `directory` (<TYPE>.template.json), or synthesized now."""
    found = {}
    for workflow_type in ("STANDARD", "EXPRESS"):
        if directory:
            path = Path(directory) / f"{workflow_type.lower()}.template.json"
        else:
            path = synthesize(workflow_type, Path(tempfile.mkdtemp(prefix=f"orderflow-{workflow_type.lower()}-")))
        found[workflow_type] = json.loads(path.read_text(encoding="utf-8"))
    return found


def invoked_by_workflow(manifest: Manifest = MANIFEST) -> frozenset[str]:
    """The functions the state machine's Tasks invoke (from the compiled ASL)."""
    return frozenset(invoked_functions(compile_order_workflow(), manifest.substitutions))


def facts(template: Mapping[str, Any], manifest: Manifest = MANIFEST) -> Facts:
    resources = template["Resources"].values()
    by_handler = {f.handler: f.name for f in manifest.functions}
    functions = {}
    for resource in resources:
        if resource["Type"] == "AWS::Lambda::Function" and resource["Properties"].get("Handler") in by_handler:
            properties = resource["Properties"]
            functions[by_handler[properties["Handler"]]] = FunctionFacts(
                memory_mb=int(properties.get("MemorySize", 128)),
                architecture=(properties.get("Architectures") or ["x86_64"])[0],
                system_log_level=str((properties.get("LoggingConfig") or {}).get("SystemLogLevel", "INFO")),
            )
    (machine,) = [r["Properties"] for r in resources if r["Type"] == "AWS::StepFunctions::StateMachine"]
    logging = machine.get("LoggingConfiguration") or {}
    workflow_functions = invoked_by_workflow(manifest)

    def count(kind: str) -> int:
        return sum(1 for r in resources if r["Type"] == kind)

    return Facts(
        workflow_type=str(machine.get("StateMachineType", "STANDARD")),
        functions=functions,
        workflow_functions=workflow_functions,
        queue_functions=frozenset(f.name for f in manifest.functions if isinstance(f.trigger, QueueTrigger)),
        log_level=str(logging.get("Level", "OFF")),
        log_execution_data=bool(logging.get("IncludeExecutionData", False)),
        tracing=bool((machine.get("TracingConfiguration") or {}).get("Enabled", False)),
        alarms=count("AWS::CloudWatch::Alarm"),
        dashboards=count("AWS::CloudWatch::Dashboard"),
        kms_keys=count("AWS::KMS::Key"),
        secrets=count("AWS::SecretsManager::Secret"),
    )
