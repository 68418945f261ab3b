"""The Lambda functions of the manifest: one package (the `handlers` package alone), the Powertools layer, and per
function its log group, its own role, its environment, what its manifest `access` grants and its trigger.

The API's routes are added with the API (infra/constructs/api.py); everything else about a function is here.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION
from constructs import Construct

from infra import permissions
from infra.constructs.references import References
from workflow.manifest import PYTHON_RUNTIME, Function, HttpRoutes, Manifest, QueueTrigger, Setting, StateMachineArn

REPO = Path(__file__).resolve().parents[2]
RUNTIME = lambda_.Runtime(PYTHON_RUNTIME, lambda_.RuntimeFamily.PYTHON)
# Powertools publishes its layer's ARN per region as a public SSM parameter; pinning the path to the version we
# test with (requirements.lock) deploys exactly that release, resolved by CloudFormation at deploy time.
POWERTOOLS_LAYER_PARAMETER = f"/aws/service/powertools/python/arm64/{PYTHON_RUNTIME}/{POWERTOOLS_VERSION}"


def stage_lambda_code(out: Path) -> Path:
    """The Lambda package: our `handlers` package alone (boto3 comes with the runtime, Powertools as a layer)."""
    target = out / "handlers"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "handlers", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return out


def add_functions(
    scope: Construct,
    manifest: Manifest,
    refs: References,
    *,
    retention: logs.RetentionDays,
    system_log_level: str,
    function_settings: Mapping[str, str],
    code_dir: Path,
    powertools_layer_arn: str | None = None,
) -> dict[str, lambda_.Function]:
    """Every function, with the environment that can be resolved before the state machine exists. The Powertools
    layer is the release of requirements.lock, by its public SSM parameter, unless the operator pins a layer ARN
    (context powertoolsLayerArn): a per-version parameter can go missing, and exists only where Powertools
    publishes, and CloudFormation resolves it halfway through the change set."""
    code = lambda_.Code.from_asset(str(stage_lambda_code(code_dir)))
    powertools = lambda_.LayerVersion.from_layer_version_arn(
        scope,
        "PowertoolsLayer",
        powertools_layer_arn or ssm.StringParameter.value_for_string_parameter(scope, POWERTOOLS_LAYER_PARAMETER),
    )
    return {
        f.name: _function(scope, f, refs, code, powertools, _Logs(retention, system_log_level), function_settings)
        for f in manifest.functions
    }


@dataclass(frozen=True)
class _Logs:
    retention: logs.RetentionDays
    # Lambda's own START, END and REPORT lines are INFO: at WARN they are not written (Duration and Errors stay
    # CloudWatch metrics; REPORT's "Max Memory Used" is then only seen by setting lambdaSystemLogLevel=INFO).
    system_level: str


def _function(
    scope: Construct,
    function: Function,
    refs: References,
    code: lambda_.Code,
    layer: lambda_.ILayerVersion,
    logged: _Logs,
    function_settings: Mapping[str, str],
) -> lambda_.Function:
    name = function.name
    log_group = logs.LogGroup(
        scope, f"{name}Logs", retention=logged.retention, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    role = iam.Role(
        scope,
        f"{name}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"orderflow {name}: its own log group, X-Ray, and infra/permissions.py",
    )
    log_group.grant(role, "logs:CreateLogStream", "logs:PutLogEvents")
    environment = {"POWERTOOLS_SERVICE_NAME": "orderflow"}
    for key, ref in function.environment.items():
        if isinstance(ref, Setting):
            if ref.name in function_settings:
                environment[key] = function_settings[ref.name]
        elif not isinstance(ref, StateMachineArn):
            environment[key] = refs.value_of(ref)
    return lambda_.Function(
        scope,
        name,
        description=f"orderflow {name} ({function.handler})",
        runtime=RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        handler=function.handler,
        code=code,
        layers=[layer],
        timeout=cdk.Duration.seconds(function.timeout),
        memory_size=function.memory,
        environment=environment,
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        system_log_level_v2=lambda_.SystemLogLevel[logged.system_level],
        tracing=lambda_.Tracing.ACTIVE,
    )


def connect_functions(manifest: Manifest, refs: References) -> None:
    """Once the state machine exists: the environment that refers to it, each function's grants, its trigger."""
    for function in manifest.functions:
        for key, ref in function.environment.items():
            if isinstance(ref, StateMachineArn):
                refs.functions[function.name].add_environment(key, refs.value_of(ref))
    for function in manifest.functions:
        fn = refs.functions[function.name]
        refs.grant(fn.role, permissions.function_grants(function))
        _trigger(fn, function, refs)


def _trigger(fn: lambda_.Function, function: Function, refs: References) -> None:
    match function.trigger:
        case QueueTrigger(queue, batch_size, batch_window, max_concurrency):
            fn.add_event_source(
                event_sources.SqsEventSource(
                    refs.queues[queue],
                    batch_size=batch_size,
                    max_batching_window=cdk.Duration.seconds(batch_window) if batch_window else None,
                    max_concurrency=max_concurrency or None,
                    report_batch_item_failures=True,
                )
            )
        case HttpRoutes() | None:
            pass  # the API routes are added with the API
