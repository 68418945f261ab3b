"""Deploy pre-flight: what `cdk deploy` would otherwise find out halfway through a change set. Run by `make deploy`
before `cdk deploy`, and alone as `make preflight` (`python -m infra.preflight`).

Each check is one line, ok / WARN / FAIL / skip, with how to fix it; the exit status is 1 when one FAILs. It needs
AWS credentials for the target account and region (tests point it at the local AWS endpoint, moto).

  - the Powertools layer: the locked release's public SSM parameter exists in the region, or the pinned
    `powertoolsLayerArn` layer version exists (and is for our runtime);
  - Python 3.14 runs in the region: AWS has no API listing a region's Lambda runtimes, so this checks what can be
    checked: the SDK's Lambda model knows the runtime, and the layer the stack deploys is published for it there;
  - the account is bootstrapped: `/cdk-bootstrap/<qualifier>/version` is at least what the synthesized template's
    CheckBootstrapVersion rule requires;
  - the alert targets (handlers.alert_registry), as the AlertHandler will read its configuration: ALERT_TARGETS names
    only known targets; ALERT_ROUTES parses (a broken one sends everything everywhere) and no rule sends only to
    targets that are off; on a deployed stack, each target's secret exists and its module's `problem` takes its value
    (a placeholder FAILs for a target ALERT_TARGETS names, WARNs for the default target: its alerts are only logged;
    a target that is off is only reported); a secret the stack has no output for yet (a target newer than the stack),
    and every secret before the first deploy, the deploy creates; the e-mail target, when on, has a sender and
    recipients, and the sender's SES identity (address or domain) is verified in the region;
  - the CDK CLI (the Makefile's pin) reads the cloud assembly the library (requirements.lock) wrote: a CLI older
    than the library's cloud assembly schema refuses it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from handlers import env
from handlers.adapters.alert_targets import TargetConfig
from handlers.alert_registry import ALWAYS_ON, BY_NAME, DEFAULT_TARGETS, TARGETS, TargetSpec, target_names
from handlers.domain.alert_routes import RoutesError, parse_routes
from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER
from infra.context import StackSettings
from workflow.manifest import PYTHON_RUNTIME, STACK_NAME

REPO = Path(__file__).resolve().parent.parent
BOOTSTRAP_QUALIFIER = "hnb659fds"  # the CDK's default; a custom one is the context's @aws-cdk/core:bootstrapQualifier
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
# The e-mail target and its settings (handlers.alert_registry): SES sends only as a verified identity.
EMAIL_TARGET = "email"
ALERT_EMAIL_FROM, ALERT_EMAIL_TO = "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | WARN | FAIL | skip
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f"  -> {self.fix}" if self.fix and self.status in ("FAIL", "WARN", "skip") else ""
        return f"[{self.status:4}] {self.name}: {self.detail}{fix}"


def file_context() -> dict[str, Any]:
    """The CDK context as `make deploy` passes it: cdk.json's, then ORDERFLOW_CONTEXT on top (as infra/app.py)."""
    cdk_json = REPO / "cdk.json"
    context: dict[str, Any] = json.loads(cdk_json.read_text()).get("context", {}) if cdk_json.exists() else {}
    context.update(json.loads(os.environ.get("ORDERFLOW_CONTEXT") or "{}"))
    return context


class _Node:
    def __init__(self, context: dict[str, Any]) -> None:
        self._context = context

    def try_get_context(self, key: str) -> Any:
        return self._context.get(key)


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(error).__name__))


