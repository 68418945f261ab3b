"""One synth of the CDK app per test session (with cdk-nag), shared by the infra tests: synth costs seconds."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Synth:
    outdir: Path
    standard: dict[str, Any]
    express: dict[str, Any]


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from infra.app import add_stack, new_app
    from infra.context import StackSettings

    outdir = tmp_path_factory.mktemp("cdk.out")
    # Each xdist worker synthesizes: each stages the Lambda package in its own directory, not in build/lambda.
    code = tmp_path_factory.mktemp("lambda")
    app = new_app(outdir=str(outdir))
    add_stack(app, "orderflow", StackSettings(), lambda_code_dir=code)
    add_stack(
        app,
        "orderflow-express",
        StackSettings(
            workflow_type="EXPRESS",
            oidc_issuer="https://issuer.example.com/",
            oidc_audience=("orders-api",),
            alert_emails=("oncall@example.com",),
            log_retention_days=90,
            lambda_system_log_level="INFO",
            function_settings={
                "ALERT_TARGETS": "slack,email",
                "ALERT_EMAIL_FROM": "alerts@example.com",
                "ALERT_EMAIL_TO": "oncall@example.com",
            },
        ),
        lambda_code_dir=code,
    )
    app.synth()  # runs cdk-nag's AwsSolutions checks: an unacknowledged finding raises here
    return Synth(
        outdir,
        json.loads((outdir / "orderflow.template.json").read_text()),
        json.loads((outdir / "orderflow-express.template.json").read_text()),
    )


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(template, kind)
    assert len(found) == 1, f"{len(found)} {kind}"
    return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]
