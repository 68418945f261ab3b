"""Deploy pre-flight against the local AWS endpoint (moto), as it runs against an account before `cdk deploy`; the
alert targets' checks follow handlers.alert_registry (a new target with a secret is in the fake stacks by itself)."""

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

from handlers.alert_registry import BY_NAME, DEFAULT_TARGETS, TARGETS, TargetSpec
from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER
from infra.context import StackSettings
from infra.preflight import BOOTSTRAP_QUALIFIER, main, preflight, required_bootstrap_version
from infra.preflight_alerts import ALERT_EMAIL_FROM, ALERT_EMAIL_TO, EMAIL_TARGET, check_alerts
from infra.preflight_check import Check
from workflow.local.runtime import LocalRuntime
from workflow.manifest import PYTHON_RUNTIME
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


# The targets with a secret, from the registry: the fake stacks below hold what a deploy of today's stack holds.
SECRET_TARGETS = [spec for spec in TARGETS if spec.secret is not None]
# What a deploy leaves in a secret: Secrets Manager's default generated value, 32 characters, punctuation included.
PLACEHOLDER = "k9!Qz#4r^Tb7&Lm2*Xw5(Pd8)Hs1-Vn0"
# A value each target's module takes (the registry says which targets have a secret, not what theirs holds).
GOOD_VALUES = {"pagerduty": "0123456789abcdefABCDEF0123456789"}


def good_value(spec: TargetSpec) -> str:
    return GOOD_VALUES.get(spec.name, f"https://hooks.example/{spec.name}/T0/B0")


def secret_check(spec: TargetSpec) -> str:
    assert spec.secret is not None
    return f"secret {spec.secret.name}"


def alerting(targets: str, **settings: str) -> StackSettings:
    """The CDK context's alert settings (as StackSettings.from_context keeps them)."""
    return StackSettings(function_settings={"ALERT_TARGETS": targets, **settings})


def deployed_stack(aws: Any, endpoint: str, specs: Sequence[TargetSpec] = SECRET_TARGETS) -> tuple[str, dict[str, str]]:
    """A deployed stack whose outputs name these targets' secrets, each holding the deploy's placeholder; the secrets'
    ARNs by target."""
    stack = f"orderflow-{uuid.uuid4().hex[:6]}"
    secrets = aws.client("secretsmanager", endpoint_url=endpoint)
    arns: dict[str, str] = {}
    outputs: dict[str, Any] = {}
    for spec in specs:
        assert spec.secret is not None
        arns[spec.name] = secrets.create_secret(Name=f"{stack}/{spec.secret.name}", SecretString=PLACEHOLDER)["ARN"]
        outputs[spec.secret.output] = {"Value": arns[spec.name]}
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
    aws.client("cloudformation", endpoint_url=endpoint).create_stack(StackName=stack, TemplateBody=json.dumps(template))
    return stack, arns


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
    assert checks["alert targets"].status == "ok"  # ALERT_TARGETS unset: the default
    assert checks["alert routes"].status == "ok"
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
    stack, arns = deployed_stack(aws, endpoint)
    checks = by_name(preflight(aws, endpoint=endpoint, stack=stack, settings=StackSettings(), assembly=assembly))
    assert checks["Powertools layer"].status == "ok"
    assert checks["Lambda runtime"].status == "ok"
    assert checks["CDK bootstrap"].status == "ok"
    assert {secret_check(spec) for spec in SECRET_TARGETS} <= checks.keys()
    for spec in SECRET_TARGETS:
        check = checks[secret_check(spec)]
        if spec.name == DEFAULT_TARGETS:  # on by default (ALERT_TARGETS unset): its alerts are only logged
            assert check.status == "WARN", check.line()
            assert "only logged" in check.detail
            assert "put-secret-value" in check.fix
        else:  # off: said, not warned about
            assert check.status == "skip", check.line()
            assert f"add {spec.name} to ALERT_TARGETS" in check.fix

    secrets = aws.client("secretsmanager", endpoint_url=endpoint)
    for spec in SECRET_TARGETS:
        secrets.put_secret_value(SecretId=arns[spec.name], SecretString=good_value(spec))
    checks = by_name(preflight(aws, endpoint=endpoint, stack=stack, settings=StackSettings(), assembly=assembly))
    assert all(checks[secret_check(spec)].status == "ok" for spec in SECRET_TARGETS)
    assert all(c.status in ("ok", "skip") for c in checks.values()), [c.line() for c in checks.values()]
    everything = ",".join(spec.name for spec in SECRET_TARGETS)
    checks = by_name(preflight(aws, endpoint=endpoint, stack=stack, settings=alerting(everything), assembly=assembly))
    assert all(checks[secret_check(spec)].status == "ok" for spec in SECRET_TARGETS)
    assert checks["alert targets"].status == "ok"


def test_a_secret_the_stack_has_no_output_for_yet_is_left_to_the_deploy(session: tuple[Any, str]) -> None:
    # A stack deployed before the newer targets existed: only the first target's secret is in its outputs.
    aws, endpoint = session
    first, *newer = SECRET_TARGETS
    stack, _ = deployed_stack(aws, endpoint, [first])
    named = alerting(",".join(spec.name for spec in newer))  # named too: the deploy that adds them must run
    checks = by_name(check_alerts(aws, endpoint, stack, named))
    for spec in newer:
        check = checks[secret_check(spec)]
        assert check.status == "skip", check.line()
        assert "the deploy creates it" in check.detail
        assert spec.secret is not None
        assert spec.secret.output in check.detail
    assert checks[secret_check(first)].status in ("skip", "WARN")  # off or default, with its placeholder