def check_layer(session: Any, endpoint: str | None, settings: StackSettings) -> tuple[Check, list[str] | None]:
    """The layer the stack deploys, and the runtimes it is published for (None: unknown)."""
    region = session.region_name
    if settings.powertools_layer_arn:
        try:
            name, _, number = settings.powertools_layer_arn.rpartition(":")
            layer = session.client("lambda", endpoint_url=endpoint).get_layer_version(
                LayerName=name, VersionNumber=int(number)
            )
        except Exception as e:
            return Check(
                "Powertools layer",
                "FAIL",
                f"the pinned layer {settings.powertools_layer_arn} cannot be read in {region} ({_code(e)})",
                "pin a layer version of this region that exists (context powertoolsLayerArn), or unset it",
            ), None
        return Check("Powertools layer", "ok", f"pinned {settings.powertools_layer_arn}"), list(
            layer.get("CompatibleRuntimes") or []
        )
    try:
        value = session.client("ssm", endpoint_url=endpoint).get_parameter(Name=POWERTOOLS_LAYER_PARAMETER)
    except Exception as e:
        return Check(
            "Powertools layer",
            "FAIL",
            f"{POWERTOOLS_LAYER_PARAMETER} does not exist in {region} ({_code(e)}): CloudFormation would fail the "
            "change set halfway",
            "deploy to a region Powertools publishes to, or pin a layer ARN: -c powertoolsLayerArn=arn:aws:lambda:…",
        ), None
    return Check("Powertools layer", "ok", f"{POWERTOOLS_LAYER_PARAMETER} = {value['Parameter']['Value']}"), [
        PYTHON_RUNTIME
    ]


def check_runtime(session: Any, runtimes: list[str] | None) -> Check:
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    known = getattr(model.shape_for("Runtime"), "enum", [])
    if PYTHON_RUNTIME not in known:
        return Check(
            "Lambda runtime",
            "FAIL",
            f"this SDK's Lambda model does not know {PYTHON_RUNTIME}",
            "update boto3/botocore (requirements.lock)",
        )
    if runtimes is None:
        return Check(
            "Lambda runtime",
            "skip",
            f"whether {session.region_name} runs {PYTHON_RUNTIME} is unknown without the layer",
            "fix the Powertools layer check first",
        )
    if runtimes and PYTHON_RUNTIME not in runtimes:
        return Check(
            "Lambda runtime",
            "FAIL",
            f"the Powertools layer is published for {', '.join(runtimes)}, not {PYTHON_RUNTIME}",
            f"pin a layer for {PYTHON_RUNTIME} (powertoolsLayerArn)",
        )
    return Check(
        "Lambda runtime",
        "ok",
        f"{PYTHON_RUNTIME}: the SDK knows it and its Powertools layer is published in {session.region_name} "
        "(AWS lists no region's runtimes)",
    )


def required_bootstrap_version(template: dict[str, Any]) -> int | None:
    """The version CheckBootstrapVersion asks for: one above the highest it refuses."""
    rule = (template.get("Rules") or {}).get("CheckBootstrapVersion")
    if not rule:
        return None
    refused: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "Fn::Contains" in node:
                refused.extend(int(v) for v in node["Fn::Contains"][0] if str(v).isdigit())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(rule)
    return max(refused) + 1 if refused else None


def check_bootstrap(session: Any, endpoint: str | None, template: dict[str, Any] | None) -> Check:
    name = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
    fix = f"npx aws-cdk bootstrap aws://<account>/{session.region_name} (the Makefile's CDK CLI)"
    try:
        value = session.client("ssm", endpoint_url=endpoint).get_parameter(Name=name)["Parameter"]["Value"]
    except Exception as e:
        return Check("CDK bootstrap", "FAIL", f"{name} is missing in {session.region_name} ({_code(e)})", fix)
    required = required_bootstrap_version(template) if template else None
    if required is not None and int(value) < required:
        return Check("CDK bootstrap", "FAIL", f"version {value}; the template requires {required}", fix)
    return Check("CDK bootstrap", "ok", f"version {value}" + (f" (template requires {required})" if required else ""))


def alert_targets_on(settings: StackSettings) -> list[str]:
    """The known targets the AlertHandler turns on (ALERT_TARGETS, or its default when unset), the log first."""
    return [ALWAYS_ON, *(n for n in target_names(settings.function_settings.get(env.ALERT_TARGETS)) if n in BY_NAME)]


def alert_targets_named(settings: StackSettings) -> list[str]:
    """The targets ALERT_TARGETS names in the CDK context (none when it is unset: then the default is on)."""
    named = settings.function_settings.get(env.ALERT_TARGETS)
    return target_names(named) if named is not None else []


