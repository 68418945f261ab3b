"""Deploy pre-flight against the local AWS endpoint (moto), as it runs against an account before `cdk deploy`."""

from __future__ import annotations

import datetime
import json
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.ssm.models import Parameter, ssm_backends

from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER
from infra.context import StackSettings
from infra.preflight import BOOTSTRAP_QUALIFIER, Check, main, preflight, required_bootstrap_version
from workflow.local.runtime import LocalRuntime
from workflow.ops.local_names import ACCOUNT

REGION = "eu-south-2"  # a region the local system does not use: nothing else is there
LAYER = "arn:aws:lambda:eu-south-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:9"
# What the synthesized template's CheckBootstrapVersion rule holds (DefaultStackSynthesizer): it refuses 1..5.
RULES = {
    "CheckBootstrapVersion": {
        "Assertions": [
            {"Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]}}
        ]
    }
}


def publish(name: str, value: str) -> None:
    """A parameter AWS itself publishes (the /aws/ namespace, which PutParameter refuses, on AWS and in moto)."""
    ssm_backends[ACCOUNT][REGION]._parameters[name].append(
        Parameter(ACCOUNT, name, value, "String", None, None, None, datetime.datetime.now(datetime.UTC), 1, "text")
    )


@pytest.fixture(scope="module")
def session(runtime: LocalRuntime) -> tuple[Any, str]:
    endpoint = runtime.aws_endpoint or runtime.serve_aws(port=0)
    return boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION), endpoint


@pytest.fixture
def assembly(tmp_path: Path) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "48.0.0"}))
    (tmp_path / "orderflow.template.json").write_text(json.dumps({"Rules": RULES, "Resources": {}}))
    return tmp_path


def cli(returncode: int, stderr: str = "") -> Any:
    def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        assert list(command)[-3:-1] == ["ls", "--app"]
        return subprocess.CompletedProcess(list(command), returncode, "", stderr)

    return run


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_a_region_without_the_layer_parameter_or_bootstrap_fails_with_how_to_fix(
    session: tuple[Any, str], assembly: Path
) -> None:
    aws, endpoint = session
    checks = by_name(
        preflight(aws, endpoint=endpoint, settings=StackSettings(), assembly=assembly, cdk=["cdk"], run=cli(0))
    )
    assert checks["Powertools layer"].status == "FAIL"
    assert POWERTOOLS_LAYER_PARAMETER in checks["Powertools layer"].detail
    assert "powertoolsLayerArn" in checks["Powertools layer"].fix
    assert checks["Lambda runtime"].status == "skip"
    assert checks["CDK bootstrap"].status == "FAIL"
    assert "bootstrap aws://" in checks["CDK bootstrap"].fix
    assert checks["secrets"].status == "skip"  # no stack yet: the deploy creates them
    assert checks["CDK CLI"].status == "ok"


def test_a_ready_region_passes_and_the_secrets_of_a_deployed_stack_are_checked(
    session: tuple[Any, str], assembly: Path
) -> None:
    aws, endpoint = session
    publish(POWERTOOLS_LAYER_PARAMETER, LAYER)
    ssm = aws.client("ssm", endpoint_url=endpoint)
    ssm.put_parameter(Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value="4", Type="String", Overwrite=True)
    checks = by_name(preflight(aws, endpoint=endpoint, settings=StackSettings(), assembly=assembly))
    assert checks["CDK bootstrap"].status == "FAIL"  # bootstrapped, but older than the template requires
    assert "requires 6" in checks["CDK bootstrap"].detail
    ssm.put_parameter(Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value="27", Type="String", Overwrite=True)

    # A deployed stack names its secrets in its outputs; the deploy gave them random placeholder values.
    stack = f"orderflow-{uuid.uuid4().hex[:6]}"
    secrets = aws.client("secretsmanager", endpoint_url=endpoint)
    arns = {
        key: secrets.create_secret(Name=f"{stack}/{key}", SecretString=uuid.uuid4().hex)["ARN"]
        for key in ("SlackWebhookSecretArn", "AlertWebhookSecretArn")
    }
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": arn} for key, arn in arns.items()},
    }
    aws.client("cloudformation", endpoint_url=endpoint).create_stack(StackName=stack, TemplateBody=json.dumps(template))
    checks = by_name(preflight(aws, endpoint=endpoint, stack=stack, settings=StackSettings(), assembly=assembly))
    assert checks["Powertools layer"].status == "ok"
    assert checks["Lambda runtime"].status == "ok"
    assert checks["CDK bootstrap"].status == "ok"
    secret = checks["secret slack-webhook"]
    assert secret.status == "WARN"  # the deploy's placeholder: alerts are only logged
    assert "put-secret-value" in secret.fix

    for arn in arns.values():
        secrets.put_secret_value(SecretId=arn, SecretString="https://hooks.example/T0/B0")
    checks = by_name(preflight(aws, endpoint=endpoint, stack=stack, settings=StackSettings(), assembly=assembly))
    assert checks["secret slack-webhook"].status == "ok"
    assert all(c.status in ("ok", "skip") for c in checks.values()), [c.line() for c in checks.values()]


def test_a_pinned_layer_is_checked_instead_of_the_parameter(session: tuple[Any, str], assembly: Path) -> None:
    aws, endpoint = session
    missing = StackSettings(powertools_layer_arn=LAYER)
    checks = by_name(preflight(aws, endpoint=endpoint, settings=missing, assembly=assembly))
    assert checks["Powertools layer"].status == "FAIL"
    assert LAYER in checks["Powertools layer"].detail
    published = aws.client("lambda", endpoint_url=endpoint).publish_layer_version(
        LayerName="powertools-pinned",
        Content={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        CompatibleRuntimes=["python3.12"],
    )["LayerVersionArn"]
    checks = by_name(preflight(aws, endpoint=endpoint, settings=StackSettings(powertools_layer_arn=published),
                               assembly=assembly))  # fmt: skip
    assert checks["Powertools layer"].status == "ok"
    assert checks["Lambda runtime"].status == "FAIL"  # published for python3.12 only
    assert "python3.14" in checks["Lambda runtime"].fix


def test_a_cli_older_than_the_library_is_refused(session: tuple[Any, str], assembly: Path) -> None:
    aws, endpoint = session
    said = "This CDK CLI is not compatible with the CDK library used by your application (schema version mismatch)"
    checks = by_name(preflight(aws, endpoint=endpoint, settings=StackSettings(), assembly=assembly, cdk=["cdk"],
                               run=cli(1, said)))  # fmt: skip
    assert checks["CDK CLI"].status == "FAIL"
    assert "not compatible" in checks["CDK CLI"].detail
    assert "Makefile" in checks["CDK CLI"].fix


def test_the_command_exits_1_on_a_failure_and_prints_a_line_per_check(
    session: tuple[Any, str], assembly: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, endpoint = session
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    code = main(["--region", "ap-east-2", "--endpoint-url", endpoint, "--assembly", str(assembly)])
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] Powertools layer" in out
    assert "pre-flight for orderflow in ap-east-2: " in out


def test_the_required_bootstrap_version_is_read_from_the_rule() -> None:
    assert required_bootstrap_version({"Rules": RULES}) == 6
    assert required_bootstrap_version({}) is None