def test_a_placeholder_for_a_target_alert_targets_names_fails(session: tuple[Any, str]) -> None:
    aws, endpoint = session
    stack, arns = deployed_stack(aws, endpoint)
    named = SECRET_TARGETS[:2]
    checks = by_name(check_alerts(aws, endpoint, stack, alerting(",".join(spec.name for spec in named))))
    for spec in named:
        check = checks[secret_check(spec)]
        assert check.status == "FAIL", check.line()
        assert f"ALERT_TARGETS names {spec.name}" in check.detail
        assert f"put-secret-value --secret-id {arns[spec.name]}" in check.fix
    assert PLACEHOLDER not in json.dumps([c.line() for c in checks.values()])  # a secret's value is never shown


@pytest.mark.parametrize(
    ("target", "bad", "good"),
    [
        ("pagerduty", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef"),  # 31, then 32
        ("teams", "http://teams.example/workflows/hook", "https://teams.example/workflows/hook"),
    ],
)
def test_a_value_its_target_refuses_fails_when_the_target_is_on(
    session: tuple[Any, str], target: str, bad: str, good: str
) -> None:
    aws, endpoint = session
    spec = BY_NAME[target]
    stack, arns = deployed_stack(aws, endpoint, [spec])
    secrets = aws.client("secretsmanager", endpoint_url=endpoint)
    secrets.put_secret_value(SecretId=arns[target], SecretString=bad)
    check = by_name(check_alerts(aws, endpoint, stack, alerting(target)))[secret_check(spec)]
    assert check.status == "FAIL", check.line()
    assert bad not in check.line()
    secrets.put_secret_value(SecretId=arns[target], SecretString=good)
    check = by_name(check_alerts(aws, endpoint, stack, alerting(target)))[secret_check(spec)]
    assert check.status == "ok", check.line()


def test_an_unknown_alert_target_fails(session: tuple[Any, str]) -> None:
    aws, endpoint = session
    check = by_name(check_alerts(aws, endpoint, "orderflow", alerting("slack,pagerdutty")))["alert targets"]
    assert check.status == "FAIL"
    assert "pagerdutty" in check.detail
    assert all(spec.name in check.fix for spec in TARGETS)


def test_alert_routes_that_do_not_parse_fail_with_why(session: tuple[Any, str]) -> None:
    aws, endpoint = session
    routes = json.dumps([{"match": {"severity": "urgent"}, "targets": ["slack"]}])
    check = by_name(check_alerts(aws, endpoint, "orderflow", alerting("slack", ALERT_ROUTES=routes)))["alert routes"]
    assert check.status == "FAIL"
    assert "rule 1" in check.detail
    assert "urgent" in check.detail
    # A rule whose targets are all off sends what it matches to the log alone.
    routes = json.dumps([{"match": {"severity": "critical"}, "targets": ["pagerduty"]}])
    check = by_name(check_alerts(aws, endpoint, "orderflow", alerting("slack", ALERT_ROUTES=routes)))["alert routes"]
    assert check.status == "WARN"
    check = by_name(check_alerts(aws, endpoint, "orderflow", alerting("slack,pagerduty", ALERT_ROUTES=routes)))[
        "alert routes"
    ]
    assert check.status == "ok"


def test_the_email_target_needs_its_settings_and_a_verified_sender(session: tuple[Any, str]) -> None:
    aws, endpoint = session
    email = BY_NAME[EMAIL_TARGET]
    assert set(email.settings) == {ALERT_EMAIL_FROM, ALERT_EMAIL_TO}  # the registry's names, as preflight reads them
    label = f"alert target {EMAIL_TARGET}"
    domain = f"{uuid.uuid4().hex[:8]}.example"
    sender, recipients = f"alerts@{domain}", "oncall@example.com"

    unset = by_name(check_alerts(aws, endpoint, "orderflow", alerting(EMAIL_TARGET, ALERT_EMAIL_FROM=sender)))
    assert unset[label].status == "FAIL"
    assert ALERT_EMAIL_TO in unset[label].detail

    settings = alerting(EMAIL_TARGET, ALERT_EMAIL_FROM=sender, ALERT_EMAIL_TO=recipients)
    unverified = by_name(check_alerts(aws, endpoint, "orderflow", settings))[label]
    assert unverified.status == "FAIL", unverified.line()
    assert f"aws sesv2 create-email-identity --email-identity {sender}" in unverified.fix

    ses = aws.client("ses", endpoint_url=endpoint)
    ses.verify_email_identity(EmailAddress=sender)
    verified = by_name(check_alerts(aws, endpoint, "orderflow", settings))[label]
    assert verified.status == "ok", verified.line()
    # A verified domain serves every address of it.
    other = alerting(EMAIL_TARGET, ALERT_EMAIL_FROM=f"orders@{domain}", ALERT_EMAIL_TO=recipients)
    assert by_name(check_alerts(aws, endpoint, "orderflow", other))[label].status == "FAIL"
    ses.verify_domain_identity(Domain=domain)
    assert by_name(check_alerts(aws, endpoint, "orderflow", other))[label].status == "ok"


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
    assert PYTHON_RUNTIME in checks["Lambda runtime"].fix


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