def check_alert_targets(settings: StackSettings) -> Check:
    """ALERT_TARGETS names only targets of the registry (the AlertHandler would leave an unknown one out)."""
    said = settings.function_settings.get(env.ALERT_TARGETS)
    if unknown := [name for name in target_names(said) if name not in BY_NAME]:
        return Check(
            "alert targets",
            "FAIL",
            f"ALERT_TARGETS names {', '.join(unknown)}, which is no alert target: alerts would not go there",
            f"name targets of handlers/alert_registry.py: {', '.join(BY_NAME)} (context ALERT_TARGETS)",
        )
    default = "" if said is not None else f" (ALERT_TARGETS unset: the default, {DEFAULT_TARGETS})"
    return Check("alert targets", "ok", f"on: {', '.join(alert_targets_on(settings))}{default}")


def check_alert_routes(settings: StackSettings) -> Check:
    """ALERT_ROUTES parses and names known targets (a broken one sends every alert everywhere), and no rule sends
    what it matches only to targets that are off (it would reach the log alone)."""
    fix = "correct context ALERT_ROUTES (its rules: handlers/domain/alert_routes.py)"
    try:
        routes = parse_routes(settings.function_settings.get(env.ALERT_ROUTES), BY_NAME)
    except RoutesError as e:
        return Check("alert routes", "FAIL", f"{e}: the AlertHandler would send every alert everywhere", fix)
    if not routes.rules:
        return Check("alert routes", "ok", "none: every alert goes to every target that is on")
    on = set(alert_targets_on(settings))
    if nowhere := [index + 1 for index, rule in enumerate(routes.rules) if not set(rule.targets) & on]:
        return Check(
            "alert routes",
            "WARN",
            f"ALERT_ROUTES rule {', '.join(map(str, nowhere))} sends only to targets that are off: what it matches "
            "reaches the log alone",
            f"turn its targets on (ALERT_TARGETS), or {fix}",
        )
    return Check("alert routes", "ok", f"{len(routes.rules)} rules, each to a target that is on")


def _target_problem(spec: TargetSpec, secret: str | None, settings: StackSettings) -> str | None:
    """What the target's module finds wrong with this configuration (as the AlertHandler will), or None. Raises
    ImportError when the registry names a module that does not import."""
    problem: str | None = spec.load().problem(TargetConfig(secret=secret, settings=settings.function_settings.get))
    return problem


def check_secrets(session: Any, endpoint: str | None, stack: str, settings: StackSettings) -> list[Check]:
    """Each alert target's secret (the registry says which have one; the stack's outputs name them): it exists and
    its target's module takes its value. A target ALERT_TARGETS names FAILs without one (its alerts would only be
    logged); the default target WARNs; a target that is off only says so."""
    cloudformation = session.client("cloudformation", endpoint_url=endpoint)
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as e:
        if _code(e) == "ValidationError":  # "Stack with id ... does not exist"
            return [Check("secrets", "skip", f"stack {stack} is not deployed yet: the deploy creates its secrets",
                          "after the deploy, put each target's value in its secret (infra/README.md)")]  # fmt: skip
        return [Check("secrets", "FAIL", f"cannot read stack {stack} ({_code(e)})", "check the credentials")]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    on, named = alert_targets_on(settings), alert_targets_named(settings)
    checks = []
    for spec in TARGETS:
        if spec.secret is None:
            continue
        label = f"secret {spec.secret.name}"
        holds = f"it holds {spec.secret.holds}"
        secret_id = outputs.get(spec.secret.output)
        if secret_id is None:  # a stack deployed before this target existed: this deploy adds the secret
            said = f"stack {stack} has no output {spec.secret.output} yet: the deploy creates it"
            fix = f"after the deploy, put its value in the secret output {spec.secret.output} names ({holds})"
            checks.append(Check(label, "skip", said, fix))
            continue
        try:
            value = str(secrets.get_secret_value(SecretId=secret_id).get("SecretString", "")).strip()
        except Exception as e:
            fix = "redeploy to recreate it, or restore it (it may be scheduled for deletion)"
            checks.append(Check(label, "FAIL", f"{secret_id} cannot be read ({_code(e)})", fix))
            continue
        try:
            problem = _target_problem(spec, value, settings)
        except ImportError as e:
            status = "FAIL" if spec.name in on else "skip"
            checks.append(Check(label, status, f"{spec.name}'s module cannot be imported ({e})", "fix the code"))
            continue
        off = "" if spec.name in on else f"; {spec.label} is off (ALERT_TARGETS does not name {spec.name})"
        if problem is None:
            checks.append(Check(label, "ok", f"{secret_id} holds a value {spec.label} takes{off}"))
            continue
        fix = f"aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string … ({holds})"
        if spec.name in named:
            said = f"{problem}; ALERT_TARGETS names {spec.name}, whose alerts would only be logged"
            checks.append(Check(label, "FAIL", said, fix))
        elif spec.name in on:
            said = f"{problem}: alerts to that target are only logged"
            checks.append(Check(label, "WARN", said, fix))
        else:
            turn_on = f"to turn it on, put its value ({holds}) in {secret_id} and add {spec.name} to ALERT_TARGETS"
            checks.append(Check(label, "skip", f"{problem}{off}", turn_on))
    return checks


