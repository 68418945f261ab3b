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
  - the secrets: on a deployed stack, each one exists and holds a webhook URL (a placeholder is a warning: alerts to
    that target are only logged); before the first deploy, the deploy creates them;
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
from pathlib import Path
from typing import Any

from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER
from infra.context import StackSettings
from workflow.manifest import MANIFEST, PYTHON_RUNTIME, STACK_NAME, Manifest, SecretArn

REPO = Path(__file__).resolve().parent.parent
BOOTSTRAP_QUALIFIER = "hnb659fds"  # the CDK's default; a custom one is the context's @aws-cdk/core:bootstrapQualifier
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


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


def check_secrets(session: Any, endpoint: str | None, stack: str, manifest: Manifest = MANIFEST) -> list[Check]:
    """The stack's secrets (its outputs name them): each exists and holds a URL."""
    cloudformation = session.client("cloudformation", endpoint_url=endpoint)
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as e:
        if _code(e) == "ValidationError":  # "Stack with id ... does not exist"
            return [Check("secrets", "skip", f"stack {stack} is not deployed yet: the deploy creates its secrets",
                          "after the deploy, put each webhook URL in its secret (infra/README.md)")]  # fmt: skip
        return [Check("secrets", "FAIL", f"cannot read stack {stack} ({_code(e)})", "check the credentials")]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    checks = []
    for key, ref in manifest.all_outputs().items():
        if not isinstance(ref, SecretArn):
            continue
        label = f"secret {ref.secret}"
        secret_id = outputs.get(key)
        if secret_id is None:
            checks.append(Check(label, "FAIL", f"stack {stack} has no output {key}", "deploy the stack again"))
            continue
        try:
            value = secrets.get_secret_value(SecretId=secret_id).get("SecretString", "")
        except Exception as e:
            fix = "redeploy to recreate it, or restore it (it may be scheduled for deletion)"
            checks.append(Check(label, "FAIL", f"{secret_id} cannot be read ({_code(e)})", fix))
            continue
        if str(value).startswith(("https://", "http://")):
            checks.append(Check(label, "ok", f"{secret_id} holds a URL"))
        else:
            fix = f"aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string <URL>"
            said = f"{secret_id} holds its placeholder: alerts to that target are only logged"
            checks.append(Check(label, "WARN", said, fix))
    return checks


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
    checks += check_secrets(session, endpoint, stack)
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
