"""Synthesize the orderflow stack: `python infra/app.py` (offline, no credentials) or through `cdk deploy`.

CDK context (cdk.json, or `-c key=value` on the cdk command line, or ORDERFLOW_CONTEXT for plain synth): see
infra/README.md. cdk-nag's AwsSolutions checks run on every synth; an unacknowledged finding fails it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# `python infra/app.py` runs this file as a script: Python puts infra/ itself on the path, where infra/constructs/
# would shadow the `constructs` library CDK imports. The repository's root takes its place: `infra.constructs` and
# the other packages are imported from there.
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.context import StackSettings
from infra.nag import acknowledge
from infra.stack import OrderflowStack
from workflow.manifest import STACK_NAME

# Feature flags this app was written against (what `cdk init` would put in cdk.json), fixed here so that a plain
# `python infra/app.py` synthesizes the same template as the CDK CLI.
FEATURE_FLAGS: dict[str, Any] = {
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/core:checkSecretUsage": True,
    "@aws-cdk/core:target-partitions": ["aws", "aws-cn"],
    "@aws-cdk/aws-lambda:recognizeLayerVersion": True,
    "@aws-cdk/aws-lambda:recognizeVersionProps": True,
    "@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption": True,
    "@aws-cdk/aws-stepfunctions-tasks:useNewS3UriParametersForBedrockInvokeModelTask": True,
    "@aws-cdk/aws-kms:applyImportedAliasPermissionsToPrincipal": True,
    "@aws-cdk/aws-iam:standardizedServicePrincipals": True,
}


def new_app(outdir: str | None = None, context: dict[str, Any] | None = None, *, nag: bool = True) -> cdk.App:
    app = cdk.App(outdir=outdir, context={**FEATURE_FLAGS, **(context or {})})
    cdk.Tags.of(app).add("project", "orderflow")
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def add_stack(
    app: cdk.App, name: str = STACK_NAME, settings: StackSettings | None = None, lambda_code_dir: Path | None = None
) -> OrderflowStack:
    stack = OrderflowStack(
        app,
        name,
        settings=settings or StackSettings.from_context(app.node),
        lambda_code_dir=lambda_code_dir,
        description="orderflow: event-driven order processing (API Gateway, Step Functions, Lambda, SQS, SNS)",
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    acknowledge(stack)
    return stack


def main() -> None:
    # Plain `python infra/app.py` reads cdk.json's context as the CDK CLI would, then ORDERFLOW_CONTEXT on top.
    # Under the CLI, its context (cdk.json and -c key=value) arrives in CDK_CONTEXT_JSON and takes precedence.
    cdk_json = Path(__file__).resolve().parent.parent / "cdk.json"
    context = json.loads(cdk_json.read_text()).get("context", {}) if cdk_json.exists() else {}
    context.update(json.loads(os.environ.get("ORDERFLOW_CONTEXT") or "{}"))
    app = new_app(outdir=os.environ.get("CDK_OUTDIR") or "cdk.out", context=context)
    add_stack(app)
    app.synth()


if __name__ == "__main__":
    main()