def check_target_settings(session: Any, endpoint: str | None, settings: StackSettings) -> list[Check]:
    """Each target that is on and has no secret, by its settings (its module's `problem`); the e-mail target also
    by its sender's SES identity."""
    checks = []
    for spec in TARGETS:
        if spec.secret is not None or spec.name == ALWAYS_ON or spec.name not in alert_targets_on(settings):
            continue
        label = f"alert target {spec.name}"
        if spec.name == EMAIL_TARGET:
            checks.append(check_email(session, endpoint, settings, spec))
            continue
        try:
            problem = _target_problem(spec, None, settings)
        except ImportError as e:
            checks.append(Check(label, "FAIL", f"its module cannot be imported ({e})", "fix the code"))
            continue
        settings_fix = f"set {', '.join(spec.settings)} in the CDK context"
        status, said = ("FAIL", problem) if problem is not None else ("ok", f"{spec.label} is configured")
        checks.append(Check(label, status, said, settings_fix))
    return checks


def check_email(session: Any, endpoint: str | None, settings: StackSettings, spec: TargetSpec) -> Check:
    """The e-mail target: a sender and recipients, and the sender's SES identity (its address, or its domain)
    verified in the region, or SES refuses every message."""
    label = f"alert target {spec.name}"
    values = settings.function_settings
    if missing := [name for name in (ALERT_EMAIL_FROM, ALERT_EMAIL_TO) if not values.get(name)]:
        return Check(
            label,
            "FAIL",
            f"ALERT_TARGETS names {spec.name}, but {' and '.join(missing)} is not set: no alert would be e-mailed",
            f"-c {ALERT_EMAIL_FROM}=alerts@your-domain -c {ALERT_EMAIL_TO}=oncall@your-domain (or ORDERFLOW_CONTEXT)",
        )
    try:
        problem = _target_problem(spec, None, settings)
    except ImportError as e:
        return Check(label, "FAIL", f"its module cannot be imported ({e})", "fix the code")
    if problem is not None:
        return Check(label, "FAIL", problem, f"correct {ALERT_EMAIL_FROM} / {ALERT_EMAIL_TO} in the CDK context")
    _, address = parseaddr(values[ALERT_EMAIL_FROM])
    domain = address.rpartition("@")[2].lower()  # domain names are case-insensitive
    region = session.region_name
    try:
        found = session.client("ses", endpoint_url=endpoint).get_identity_verification_attributes(
            Identities=[address, domain]
        )["VerificationAttributes"]
    except Exception as e:
        return Check(label, "FAIL", f"cannot read SES identities in {region} ({_code(e)})", "check the credentials")
    statuses = {identity: found.get(identity, {}).get("VerificationStatus", "absent") for identity in (address, domain)}
    if verified := [identity for identity, status in statuses.items() if status == "Success"]:
        return Check(
            label,
            "ok",
            f"sends as {address} (SES identity {verified[0]} verified in {region}) to {values[ALERT_EMAIL_TO]}",
        )
    return Check(
        label,
        "FAIL",
        f"SES in {region} has no verified identity for {address} ({statuses[address]}) or {domain} "
        f"({statuses[domain]}): SES refuses to send as it",
        f"aws sesv2 create-email-identity --email-identity {address} --region {region} (then open the link SES "
        f"e-mails), or verify the domain {domain}",
    )


def check_alerts(session: Any, endpoint: str | None, stack: str, settings: StackSettings) -> list[Check]:
    """The alert configuration a deploy gives the AlertHandler, checked as the AlertHandler will read it."""
    return [
        check_alert_targets(settings),
        check_alert_routes(settings),
        *check_secrets(session, endpoint, stack, settings),
        *check_target_settings(session, endpoint, settings),
    ]


def check_cli(cdk: Sequence[str], assembly: Path, run: Runner) -> Check:
    manifest = assembly / "manifest.json"
    if not manifest.exists():
        return Check("CDK CLI", "FAIL", f"no cloud assembly at {assembly}", "make synth first")
    schema = json.loads(manifest.read_text()).get("version", "?")
    try:
        result = run([*cdk, "ls", "--app", str(assembly)])
    except (OSError, subprocess.SubprocessError) as e:
        return Check("CDK CLI", "skip", f"{' '.join(cdk)} did not run ({e})", "install Node 20 and npx")
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        reason = next((line for line in said if "schema" in line.lower() or "compatible" in line.lower()), None)
        return Check(
            "CDK CLI",
            "FAIL",
            f"{' '.join(cdk)} cannot read the assembly (schema {schema}): {reason or (said[-1] if said else '?')}",
            "raise the CLI pin in the Makefile (CDK := npx --yes aws-cdk@<version>) to one that reads it",
        )
    return Check("CDK CLI", "ok", f"{' '.join(cdk)} reads the library's cloud assembly (schema {schema})")


def preflight(
    session: Any,
    *,
    endpoint: str | None = None,
    stack: str = STACK_NAME,
    settings: StackSettings | None = None,
    assembly: Path | None = None,
    cdk: Sequence[str] = (),
    run: Runner | None = None,
) -> list[Check]:
    settings = settings or StackSettings.from_context(_Node(file_context()))
    assembly = assembly or REPO / "cdk.out"
    template_path = assembly / f"{stack}.template.json"
    template = json.loads(template_path.read_text()) if template_path.exists() else None
    layer, runtimes = check_layer(session, endpoint, settings)
    checks = [layer, check_runtime(session, runtimes), check_bootstrap(session, endpoint, template)]
    checks += check_alerts(session, endpoint, stack, settings)
    if cdk:
        checks.append(check_cli(cdk, assembly, run or _run))
    else:
        checks.append(Check("CDK CLI", "skip", "no CLI given (--cdk)", "make preflight passes the Makefile's pin"))
    return checks


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    # The Makefile's own CDK CLI command, as make passes it.
    return subprocess.run(list(command), capture_output=True, text=True, timeout=300, check=False, cwd=REPO)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(prog="python -m infra.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", help="the target region (default: your AWS configuration's)")
    parser.add_argument("--stack", default=os.environ.get("ORDERFLOW_STACK", STACK_NAME))
    parser.add_argument("--endpoint-url", help="an AWS endpoint (tests: the local system's)")
    parser.add_argument("--assembly", type=Path, default=REPO / "cdk.out", help="the synthesized cloud assembly")
    parser.add_argument("--cdk", default="", help="the CDK CLI command, e.g. 'npx --yes aws-cdk@2.1148.1'")
    args = parser.parse_args(argv)
    session = boto3.Session(region_name=args.region)
    if session.region_name is None:
        print("[FAIL] region: none configured  -> pass --region or set AWS_REGION", file=sys.stderr)
        return 1
    if session.get_credentials() is None:
        print("[FAIL] credentials: none found  -> aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID", file=sys.stderr)
        return 1
    checks = preflight(
        session, endpoint=args.endpoint_url, stack=args.stack, assembly=args.assembly, cdk=shlex.split(args.cdk)
    )
    for check in checks:
        print(check.line())
    failed = [c for c in checks if c.status == "FAIL"]
    print(f"pre-flight for {args.stack} in {session.region_name}: " + (f"{len(failed)} failed" if failed else "ready"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
